"""`seqlab word2vec train|similar|analogy|evaluate|export`: skip-gram / CBOW vectors."""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path

import typer

from seqlab.cli import outputs
from seqlab.cli.console import Output
from seqlab.cli.errors import CliError, require_file
from seqlab.cli.inputs import StreamedSentences, corpus_lines, no_tokens
from seqlab.cli.option_aliases import old_spelling, renamed
from seqlab.cli.progress import make_progress, rate_text

app = typer.Typer(help="Train and query word2vec vectors (gensim-compatible files).",
                  no_args_is_help=True)


def _is_binary(path: Path, binary: bool | None) -> bool:
    return binary if binary is not None else path.suffix in (".bin", ".w2v")


def load_vectors(path: Path, binary: bool | None = None):
    """KeyedVectors from a word2vec text or binary file (format detected unless --binary or
    --text says) or a file of `Word2Vec.save` / `KeyedVectors.save`, or a CliError naming
    the problem."""
    from seqlab.cli import file_kinds
    from seqlab.nlp.word2vec import KeyedVectors, Word2Vec
    from seqlab.nlp.word2vec.saved import refuse_pickle

    require_file(path, "vectors file")
    saved = file_kinds.word2vec_saved_kind(path)
    try:
        if saved == "keyed_vectors":
            return KeyedVectors.load(path)
        if saved == "word2vec":
            return Word2Vec.load(path).wv
        # gensim's own Word2Vec.save file: say so (and which command reads what to write
        # instead), not "bad header"
        refuse_pickle(path, f"read them with: {_command_line()}")
        return KeyedVectors.load_word2vec_format(path, binary=binary, no_header=None)
    except UnicodeDecodeError as error:
        raise CliError(f"cannot read vectors from {path}: a word is not UTF-8 (byte offset "
                       f"{error.start} of its entry); is it a word2vec file?") from error
    except (ValueError, OSError, MemoryError) as error:
        other = _other_kind(path)
        if other is not None:
            raise CliError(f"{path} is {other}, not a vectors file; give word2vec text or "
                           "binary vectors, as `seqlab word2vec train --out` writes") from error
        if str(error).startswith(str(path)):  # a sentence about the file: as it is
            raise CliError(f"cannot read vectors: {error}") from error
        named = str(error) if str(path) in str(error) else f"{path}: {error}"
        raise CliError(f"cannot read vectors from {named}") from error


def _command_line() -> str:
    """The running command reading 'vectors.bin' ('seqlab word2vec similar vectors.bin'; info
    too reads vectors), for the pickle refusal's hint."""
    import click

    context = click.get_current_context(silent=True)
    command = context.command_path if context is not None else "seqlab word2vec similar"
    return f"{command} vectors.bin"


def _other_kind(path: Path) -> str | None:
    """What another kind of seqlab (or ARPA) file `path` is, in words; None if none."""
    from seqlab.cli import file_kinds
    from seqlab.cli.outputs import model_kind

    kind = file_kinds.kind_of(path)
    if kind == file_kinds.CHECKPOINT:
        return model_kind(file_kinds.checkpoint_model(path))
    if kind in (None, file_kinds.WORD2VEC, file_kinds.FOREIGN_WORD2VEC,
                file_kinds.WORD2VEC_SAVED):
        return None
    return f"{'an' if kind[0] in 'aeiouAEIOU' else 'a'} {kind}"


class _ProgressCallback:
    def __init__(self, progress, task) -> None:
        self.progress, self.task, self.started = progress, task, time.perf_counter()
        self.losses: list[float] = []

    def on_progress(self, model, words_done: int, total_words: int) -> None:
        elapsed = time.perf_counter() - self.started
        self.progress.update(self.task, completed=words_done, total=total_words,
                             rate=rate_text(words_done, elapsed, "words"))

    def on_epoch_end(self, model, epoch: int, loss, words_per_sec: float) -> None:
        if loss is not None:
            self.losses.append(float(loss))
            self.progress.update(self.task, info=f"epoch {epoch + 1} loss {loss:,.0f}")


