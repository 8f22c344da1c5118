"""`seqlab seq2seq train|translate|eval`: encoder-decoder models with attention on TSV pairs."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from seqlab.cli.clip_option import clip_option
from seqlab.cli.console import Output, stderr, write_stream
from seqlab.cli.errors import EXIT_USAGE, CliError, require_file
from seqlab.cli.option_aliases import old_spelling, renamed
from seqlab.cli.outputs import check_checkpoint_output, force_option
from seqlab.cli.pair_columns import columns_option, normalized_columns, require_pairs
from seqlab.cli.replaced_run import note_replaced_model
from seqlab.cli.scratch_folder import (
    checked_scratch,
    is_scratch_error,
    scratch_error_line,
    scratch_option,
)
from seqlab.cli.seq2seq_training import MAX_LEN
from seqlab.cli.text_argument import named_file
from seqlab.cli.threads import THREADS_HELP, use_threads
from seqlab.cli.tokenizer_choice import LEVELS
from seqlab.cli.translation_json import TranslationsJson

app = typer.Typer(help="Sequence to sequence: an encoder-decoder with attention on "
                  "source<TAB>target pairs.", no_args_is_help=True)

CELLS = ("lstm", "gru", "rnn")
MAX_LEN_HELP = (f"Longest source or target, in characters (default {MAX_LEN}): longer lines "
                "are refused, as memory and time grow with the length.")
# a word with a file extension (notes.txt, en.tsv): taken for a file name when it names none
SHADES = " ░▒▓█"


def _check_choice(name: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise CliError(f"{name} must be one of {', '.join(choices)}, got {value!r}", code=2)


@app.command("train")
def train(
    pairs: list[Path] = typer.Argument(None, metavar="[PAIRS...]",
                                       help="TSV files of source<TAB>target lines. None: "
                                       "grapheme-to-phoneme on the CMU Pronouncing Dictionary."),
    out: Path = typer.Option(None, "--out", "-o", help="Model file (default "
                             "seq2seq.safetensors; with --resume, the run's own file)."),
    source_level: str = typer.Option(None, "--source-level", help="char, word or bpe "
                                     "(default char)."),
    target_level: str = typer.Option(None, "--target-level", help="char, word or bpe "
                                     "(default char)."),
    vocab_size: int = typer.Option(
        None, "--vocab-size",
        help="Vocabulary size (char: the most frequent characters, the rest <unk>)."),
    cell: str = typer.Option(None, "--cell", help="lstm, gru or rnn (default lstm)."),
    hidden: int = typer.Option(None, "--hidden", help="Hidden size (default 256; 384 for the "
                               "embedded G2P default)."),
    layers: int = typer.Option(None, "--layers", help="Layers of encoder and decoder (2; 1 "
                               "for the embedded G2P default)."),
    embedding_dim: int = typer.Option(None, "--embedding-dim",
                                      help="Default min(hidden, 128); hidden with --tie-weights."),
    bidirectional: bool = typer.Option(None, "--bidirectional/--unidirectional",
                                       help="Encoder direction (default bidirectional)."),
    attention: str = typer.Option(None, "--attention",
                                  help="dot, general or additive (default general)."),
    input_feeding: bool = typer.Option(None, "--input-feeding/--no-input-feeding",
                                       help="Feed the last attentional vector to the decoder."),
    dropout: float = typer.Option(None, "--dropout", help="In [0, 1) (default 0.2; 0.3 for the "
                                 "embedded G2P default)."),
    tie_weights: bool = typer.Option(None, "--tie-weights/--no-tie-weights",
                                     help="Share target embedding and output weights."),
    batch_size: int = typer.Option(None, "--batch-size", help="Pairs a batch (default 64)."),
    lr: float = typer.Option(None, "--lr", help="Adam's peak learning rate, reached after the "
                             "warm-up (default 2e-3)."),
    lr_schedule: str = typer.Option(None, "--lr-schedule",
                                    help="constant, linear or cosine (default): the decay to "
                                    "zero at the run's end (--steps, --epochs or "
                                    "--time-budget)."),
    warmup_steps: int = typer.Option(None, "--warmup-steps",
                                     help="Steps of linear warm-up to --lr (default 200; 0: "
                                     "none)."),
    clip: float = clip_option(default=5.0),
    steps: int = typer.Option(None, "--steps",
                              help="Stop after this many steps (default: no step limit)."),
    epochs: int = typer.Option(None, "--epochs", help="(default 10 when no limit is given)"),
    time_budget: float = typer.Option(None, "--time-budget", help="Stop after these seconds."),
    val_fraction: float = typer.Option(None, "--val-fraction",
                                       help="Held out, split by source text (default 0.1)."),
    eval_every: int = typer.Option(None, "--eval-every", help="Steps between held-out "
                                   "scores (default 500)."),
    checkpoint_every: int = typer.Option(None, "--checkpoint-every", help="(default 1000)"),
    keep_last: int = typer.Option(None, "--keep-last", help="Numbered checkpoints kept (3)."),
    resume: Path = typer.Option(None, "--resume", help="Continue this run exactly (its data "
                                "and options come from the checkpoint)."),
    init_from: Path = typer.Option(None, "--init-from", help="Start a new run from this "
                                   "model's weights and vocabularies (fine-tuning)."),
    seed: int = typer.Option(None, "--seed", help="(default 0)"),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    max_length: int = typer.Option(None, "--max-length", help=MAX_LEN_HELP),
    max_len: int = old_spelling("--max-len"),
    columns: str = columns_option(),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    force: bool = force_option(),
) -> None:
    """Train an encoder-decoder with attention on source<TAB>target pairs.

    Examples:
      seqlab seq2seq train --out g2p.safetensors      # G2P on CMUdict, embedded
      seqlab seq2seq train words.tsv --target-level word --out g2p.safetensors
      seqlab seq2seq train en-fr.tsv --source-level bpe --target-level bpe
      seqlab seq2seq train fra.txt --columns 1,2   # Tatoeba: en, fr, credit
    """
    from seqlab.cli.seq2seq_training import Seq2SeqOptions, run_seq2seq_training
    from seqlab.cli.threads import set_threads
    from seqlab.cli.training import saved_line

    max_len = renamed(max_length, max_len, "--max-length", "--max-len", default=MAX_LEN)
    _check_choice("--source-level", source_level, LEVELS)
    _check_choice("--target-level", target_level, LEVELS)
    _check_choice("--cell", cell, CELLS)
    _check_choice("--attention", attention, ("dot", "general", "additive"))
    _check_choice("--lr-schedule", lr_schedule, ("constant", "linear", "cosine"))
    columns = normalized_columns(columns)
    if resume is None:  # a resumed run reads the files its record names
        require_pairs(columns, pairs)
    if out is not None or resume is None:  # a resumed run's own file was written by it
        inputs = [*(pairs or ()), *(p for p in (init_from,) if p is not None)]
        check_checkpoint_output(out or Path("seq2seq.safetensors"), inputs, force=force,
                                model="Seq2Seq")
    set_threads(threads)
    architecture = {"cell": cell, "hidden_size": hidden, "num_layers": layers,
                    "embedding_dim": embedding_dim, "bidirectional": bidirectional,
                    "attention": attention, "input_feeding": input_feeding,
                    "dropout": dropout, "tie_weights": tie_weights}
    options = Seq2SeqOptions(
        pairs=pairs or None, out=out, source_level=source_level, target_level=target_level,
        vocab_size=vocab_size, architecture=architecture, batch_size=batch_size, lr=lr,
        lr_schedule=lr_schedule, warmup_steps=warmup_steps, clip=clip, steps=steps,
        epochs=epochs, time_budget=time_budget,
        val_fraction=val_fraction, eval_every=eval_every, checkpoint_every=checkpoint_every,
        keep_last=keep_last, resume=resume, init_from=init_from, seed=seed, columns=columns)
    output = Output(quiet, as_json)
    if out is None and resume is None:  # the default name: say which earlier model it replaces
        note_replaced_model(Path("seq2seq.safetensors"), output)
    summary = run_seq2seq_training(options, output, force=force, max_len=max_len)
    human = saved_line(summary["model"], summary["steps"], summary["stop_reason"])
    if summary["valid_exact_match"] is not None:
        human += (f"; held out: exact match {100 * summary['valid_exact_match']:.1f}%, token "
                  f"error rate {100 * summary['valid_token_error_rate']:.1f}%")
    output.result(summary, human, wrap=True)


def _load(model_path: Path):
    """(model, source tokenizer, target tokenizer, task), or a one-line CliError."""
    from seqlab.cli.models import refuse_other_kind
    from seqlab.nlp.tokenizers import Tokenizer
    from seqlab.seqmodels.seq2seq.translate import load_seq2seq

    require_file(model_path, "model")
    refuse_other_kind(model_path)
    try:
        model, tokenizers, _ = load_seq2seq(model_path)
    except (ValueError, OSError) as error:
        raise CliError(str(error).splitlines()[0]) from error
    return (model, Tokenizer.from_dict(tokenizers["source"]),
            Tokenizer.from_dict(tokenizers["target"]), tokenizers.get("task"))


def _input_lines(text: str | None, as_text: bool, max_len: int) -> Iterator[str]:
    """Lines from '-' (stdin, as they arrive), an existing file, or the argument itself (always
    with `as_text`); a folder, a missing file name or a line over `max_len` characters is a
    CliError."""
    if text is None or (text == "-" and not as_text):
        if hasattr(sys.stdin, "reconfigure"):  # lines end at "\n" only, not at a lone "\r"
            with contextlib.suppress(OSError, ValueError):  # (read already: left as it is)
                sys.stdin.reconfigure(newline="\n")
        yield from _checked(sys.stdin, "stdin", max_len)
        return
    if as_text:
        yield from _checked(_newline_lines(text), "--text", max_len)
        return
    path = named_file(text, "input file")  # the rule `tokenize encode` shares
    if path is not None:
        from seqlab.cli.inputs import decode_errors, translated
        from seqlab.nlp.corpora import iter_lines

        # the corpus readers' rules: --errors, a mark at byte 0, UTF-16 and binary named
        yield from _checked(translated(iter_lines(str(path), errors=decode_errors())),
                            str(path), max_len)
        return
    yield from _checked(_newline_lines(text), "the text", max_len)


def _newline_lines(text: str) -> list[str]:
    """The lines of `text` cut at "\n" only (as `corpora.iter_lines` cuts a file: a form feed,
    a U+2028 or a lone "\r" is a character of its line), a final "\n" ending the last."""
    lines = text.split("\n")
    return lines[:-1] if len(lines) > 1 and not lines[-1] else lines


def _checked(lines, source: str, max_len: int) -> Iterator[str]:
    """The lines without their line ends ("\n" and one "\r" before it); one longer than
    `max_len` characters is refused."""
    for number, line in enumerate(lines, start=1):
        line = line.removesuffix("\n").removesuffix("\r")
        if len(line) > max_len:
            raise CliError(f"{source} line {number} is {len(line):,} characters, over the "
                           f"limit of {max_len:,}; split it, or raise --max-length (time grows "
                           "with the length)")
        yield line


def draw_attention(source_tokens: list[str], target_tokens: list[str], weights) -> str:
    """The attention matrix as shaded cells: a row per output token, a column per source one."""
    width = max((len(t) for t in target_tokens), default=0)
    header = " " * (width + 1) + " ".join(t[:1] or " " for t in source_tokens)
    rows = [header]
    for token, row in zip(target_tokens, weights):
        cells = " ".join(SHADES[min(int(w * len(SHADES)), len(SHADES) - 1)] for w in row)
        rows.append(f"{token:>{width}} {cells}")
    return "\n".join(rows)


def _token_strings(tokenizer: Any, ids: list[int]) -> list[str]:
    return [tokenizer.id_to_token(int(i)) for i in ids]


@app.command("translate")
def translate(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    text: str = typer.Argument(None, metavar="[TEXT|FILE|-]",
                               help="A line, a file of lines, or '-' for stdin (default). "
                               "No lines in: no output, exit 0."),
    beam: int = typer.Option(1, "--beam", help="Beam width (1: greedy)."),
    nbest: int = typer.Option(1, "--nbest", help="Outputs per input (<= --beam)."),
    length_penalty: float = typer.Option(1.0, "--length-penalty",
                                         help="Scores are log-probability / length ** "
                                         "this (length counting </s>; 0: the total). It ranks "
                                         "the beam; at --beam 1 it changes the score only."),
    max_len_a: float = typer.Option(2.0, "--max-len-a", help="Output length limit: a * "
                                    "source length + b."),
    max_len_b: int = typer.Option(10, "--max-len-b", help="See --max-len-a."),
    attention: bool = typer.Option(False, "--attention",
                                   help="Draw each attention matrix (on stderr)."),
    as_text: bool = typer.Option(False, "--text", help="Translate the argument itself, even "
                                 "when it names a file or looks like a file name."),
    max_length: int = typer.Option(None, "--max-length", help=MAX_LEN_HELP),
    max_len: int = old_spelling("--max-len"),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object: each line's input, "
                                 "source, translation, score and logprob (the total "
                                 "log-probability; with --nbest N: its nbest)."),
) -> None:
    """Translate each input line; one output per line (with --nbest N: `i ||| text ||| score`).
    A score is log-probability / length ** --length-penalty at every --beam.

    The argument is read as a file when one of that name exists (a folder is refused), as
    text otherwise; a name that looks like a file's (a path separator, or an extension such
    as .txt) but names none is refused. --text always takes it as text; '-' (or nothing)
    reads stdin. A file or stdin is split into lines at \\n only (a \\r\\n end loses its \\r;
    a lone \\r stays inside its line).
    """
    from seqlab.seqmodels.seq2seq.translate import Translator

    max_len = renamed(max_length, max_len, "--max-length", "--max-len", default=MAX_LEN)
    use_threads(threads)
    if max_len_a == 0 and max_len_b < 1:
        raise CliError(f"--max-len-a 0 with --max-len-b {max_len_b} allows no output token: "
                       "give --max-len-b 1 or more, or --max-len-a above 0", code=EXIT_USAGE)
    if nbest > beam:
        raise CliError(f"--nbest {nbest} needs a beam at least as wide: add --beam {nbest}",
                       code=2)
    model, source_tokenizer, target_tokenizer, _ = _load(model_path)
    translator = Translator(model, source_tokenizer, target_tokenizer, beam=beam, nbest=nbest,
                            length_penalty=length_penalty, max_len_a=max_len_a,
                            max_len_b=max_len_b)
    batch_size = 1 if text in (None, "-") else 32
    document = TranslationsJson(_input_name(text, as_text)) if as_json else None
    try:
        _translate_lines(translator, _input_lines(text, as_text, max_len), batch_size,
                         attention, nbest, source_tokenizer, target_tokenizer, document)
    except BaseException as error:  # bad input, Ctrl-C: stdout stays one JSON object
        if document is not None and document.written:
            document.close(error)
        raise
    if document is not None:
        document.close()


def _input_name(text: str | None, as_text: bool) -> str:
    """How `--json` names the input: 'stdin', the file, or 'text' (the argument itself)."""
    if text is None or (text == "-" and not as_text):
        return "stdin"
    if not as_text and named_file(text, "input file") is not None:
        return text
    return "text"


def _translate_lines(translator: Any, lines: Iterator[str], batch_size: int, attention: bool,
                     nbest: int, source_tokenizer: Any, target_tokenizer: Any,
                     document: TranslationsJson | None) -> None:
    """Write each line's translation (plain, or an item of the --json `document`)."""
    warned = False
    for index, (line, found) in enumerate(translator.stream(
            lines, batch_size=batch_size, attention=attention)):
        if document is not None:
            document.add(index + 1, line, found, nbest)
        elif nbest == 1:
            write_stream(found[0].text + "\n")
        else:
            for hypothesis in found:
                write_stream(f"{index} ||| {hypothesis.text} ||| {hypothesis.score:.4f}\n")
        if attention and found[0].attention is not None:
            source_ids = source_tokenizer.encode(line) or [source_tokenizer.unk_id]
            stderr.print(draw_attention(_token_strings(source_tokenizer, source_ids),
                                        _token_strings(target_tokenizer, found[0].tokens),
                                        found[0].attention), highlight=False)
        # the count is per batch (decoded before its lines are yielded): name the line itself
        unknown = translator.unknown_in(line) if translator.unknown_tokens and not warned else 0
        if unknown:
            warned = True
            tokens, they_are = ("token", "it is") if unknown == 1 else ("tokens", "they are")
            Output().warn(f"line {index + 1} has {unknown} source {tokens} never seen in "
                          f"training; {they_are} read as <unk> (later lines are not named)")


