"""`seqlab tokenize train|encode|decode|export`: char, word and byte-level BPE tokenizers as
JSON."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import typer

from seqlab.cli import json_text, outputs
from seqlab.cli.commands.tokenize_export import export
from seqlab.cli.console import Output, write_stream
from seqlab.cli.errors import CliError, first_line
from seqlab.cli.inputs import CorpusPieces, corpus_text
from seqlab.cli.tokenizer_choice import check_vocab_size, train_tokenizer
from seqlab.cli.tokenizer_file import checked_side, read_tokenizer_file, side_option

app = typer.Typer(help="Train tokenizers, encode or decode text, export to HF tokenizers.",
                  no_args_is_help=True)
app.command("export")(export)


@app.command("train")
def train(
    files: list[Path] = typer.Argument(None, help="Text files or folders ('-' for stdin)."
                               " A folder: its *.txt files (any case), recursively."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the tokenizer JSON."),
    level: str = typer.Option("bpe", "--level", help="char, word or bpe."),
    vocab_size: int = typer.Option(None, "--vocab-size", help="Target size (default 1000 for "
                                   "word and bpe; char: every character seen, or the most "
                                   "frequent N)."),
    min_count: int = typer.Option(None, "--min-count",
                                  help="Word and char levels: drop tokens seen fewer times "
                                  "(default 1); bpe: merge only pairs seen at least this "
                                  "often (default 2)."),
    corpus: str = typer.Option(None, "--corpus", help="Embedded corpus when no FILES."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    force: bool = outputs.force_option(),
) -> None:
    """Train a tokenizer.

    Examples:
      seqlab tokenize train book.txt --level bpe --vocab-size 2000 --out bpe.json
    """
    check_vocab_size(level, vocab_size)
    outputs.check_output(out, outputs.TOKENIZER, files or (), force=force)
    output = Output(quiet, as_json)
    if vocab_size is None and level != "char":
        vocab_size = 1000
    if files:  # stdin is copied beside --out first (a hidden file, removed afterwards)
        from seqlab.cli.allocator import give_back_freed_memory
        from seqlab.nlp.corpora import COUNTING_CHUNK_BYTES

        give_back_freed_memory()  # a streamed pass: each freed piece goes back to the system
        # counting only: smaller pieces, a smaller list of pre-tokens alive at a time
        pieces = CorpusPieces(files, spool_dir=out.resolve().parent,
                              chunk_bytes=COUNTING_CHUNK_BYTES)
        from seqlab.cli.phase_progress import PhaseProgress

        shown = PhaseProgress("tokenize train", output.show_progress, unit="characters")
        try:
            pieces.require_text()
            with shown:
                shown.phase("reading", announce=False)
                read = shown.counted(pieces, then="building the vocabulary")
                tokenizer = train_tokenizer(level, read, vocab_size, min_count)
        finally:
            pieces.close()
        source = pieces.description
    else:
        text, source = corpus_text(None, corpus)
        tokenizer = train_tokenizer(level, text, vocab_size, min_count)
    tokenizer.save(out)
    output.result({"path": str(out), "level": level, "vocab_size": tokenizer.vocab_size,
                   "source": source},
                  f"Wrote {level} tokenizer with {tokenizer.vocab_size} tokens to {out}")


@app.command("encode")
def encode(
    tokenizer_path: Path = typer.Argument(..., metavar="TOKENIZER"),
    text: str = typer.Argument(None, metavar="[TEXT|FILE|-]",
                               help="Text to encode, a file of text, or '-' (or nothing) for "
                               "stdin (empty: no ids, exit 0)."),
    as_text: bool = typer.Option(False, "--text", help="Encode the argument itself, even when "
                                 "it names a file or looks like a file name."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    side: str = side_option(),
) -> None:
    """Print the token ids of TEXT.

    TOKENIZER is a tokenizer JSON or a model file. A tokenizer JSON gives the tokenizer's ids.
    A model gives the ids the model reads, the ones `eval` scores: a word-level language
    model reads </s> after each non-blank line (a word tokenizer drops newlines), so its ids
    have one there; char and BPE models read newlines as characters, as their tokenizers do.
    A sequence-to-sequence model holds two tokenizers: --side picks one.

    The argument is read as a file when one of that name exists (a folder is refused), as
    text otherwise; a name that looks like a file's (a path separator, or an extension such
    as .txt) but names none is refused. --text always takes it as text.

    Example: seqlab tokenize encode bpe.json "Hello there"
    """
    from seqlab.cli.text_argument import named_file
    from seqlab.cli.tokenizer_file import is_language_model

    tokenizer = read_tokenizer_file(tokenizer_path, from_model=True, side=checked_side(side))
    model_ids = is_language_model(tokenizer_path)
    if text is None or (text == "-" and not as_text):
        _encode_stream("-", tokenizer, as_json, model_ids)
        return
    path = None if as_text else named_file(text)
    if path is not None:
        _encode_stream(path, tokenizer, as_json, model_ids)
        return
    if model_ids:
        from seqlab.nlp.lm_text import encode_corpus

        ids = encode_corpus(tokenizer, text).tolist()
    else:
        ids = tokenizer.encode(text)
    Output(as_json=as_json).result({"ids": ids}, " ".join(map(str, ids)))


def _encode_stream(source: Path | str, tokenizer, as_json: bool, model_ids: bool) -> None:
    """The ids of a file or stdin ('-'), written piece by piece as it is read (tokenizer-safe
    pieces: the same ids as encoding it whole), so a corpus is never held whole; the same
    output as `Output.result` gives for the whole text. With `model_ids`, the ids a language
    model with `tokenizer` reads (`lm_text.stream_model_ids`)."""
    from seqlab.cli.inputs import decode_errors, translated
    from seqlab.nlp.corpora import stream_token_ids
    from seqlab.nlp.lm_text import stream_model_ids

    stream = stream_model_ids if model_ids else stream_token_ids
    sys.stdout.write('{"ids": [' if as_json else "")
    separator = ", " if as_json else " "
    first = True
    try:
        for block in translated(stream(str(source), tokenizer, errors=decode_errors())):
            sys.stdout.write(("" if first else separator)
                             + separator.join(map(str, block.tolist())))
            first = False
    except BaseException as error:  # bad bytes, Ctrl-C: the one-line error still follows
        if as_json:  # stdout stays one JSON object, saying why it stopped (as classify's)
            message = first_line(error)
            sys.stdout.write('], "error": ' + json_text.dumps(message) + "}\n")
        elif not first:  # the ids written so far end their line
            sys.stdout.write("\n")
        sys.stdout.flush()
        raise
    sys.stdout.write("]}\n" if as_json else "\n")
    sys.stdout.flush()


STDIN_CHUNK_CHARS = 1 << 18  # decode reads plain ids from stdin this much at a time


@app.command("decode")
def decode(
    tokenizer_path: Path = typer.Argument(..., metavar="TOKENIZER"),
    ids: list[str] = typer.Argument(None, help="Token ids ('-' or nothing: stdin)."),
    as_json: bool = typer.Option(False, "--json", help="The text as one JSON object "
                                 "({\"text\": ...}), written piece by piece."),
    side: str = side_option(),
) -> None:
    """Print the text of token IDS. With a bpe tokenizer `encode FILE | decode` gives FILE
    back byte for byte; a char tokenizer gives unseen characters (and a CR) back as U+FFFD,
    a word tokenizer gives the words back with its own spacing (given a word language model,
    each </s> as a line end, as `generate` writes it: `encode MODEL FILE | decode MODEL` gives
    FILE's non-blank lines back).

    Stdin may hold the ids as `tokenize encode` prints them, plain or --json (one object),
    read and written piece by piece, so any length: an encoding that stopped with an error
    (its "error" follows the ids) is refused after the text of its ids. No newline is added
    to the text (on a terminal an unended last line is ended, for the prompt).

    The ids are the tokenizer's, as `encode` prints them (a BPE id is not a byte).

    Examples:
      seqlab tokenize encode bpe.json "Hi" | seqlab tokenize decode bpe.json
    """
    from seqlab.cli.tokenizer_file import is_language_model
    from seqlab.nlp.lm_text import decode_model_pieces
    from seqlab.nlp.tokenizers.streamed_decode import decode_pieces

    tokenizer = read_tokenizer_file(tokenizer_path, from_model=True, side=checked_side(side))
    # a word language model's </s> ends a line, as `generate` writes it
    texts = decode_model_pieces if is_language_model(tokenizer_path) else decode_pieces
    from_stdin = not ids or ids == ["-"]
    pieces = _stdin_pieces(tokenizer.vocab_size) if from_stdin else [
        _checked_ids(ids, tokenizer.vocab_size, from_stdin=False)]
    if as_json:
        _write_text_object(texts(tokenizer, pieces))
        return
    last = ""
    for text in texts(tokenizer, pieces):
        if text:
            write_stream(text)
            last = text
    if sys.stdout.isatty() and not last.endswith("\n"):
        write_stream("\n")


def _write_text_object(texts: Iterable[str]) -> None:
    """`{"text": ...}` of the joined `texts`, the bytes `Output.result` writes for it, written
    piece by piece (JSON escapes each character on its own); an error once the object has begun
    ends it with "error", so stdout stays one JSON object (as `encode --json`'s)."""
    begun = False
    try:
        for text in texts:
            if text:
                sys.stdout.write(("" if begun else '{"text": "') + json_text.dumps(text)[1:-1])
                begun = True
    except BaseException as error:  # bad ids, Ctrl-C: the one-line error still follows
        if begun:
            message = first_line(error)
            sys.stdout.write('", "error": ' + json_text.dumps(message) + "}\n")
            sys.stdout.flush()
        raise
    sys.stdout.write(("" if begun else '{"text": "') + '"}\n')
    sys.stdout.flush()


def _stdin_pieces(vocab_size: int):
    """The ids on stdin, checked, a bounded piece at a time: plain ids, or `tokenize encode
    --json`'s one object (`{"ids": [...]}`)."""
    from seqlab.nlp.tokenizers.plain_ids import LongIdWordError, plain_id_words

    head = sys.stdin.read(STDIN_CHUNK_CHARS)
    if head.lstrip().startswith("{"):
        from seqlab.cli.json_ids import json_id_words as id_words
    else:
        def id_words(head, read, chunk_chars):  # an id of the vocabulary is never refused
            return plain_id_words(head, read, chunk_chars,
                                  max(chunk_chars, len(str(vocab_size - 1))))
    first = 1
    try:
        for words in id_words(head, sys.stdin.read, STDIN_CHUNK_CHARS):
            yield _checked_ids(words, vocab_size, from_stdin=True, first=first)
            first += len(words)
    except LongIdWordError as error:  # no id is this long: refused, not held
        _checked_ids([error.start], vocab_size, from_stdin=True, first=error.number)
        raise CliError(f"word {error.number} on stdin is {error.start[:37] + '...'!r}, not a "
                       f"token id; {_EXPECTED}") from None


def _checked_ids(words: list[str], vocab_size: int, from_stdin: bool,
                 first: int = 1) -> list[int]:
    """`words` as token ids; a CliError for the first that is not one or is outside the
    vocabulary (`first`: the number of the first word, for the message)."""
    numbers = [_token_id(word, number, from_stdin) for number, word in enumerate(words, first)]
    bad = [i for i in numbers if not 0 <= i < vocab_size]
    if bad:
        raise CliError(f"token id {bad[0]} is outside the vocabulary (0..{vocab_size - 1})")
    return numbers


_EXPECTED = ("decode expects token ids, whole numbers separated by spaces (as `seqlab tokenize "
             "encode` prints them)")


def _token_id(word: str, number: int, from_stdin: bool) -> int:
    """`word` as a token id; a CliError saying what decode expects when it is not one."""
    try:
        return int(word)
    except ValueError:
        pass
    shown = word if len(word) <= 40 else word[:37] + "..."
    if not from_stdin and Path(word).is_file():
        raise CliError(f"{word} is a file; {_EXPECTED}, as arguments or on stdin: seqlab "
                       f"tokenize decode TOKENIZER - < {word}", code=2) from None
    where = f"word {number} on stdin" if from_stdin else f"argument {number}"
    raise CliError(f"{where} is {shown!r}, not a token id; {_EXPECTED}",
                   code=1 if from_stdin else 2) from None