@app.command("train")
def train(
    files: list[Path] = typer.Argument(None, help="Text files/folders, one sentence per line."
                               " A folder: its *.txt files (any case), recursively."),
    out: Path = typer.Option(Path("vectors.txt"), "--out", "-o",
                             help="Vectors file (.bin = binary)."),
    corpus: str = typer.Option(None, "--corpus", help="Embedded corpus with no FILES: wiki "
                               "(default), lee or polarity."),
    cbow: bool = typer.Option(False, "--cbow/--sg", help="CBOW instead of skip-gram."),
    dim: int = typer.Option(100, "--dim", help="Vector size."),
    window: int = typer.Option(5, "--window", help="Context words on each side (as gensim)."),
    min_count: int = typer.Option(5, "--min-count",
                                  help="Drop words seen fewer times (as gensim)."),
    negative: int = typer.Option(5, "--negative", help="Negative samples (0 with --hs)."),
    hs: bool = typer.Option(False, "--hs", help="Hierarchical softmax."),
    sample: float = typer.Option(1e-3, "--sample", help="Subsampling threshold."),
    epochs: int = typer.Option(5, "--epochs", help="Passes over the corpus (as gensim)."),
    threads: int = typer.Option(None, "--threads", help="Threads to train with (default 2). "
                                "More than one update the vectors without locks, as gensim's "
                                "workers do, so runs differ a little; --threads 1 gives the "
                                "same vectors for the same --seed, as gensim's workers=1."),
    workers: int = old_spelling("--workers"),
    seed: int = typer.Option(1, "--seed", help="Random seed; with --threads 1 the same seed "
                             "gives the same vectors."),
    lowercase: bool = typer.Option(True, "--lowercase/--keep-case",
                                   help="Lowercase the text first (as most word2vec recipes)."),
    binary: bool = typer.Option(None, "--binary/--text", help="File format (default: by suffix)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    force: bool = outputs.force_option(),
) -> None:
    """Train word vectors.

    Example:
      seqlab word2vec train --corpus wiki --dim 100 --epochs 5 --out wiki.txt
    """
    from seqlab.cli.allocator import give_back_freed_memory
    from seqlab.nlp.tokenizers import WordTokenizer
    from seqlab.nlp.word2vec import Word2Vec
    from seqlab.nlp.word2vec.model import EmptyVocabularyError

    threads = renamed(threads, workers, "--threads", "--workers", default=2)
    outputs.check_output(out, outputs.WORD2VEC, files or (), force=force)
    if not hs and negative <= 0:
        raise CliError("--negative 0 without --hs leaves nothing to train: give --negative 5 "
                       "(negative sampling) or --hs (hierarchical softmax)", code=2)
    give_back_freed_memory()  # streamed passes: each freed piece of text goes back to the system
    output = Output(quiet, as_json)
    tokenizer = WordTokenizer(lowercase=lowercase)
    with contextlib.ExitStack() as scratch:
        # ids of the epochs, and a copy of stdin (read once per epoch), beside the output
        folder = Path(scratch.enter_context(tempfile.TemporaryDirectory(
            prefix=f".{out.name}.ids-", dir=out.resolve().parent)))
        if files:  # read from disk on every epoch, as gensim's LineSentence
            sources = scratch.enter_context(_spooled(files, folder))
            sentences = StreamedSentences(sources, tokenizer.tokenize)
        else:
            sentences = [s for s in (tokenizer.tokenize(line) for line in
                                     corpus_lines(None, corpus or "wiki")) if s]
        if next(iter(sentences), None) is None:
            raise no_tokens(files, "words to train on", sources) if files else \
                CliError("the corpus has no words to train on")
        try:
            model = Word2Vec(vector_size=dim, window=window, min_count=min_count, sample=sample,
                             sg=0 if cbow else 1, hs=int(hs), negative=negative, epochs=epochs,
                             workers=threads, seed=seed, compute_loss=True)
            model.build_vocab(sentences)
        except EmptyVocabularyError as error:
            raise CliError(f"no word occurs --min-count {error.min_count} times in the corpus "
                           f"({error.total_words:,} words, {error.distinct:,} distinct): give a "
                           "lower --min-count, or a larger corpus") from error
        except ValueError as error:
            raise CliError(str(error)) from error
        if isinstance(sentences, StreamedSentences):  # epochs read ids, not text (see encoded)
            from seqlab.nlp.word2vec.encoded import EncodedSentences

            sentences = EncodedSentences.encode(sentences, model.wv.key_to_index, folder)
        started = time.perf_counter()
        with make_progress("words", output.show_progress) as progress:
            task = progress.add_task("word2vec", total=None, rate="", info="")
            callback = _ProgressCallback(progress, task)
            trained, raw = model.train(sentences, total_words=model.corpus_total_words,
                                       epochs=epochs, callbacks=[callback])
        seconds = time.perf_counter() - started
    vectors = model.wv
    del model  # its output layer and tables go before the file is written
    vectors.save_word2vec_format(out, binary=_is_binary(out, binary))
    output.result(
        {"path": str(out), "vocabulary": len(vectors), "dim": dim, "effective_words": trained,
         "raw_words": raw, "seconds": seconds, "words_per_sec": trained / max(seconds, 1e-9),
         "epoch_losses": callback.losses},
        f"Wrote {len(vectors):,} vectors of size {dim} to {out} "
        f"({rate_text(trained, seconds, 'words')})",
    )


def _spooled(files: list[Path], folder: Path):
    """FILES with '-' replaced by a copy of stdin in `folder` (a CliError if '-' is repeated)."""
    from seqlab.nlp.corpora import replace_stdin, spooled_stdin

    try:
        replace_stdin(files, folder)
    except ValueError as error:
        raise CliError(str(error), code=2) from error
    return spooled_stdin(files, folder)


# "-man" is a word to subtract, not options -m -a -n: unknown dashed words stay arguments, and
# only --help (not -h, which "-hat" would contain) asks for help.
@app.command("similar", context_settings={"ignore_unknown_options": True,
                                          "help_option_names": ["--help"]})
def similar(
    vectors: Path = typer.Argument(..., help="Vectors file."),
    words: list[str] = typer.Argument(..., help="Positive words (prefix with - to subtract)."),
    topn: int = typer.Option(10, "--topn", help="Neighbours shown."),
    binary: bool = typer.Option(None, "--binary/--text", help="File format (default: "
                                "detected)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Nearest words by cosine similarity; a word written -word is subtracted.

    Example: seqlab word2vec similar vectors.txt king -man woman
    """
    kv = load_vectors(vectors, binary)
    positive = [w for w in words if not w.startswith("-") or w == "-"]
    negative = [w[1:] for w in words if w.startswith("-") and w != "-"]
    try:
        results = kv.most_similar(positive=positive, negative=negative, topn=topn)
    except KeyError as error:
        raise CliError(f"{error.args[0] if error.args else error} (not in {vectors})") from error
    Output(as_json=as_json).result(
        {"query": words, "similar": [{"word": w, "similarity": float(s)} for w, s in results]},
        "\n".join(f"{s:7.4f}  {w}" for w, s in results),
    )


@app.command("analogy")
def analogy(
    vectors: Path = typer.Argument(...),
    a: str = typer.Argument(..., help="a in a : b :: c : ?"),
    b: str = typer.Argument(...),
    c: str = typer.Argument(...),
    topn: int = typer.Option(5, "--topn", help="Answers shown."),
    binary: bool = typer.Option(None, "--binary/--text", help="File format (default: "
                                "detected)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Solve a : b :: c : ? (b - a + c).

    Example: seqlab word2vec analogy vectors.txt man king woman
    """
    kv = load_vectors(vectors, binary)
    try:
        results = kv.most_similar(positive=[b, c], negative=[a], topn=topn)
    except KeyError as error:
        raise CliError(f"{error.args[0] if error.args else error} (not in {vectors})") from error
    Output(as_json=as_json).result(
        {"analogy": [a, b, c], "answers": [{"word": w, "similarity": float(s)}
                                           for w, s in results]},
        "\n".join(f"{s:7.4f}  {w}" for w, s in results),
    )


@app.command("evaluate")
def evaluate(
    vectors: Path = typer.Argument(...),
    pairs: list[Path] = typer.Option(None, "--pairs", help="Word-pair files (default: "
                                     "embedded WordSim-353 and SimLex-999)."),
    analogies: Path = typer.Option(None, "--analogies", help="Analogy file (default: "
                                   "embedded questions-words)."),
    binary: bool = typer.Option(None, "--binary/--text", help="File format (default: "
                                "detected)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Spearman correlation on word-similarity sets and analogy accuracy.

    Example: seqlab word2vec evaluate vectors.txt
    """
    from seqlab.cli.embedding_scores import correlations, low_coverage, score_line
    from seqlab.cli.inputs import decode_errors, remedy
    from seqlab.nlp import corpora
    from seqlab.nlp.word2vec.keyedvectors import EvaluationFileError, NoJudgementsError

    kv = load_vectors(vectors, binary)
    pair_files = [(p.name, p) for p in pairs] if pairs else [
        (name, corpora.corpus_path(name)) for name in ("wordsim353", "simlex999")]
    analogy_file = analogies or corpora.corpus_path("questions-words")
    report: dict[str, dict] = {}
    errors = decode_errors()
    for name, path in pair_files:
        require_file(Path(path), "word-pair file")
        counts: dict[str, int] = {}
        try:
            scores = correlations(kv, path, errors, counts)
        except EvaluationFileError as error:
            raise CliError(remedy(str(error))) from error
        except NoJudgementsError:  # every pair out of vocabulary: nothing to correlate
            scores = {"pearson": None, "spearman": None, "oov_percent": 100.0,
                      "undefined": "no pair is in the vocabulary"}
        report[name] = {**scores, "pairs_used": counts["used"],
                        "pairs_skipped": counts["skipped"]}
    require_file(Path(analogy_file), "analogy file")
    counts = {}
    try:
        accuracy, _sections = kv.evaluate_word_analogies(analogy_file, errors=errors,
                                                         counts=counts)
        accuracy_shown: float | None = float(accuracy) if counts["used"] else None
    except EvaluationFileError as error:
        raise CliError(remedy(str(error))) from error
    except ValueError:
        accuracy_shown = None
    report["analogies"] = {"accuracy": accuracy_shown, "questions_used": counts.get("used", 0),
                           "questions_skipped": counts.get("skipped", 0)}
    output = Output(as_json=as_json)
    for name, values in report.items():
        caution = low_coverage(name, values)
        if caution:
            output.warn(caution)
    output.result(report, "\n".join(score_line(name, values) for name, values in report.items()))


@app.command("export")
def export(
    vectors: Path = typer.Argument(..., help="Vectors file to convert."),
    out: Path = typer.Argument(..., help="Output file."),
    binary: bool = typer.Option(None, "--binary/--text", help="Output format (default: suffix)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    force: bool = outputs.force_option(),
) -> None:
    """Convert between word2vec text and binary formats (both read by gensim).

    Example: seqlab word2vec export vectors.txt vectors.bin --binary
    """
    outputs.check_output(out, outputs.WORD2VEC, [vectors], force=force, option="OUT")
    kv = load_vectors(vectors)
    try:  # a binary key may hold a newline, which text cannot
        kv.save_word2vec_format(out, binary=_is_binary(out, binary))
    except ValueError as error:
        raise CliError(f"cannot write {out}: {error}") from error
    Output(as_json=as_json).result({"path": str(out), "vectors": len(kv)},
                                   f"Wrote {len(kv):,} vectors to {out}")