@app.command("eval")
def evaluate(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    pairs: list[Path] = typer.Argument(None, metavar="[PAIRS...]",
                                       help="TSV files of source<TAB>reference lines. None: "
                                       "the embedded G2P default's held-out words."),
    beam: int = typer.Option(5, "--beam", help="Beam width (default 5: about 1 point of WER "
                             "better than greedy on G2P; 1: greedy, faster)."),
    length_penalty: float = typer.Option(1.0, "--length-penalty",
                                         help="Beam scores are log-probability / length ** this "
                                         "(0: the total)."),
    max_length: int = typer.Option(None, "--max-length", help=MAX_LEN_HELP),
    max_len: int = old_spelling("--max-len"),
    columns: str = columns_option(),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    scratch: Path = scratch_option(),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Exact match, token error rate, BLEU and chrF on held-out pairs.

    With --json: exact_match and token_error_rate (also as exact_match_fraction and
    token_error_rate_fraction) are fractions, 1.0 = 100%; bleu and chrf are on sacreBLEU's
    0-100 scale.

    The output text (what `translate` prints) is scored against the references as written,
    never through the model's vocabulary: BLEU and chrF are sacreBLEU's defaults (13a
    tokenization, exp smoothing; a source's references all count), exact match and token
    error rate use the target tokenizer's split of the closest reference (an output <unk>
    matches no word).
    With no PAIRS, a model trained on the embedded G2P default is scored on its held-out
    words by exact match, token error rate, and word and phoneme error rates without stress
    (wer, per) and with it (wer_stress, per_stress).
    """
    from seqlab.cli.seq2seq_training import G2P_TASK
    from seqlab.seqmodels.seq2seq.translate import Translator

    columns = normalized_columns(columns)
    require_pairs(columns, pairs)
    max_len = renamed(max_length, max_len, "--max-length", "--max-len", default=MAX_LEN)
    checked_scratch(scratch)
    use_threads(threads)
    model, source_tokenizer, target_tokenizer, task = _load(model_path)
    if not pairs and task != G2P_TASK:
        raise CliError(f"{model_path} was not trained on the embedded G2P default; give the "
                       "PAIRS files to score it on")
    translator = Translator(model, source_tokenizer, target_tokenizer, beam=beam,
                            length_penalty=length_penalty)
    with _source_groups(pairs, max_len, columns, scratch) as groups:
        scores = _score_groups(groups, translator, target_tokenizer, bool(pairs))
    scores["beam"] = beam
    scores["sentences"] = int(scores["sentences"])  # a count, in the JSON as an integer
    scores.update(fraction_keys(scores))
    if translator.unknown_tokens:
        unknown = translator.unknown_tokens
        tokens_were = "token was" if unknown == 1 else "tokens were"
        Output().warn(f"{unknown} source {tokens_were} never seen in training (read as <unk>)")
    human = (f"{scores['sentences']} sources (beam {beam}): exact match "
             f"{100 * scores['exact_match']:.2f}%, token error rate "
             f"{100 * scores['token_error_rate']:.2f}%")
    if "bleu" in scores:
        human += f", BLEU {scores['bleu']:.2f}, chrF {scores['chrf']:.2f}"
    if "wer" in scores:
        human += (f"; without stress WER {100 * scores['wer']:.2f}%, PER "
                  f"{100 * scores['per']:.2f}%")
    Output(as_json=as_json).result(scores, human)


FRACTIONS = ("exact_match", "token_error_rate", "wer", "per", "wer_stress", "per_stress")


def fraction_keys(scores: dict[str, Any]) -> dict[str, Any]:
    """`exact_match_fraction` and the like: the scores that are fractions (1.0 = 100%) again,
    under names that say so, beside the old names scripts read; BLEU and chrF stay on
    sacreBLEU's 0-100 under its names."""
    return {f"{name}_fraction": scores[name] for name in FRACTIONS if name in scores}


@contextlib.contextmanager
def _source_groups(pairs: list[Path] | None, max_len: int, columns: str | None,
                   scratch: Path | None = None) -> Iterator[Any]:
    """The PAIRS files (or the embedded G2P held-out words) grouped by source, reading the
    `--columns` fields, spilling past memory to `scratch` (the system's temporary folder by
    default); a file that is not pairs of text, or a full disk in that folder, is a one-line
    CliError, also when found while the groups are read."""
    from seqlab.cli.inputs import decode_errors, remedy
    from seqlab.cli.pair_columns import library_columns, pairs_message
    from seqlab.cli.seq2seq_training import g2p_pairs
    from seqlab.seqmodels.seq2seq.data import PairFileError
    from seqlab.seqmodels.seq2seq.source_groups import grouped_pair_files, grouped_pairs

    if not pairs:
        yield grouped_pairs(g2p_pairs()[1])
        return
    for path in pairs:
        require_file(path, "PAIRS file")
    try:
        with grouped_pair_files(pairs, max_len, decode_errors(), library_columns(columns),
                                scratch_dir=scratch) as groups:
            if not len(groups):
                raise CliError(f"no pairs in {', '.join(map(str, pairs))}: each line must be "
                               "source<TAB>target")
            yield groups
    except PairFileError as error:
        raise CliError(pairs_message(remedy(str(error)))) from error
    except OSError as error:
        if not is_scratch_error(error, scratch):
            raise
        raise CliError(scratch_error_line(error, scratch)) from error


def _score_groups(groups: Any, translator: Any, target_tokenizer: Any,
                  pairs_given: bool) -> dict[str, float]:
    """The scores (`sentences`: the distinct sources): each group's source translated (64 at
    a time, in the order the sources first appear) and scored against its references, which
    are read back one group at a time. PAIRS are scored as text, as sacreBLEU scores
    `translate`'s output against the raw references (`seq2seq.text_scoring`); the embedded
    G2P default gets G2P's error rates. Either way a reference is split by the target
    tokenizer without its vocabulary: an unseen word is itself, never <unk>."""
    from seqlab.seqmodels.seq2seq.scoring import G2PTotals
    from seqlab.seqmodels.seq2seq.text_scoring import TextScoreTotals, output_tokens

    tokenize = target_tokenizer.tokenize
    totals: Any = TextScoreTotals(tokenize) if pairs_given else G2PTotals()

    def add(found: Any, references: Any) -> None:
        tokens = output_tokens(target_tokenizer, found[0].tokens)
        if pairs_given:
            totals.add(found[0].text, references, tokens)
        else:
            totals.add(tokens, (tokenize(reference) for reference in references))

    for group, (_, found) in enumerate(translator.stream(groups.sources(), batch_size=64)):
        add(found, groups.references(group))
    strays = groups.strays()  # sources that shared a 64-bit hash with another: in practice none
    for (_, found), (_, references) in zip(translator.stream(
            (source for source, _ in strays), batch_size=64), strays, strict=True):
        add(found, references)
    return totals.scores()
