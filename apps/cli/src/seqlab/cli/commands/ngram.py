"""`seqlab ngram train|eval|generate|export-arpa`: count-based language models with ARPA files."""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seqlab.cli import outputs
from seqlab.cli.console import Output, write_stream
from seqlab.cli.errors import CliError, require_file, write_error_line
from seqlab.cli.inputs import corpus_lines, decode_errors, no_tokens, translated
from seqlab.cli.loss_display import loss_text
from seqlab.cli.phase_progress import PhaseProgress
from seqlab.cli.sizes import parse_size

if TYPE_CHECKING:
    from seqlab.nlp.ngram.tally import SentenceTally

app = typer.Typer(help="Train, evaluate and sample n-gram language models (ARPA files).",
                  no_args_is_help=True)

SMOOTHING = ("kneser-ney", "witten-bell", "add-k", "laplace", "mle", "stupid-backoff")
# ARPA separates tokens by whitespace, so a character-level model spells the space as this.
SPACE = "\u2581"


def sentences_of(lines: Iterable[str], level: str, lowercase: bool,
                 pattern: str = "graphemes") -> Iterator[list[str]]:
    """Token lists, one per line: words (by the word `pattern`), whitespace-separated tokens
    or characters."""
    from seqlab.nlp.ngram.kenlm_split import kenlm_split
    from seqlab.nlp.ngram.sentences import LineTokens

    if level == "whitespace" and not lowercase:
        return map(kenlm_split, lines)  # what LineTokens does, without its call per line
    return map(LineTokens(level, lowercase, pattern=pattern), lines)


def corpus_sentences(files: list[Path] | None, corpus: str | None, level: str,
                     lowercase: bool, pattern: str = "graphemes",
                     blank_lines: bool = False, refused: str = "",
                     training: bool = True) -> Iterator[list[str]]:
    """The non-empty token lists of FILES' lines (streamed: a line longer than a chunk comes
    in `ContinuedLine` parts, which counting and scoring take as one sentence, see
    `file_sentences`) or of an embedded corpus; with `blank_lines` (scoring, as KenLM) a line
    without tokens too, as an empty list. `refused`: characters that end the command with
    `char_refusal` (for `training` or scoring) where standard input holds them, found as it
    streams (FILES are checked before: `check_char_text`)."""
    if not files:
        sentences = sentences_of(corpus_lines(files, corpus), level, lowercase, pattern)
        return sentences if blank_lines else filter(None, sentences)
    from seqlab.nlp.corpora import has_stdin
    from seqlab.nlp.ngram.sentences import LineTokens, file_sentences

    watched = watched_stdin(refused) if refused and has_stdin(files) else None
    sentences = translated(file_sentences([str(f) for f in files],
                                          LineTokens(level, lowercase, pattern=pattern),
                                          errors=decode_errors(), in_parts=True,
                                          blank_lines=blank_lines, stdin=watched))
    return sentences if watched is None else refusing(sentences, training)


def watched_stdin(characters: str):
    """Standard input's bytes, watched for `characters` as they are read."""
    import sys

    from seqlab.nlp.ngram.character_watch import WatchedStream

    return WatchedStream(sys.stdin.buffer, characters, "standard input")


def refusing(sentences: Iterable[list[str]], training: bool) -> Iterator[list[str]]:
    """`sentences`, a character found by `watched_stdin` ending the command (`char_refusal`)."""
    from seqlab.nlp.ngram.character_watch import CharacterFound

    try:
        yield from sentences
    except CharacterFound as found:
        raise char_refusal(found.found, training) from None


def build_model(smoothing: str, order: int, k: float, unk_cutoff: int):
    from seqlab.nlp import ngram

    if smoothing == "kneser-ney":
        return ngram.KneserNey(order, unk_cutoff=unk_cutoff)
    if smoothing == "witten-bell":
        return ngram.WittenBell(order, unk_cutoff=unk_cutoff)
    if smoothing == "add-k":
        return ngram.AddK(order, k=k, unk_cutoff=unk_cutoff)
    if smoothing == "laplace":
        return ngram.Laplace(order, unk_cutoff=unk_cutoff)
    if smoothing == "mle":
        return ngram.MLE(order, unk_cutoff=unk_cutoff)
    if smoothing == "stupid-backoff":
        return ngram.StupidBackoff(order, unk_cutoff=unk_cutoff)
    raise CliError(f"--smoothing must be one of {', '.join(SMOOTHING)}, got {smoothing!r}",
                   code=2)


def load_ngram(path: Path):
    """An n-gram model from an ARPA file or a seqlab .npz model file."""
    from seqlab.cli.file_kinds import is_arpa, is_ngram_npz
    from seqlab.nlp import ngram

    require_file(path, "n-gram model")
    arpa = path.suffix == ".arpa" or is_arpa(path)
    if not arpa and not is_ngram_npz(path):
        raise CliError(f"{path} is not an n-gram model: give an ARPA file or a .npz model "
                       "written by `seqlab ngram train`")
    try:
        return ngram.load_arpa(path) if arpa else ngram.load(path)
    except (ValueError, OSError, UnicodeDecodeError) as error:
        raise CliError(f"{error}".split("\n")[0]) from error


def is_char_level(model) -> bool:
    from seqlab.nlp.ngram import BOS, EOS, UNK

    words = [w for w in model.vocab if w not in (BOS, EOS, UNK)]
    return bool(words) and all(len(w) == 1 for w in words)


def model_tokens(model, level: str | None = None, lowercase: bool | None = None,
                 command: str = "seqlab ngram eval") -> tuple[str, bool, str]:
    """(level, lowercase, word pattern) to read text for `model`: the options given, else what
    the model records it was trained on (files seqlab writes since December 2026), else the
    level `unrecorded_level` says (the model's `score(str)` reads the same way), and no
    lowercasing, as seqlab's older files were read (an unmarked ARPA file's reading is said in
    one info line naming `command`'s --level); the word pattern the model records, else the
    one before marks were kept (what old models used)."""
    from seqlab.nlp.ngram.mark import PATTERN_WHEN_UNRECORDED

    recorded = getattr(model, "tokenization", None) or {}
    if level is None:
        level = recorded.get("level") or unrecorded_level(model)
        if not recorded.get("level") and getattr(model, "written_elsewhere", False):
            Output().info(_unmarked_reading(level, command))
    if level not in ("word", "whitespace", "char"):
        raise CliError(f"--level must be word, whitespace or char, got {level!r}", code=2)
    if lowercase is None:
        lowercase = bool(recorded.get("lowercase", False))
    return level, lowercase, str(recorded.get("pattern", PATTERN_WHEN_UNRECORDED))


def unrecorded_level(model: Any) -> str:
    """The level of a model that records none (see `model_tokens`): for an ARPA file without
    seqlab's mark, char where it holds seqlab's character level (U+2581 for the space, as
    seqlab wrote them before it marked its files), else whitespace (as lmplz and KenLM read
    text: a KenLM character model holds space-separated characters); for seqlab's other
    files, char for a vocabulary of single characters, else word."""
    if getattr(model, "written_elsewhere", False):
        return "char" if model.holds_seqlab_characters() else "whitespace"
    return "char" if is_char_level(model) else "word"


def _unmarked_reading(level: str, command: str) -> str:
    """One info line: how the text for an ARPA file without seqlab's mark line is read, and
    the option that reads it otherwise."""
    how = ("by characters (it holds seqlab's character level)" if level == "char" else
           "as whitespace-separated tokens (as KenLM reads text)")
    other = "whitespace or word" if level == "char" else "word or char"
    return (f"the model file records no tokenization (no seqlab mark line): reading the text "
            f"{how}; {command} --level {other} reads it otherwise")


def recorded_tokenization(level: str, lowercase: bool) -> dict[str, str | bool]:
    """What `ngram train` records for its tokens (the word level names its pattern)."""
    from seqlab.nlp.ngram.sentences import LineTokens

    return LineTokens(level, lowercase).recorded()


def save_model(model, out: Path) -> None:
    if out.suffix == ".arpa":
        try:
            model.save_arpa(out)
        except TypeError as error:
            raise CliError(str(error).replace("save it as .npz", "give a .npz --out")) from error
    else:
        model.save(out)


@app.command("train")
def train(
    files: list[Path] = typer.Argument(None, help="Text files/folders, one sentence per line."
                               " A folder: its *.txt files (any case), recursively."),
    out: Path = typer.Option(Path("model.arpa"), "--out", "-o",
                             help=".arpa (KenLM/SRILM) or .npz (seqlab)."),
    corpus: str = typer.Option(None, "--corpus", help="Embedded corpus when no FILES."),
    order: int = typer.Option(3, "--order", "-n", help="Longest n-gram counted."),
    smoothing: str = typer.Option("kneser-ney", "--smoothing", "-s",
                                  help=", ".join(SMOOTHING)),
    k: float = typer.Option(1.0, "--k", help="add-k's k."),
    level: str = typer.Option("word", "--level", help="word (punctuation split off), "
                              "whitespace (tokens between spaces, as lmplz) or char."),
    unk_cutoff: int = typer.Option(1, "--unk-cutoff",
                                   help="Words seen fewer times become <unk>."),
    lowercase: bool = typer.Option(False, "--lowercase", help="Lowercase the text first."),
    memory: str = typer.Option("1G", "--memory", help="Memory budget (as lmplz -S): "
                               "counting spills sorted runs to disk beside --out; Kneser-Ney "
                               "to .arpa also estimates and writes within it (with "
                               "--cluster too: the merged counts go to disk). It includes "
                               "the process's own ~320 MiB (Python, NumPy, kernels): from "
                               "640M the peak stays within it."),
    cluster: str = typer.Option(None, "--cluster", help="Count on a Dask cluster: a scheduler "
                                "address (tcp://host:8786) or local:N worker processes."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    force: bool = outputs.force_option(),
) -> None:
    """Count n-grams and write a smoothed model.

    Example: seqlab ngram train corpus.txt --order 3 --out corpus.arpa
    """
    if level not in ("word", "whitespace", "char"):
        raise CliError(f"--level must be word, whitespace or char, got {level!r}", code=2)
    outputs.check_output(out, outputs.NGRAM, files or (), force=force)
    output = Output(quiet, as_json)
    memory_bytes = parse_size("--memory", memory)
    note_process_floor(memory, memory_bytes, output)
    if level == "char" and files:
        check_char_text(files, out)
    model = build_model(smoothing, order, k, unk_cutoff)
    started = time.perf_counter()
    # Kneser-Ney to .arpa: estimated and written within --memory too (as lmplz -S)
    streamed = smoothing == "kneser-ney" and out.suffix == ".arpa"
    model.tokenization = recorded_tokenization(level, lowercase)
    if cluster is not None:
        tally, written = fit_on_cluster(model, files, cluster, level, lowercase, memory_bytes,
                                        arpa_out=out if streamed else None)
        if streamed:
            model = written
    else:
        refused = refused_characters(out) if level == "char" else ""
        shown = PhaseProgress("ngram train", output.show_progress)
        from seqlab.nlp.ngram.tally import SentenceTally

        tally = SentenceTally(corpus_sentences(files, corpus, level, lowercase,
                                               refused=refused), on_tokens=shown.tokens)
        scratch = out.resolve().parent
        try:
            with shown:
                shown.phase("reading", announce=False)
                if streamed:
                    model = streamed_kneser_ney(tally, order, out, memory_bytes, unk_cutoff,
                                                scratch, model.tokenization, shown.phase)
                else:
                    model.fit_external(tally, memory_bytes, scratch_dir=scratch)
        except OSError as error:  # the counts spill to a scratch folder beside --out
            raise CliError(write_error_line(error, out)) from error
        except ValueError as error:
            if tally.sentences == 0:
                raise (no_tokens(files, "tokens to count") if files else
                       CliError("the corpus has no tokens to count")) from error
            raise CliError(str(error).replace("unk_cutoff=", "--unk-cutoff ")
                           .replace("lower unk_cutoff", "lower --unk-cutoff")) from error
    seconds = time.perf_counter() - started
    if not isinstance(model, WrittenModel):
        save_model(model, out)
    tokens = tally.tokens
    output.result(
        {"path": str(out), "order": order, "smoothing": smoothing, "sentences": tally.sentences,
         "tokens": tokens, "vocab_size": model.vocab_size, "ngram_counts": model.counts,
         "seconds": seconds},
        f"Fitted {smoothing} {order}-gram model on {tokens:,} tokens in {seconds:.2f} s; "
        f"wrote {out}",
    )
    if out.suffix == ".arpa":
        note_kenlm_order(order, output)


def note_kenlm_order(order: int, output: Output) -> None:
    """Say when a default KenLM build cannot load an ARPA file of this order (seqlab can)."""
    from seqlab.nlp.ngram.arpa import KENLM_DEFAULT_MAX_ORDER, KENLM_MIN_ORDER

    if order < KENLM_MIN_ORDER:
        output.info("Note: KenLM refuses an ARPA file of order 1 (\"assumes at least a bigram "
                    "model\"); seqlab reads it (ngram eval, ngram generate, eval). Train "
                    "--order 2 or more for KenLM.")
    elif order > KENLM_DEFAULT_MAX_ORDER:
        output.info(f"Note: a default KenLM build loads ARPA files up to order "
                    f"{KENLM_DEFAULT_MAX_ORDER} (KENLM_MAX_ORDER); this order-{order} file "
                    f"needs KenLM built with -DKENLM_MAX_ORDER={order} or more. seqlab reads it "
                    "(ngram eval, ngram generate, eval).")


def note_process_floor(memory: str, memory_bytes: int, output: Output) -> None:
    """Say when --memory is too small to bound the whole run: the process's own floor (Python,
    NumPy, the compiled kernels) does not shrink with the budget (`external.working_bytes`)."""
    from seqlab.nlp.ngram.external import PROCESS_BYTES, working_bytes

    if memory_bytes >= 2 * PROCESS_BYTES:
        return
    output.info(f"Note: --memory {memory} leaves the counts {working_bytes(memory_bytes) >> 20:,} "
                f"MiB; the process itself (Python, NumPy, the compiled kernels) takes about "
                f"{PROCESS_BYTES >> 20} MiB that no budget shrinks, so the run may peak above "
                f"{memory}. Give --memory {2 * PROCESS_BYTES >> 20}M or more to bound the whole "
                "run.")


# What an ARPA file cannot hold as a character token: KenLM splits at these (the space is
# spelled SPACE); "\n" ends the line.
ARPA_SPLIT = {"\t": "tab", "\r": "carriage return", "\x0b": "vertical tab",
              "\x0c": "form feed"}


def check_char_text(files: list[Path], out: Path | None) -> None:
    """Before counting (or, `out` None, scoring), a CliError naming the first line of FILES with
    a character the character level cannot keep apart: a literal SPACE (U+2581, the space's
    spelling, which would merge with the space), and for an .arpa --out one KenLM splits at
    (ARPA_SPLIT)."""
    from seqlab.nlp.ngram.sentences import find_characters

    # (a generator: a missing, binary or undecodable file becomes the usual one-line error)
    found = next(translated(find_characters(files, refused_characters(out),
                                            errors=decode_errors())
                            for _ in range(1)))
    if found is not None:
        raise char_refusal(found, training=out is not None)


def refused_characters(out: Path | None) -> str:
    """What the character level refuses in its text: SPACE, and for an .arpa `out` the
    characters KenLM splits at (ARPA_SPLIT)."""
    return SPACE + ("".join(ARPA_SPLIT) if out is not None and out.suffix == ".arpa" else "")


def char_refusal(found, training: bool) -> CliError:
    """The one line for a `FoundCharacter` the character level refuses (`refused_characters`)
    in text to train on or (not `training`) to score."""
    where = f"{found.path} line {found.line}"
    if found.character == SPACE:
        other = ", or train --level word or whitespace" if training else ""
        return CliError(f"{where} holds U+2581 '{SPACE}', which the character level uses to "
                        "spell the space, so the two would count as one character: replace it "
                        f"first (sed 's/{SPACE}/_/g'){other}")
    name = ARPA_SPLIT[found.character]
    fix = ("convert CRLF line ends first (tr -d '\\r' < FILE > FILE.lf), or give a .npz --out"
           if found.character == "\r" else "give a .npz --out, or replace it first "
           f"(tr '{found.character.encode('unicode_escape').decode()}' ' ' < FILE > FILE.new)")
    return CliError(f"{where} holds a {name}, which an ARPA file cannot hold as a character "
                    f"token (KenLM splits tokens at it): {fix}")


class WrittenModel:
    """What the output report needs of a model already written to --out."""

    def __init__(self, vocab_size: int, counts: list[int]) -> None:
        self.vocab_size, self.counts = vocab_size, counts


def streamed_kneser_ney(sentences, order: int, out: Path, memory_bytes: int, unk_cutoff: int,
                        scratch: Path, tokenization: dict | None = None,
                        on_phase: Callable[[str], None] | None = None) -> WrittenModel:
    """Kneser-Ney straight to the ARPA file --out within --memory (see `ngram.streamed`);
    `on_phase` hears each phase as it starts (counting, merging, estimating, writing)."""
    from seqlab.nlp.ngram.external import CountingStats
    from seqlab.nlp.ngram.streamed import train_kneser_ney_arpa

    result = train_kneser_ney_arpa(sentences, order, out, memory_bytes, unk_cutoff,
                                   scratch_dir=scratch, tokenization=tokenization,
                                   stats=CountingStats(on_phase=on_phase))
    return WrittenModel(result.vocab_size, result.counts)


def fit_on_cluster(model, files: list[Path] | None, cluster: str, level: str, lowercase: bool,
                   memory_bytes: int, arpa_out: Path | None = None) \
        -> tuple[SentenceTally, WrittenModel | None]:
    """Count FILES on a Dask cluster and estimate `model` from the merged counts, or (with
    `arpa_out`) write modified Kneser-Ney to that ARPA file from the merged counts on disk
    within `memory_bytes`: the totals, and what was written (None without `arpa_out`)."""
    if not files or any(str(f) == "-" for f in files):
        raise CliError("--cluster needs corpus files the workers can read (no stdin, no "
                       "embedded corpus); on a real cluster, on a path every worker sees")
    with quiet_dask_logs():
        return _fit_on_cluster(model, files, cluster, level, lowercase, memory_bytes, arpa_out)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


class QuietLogs:
    """`keep` leaves Dask quiet after `quiet_dask_logs` (set after a failed run: a client
    whose scheduler went still tries to reconnect in the background, and logs at exit)."""

    keep = False


@contextlib.contextmanager
def quiet_dask_logs() -> Iterator[QuietLogs]:
    """Dask's own log lines (a client failing to reconnect, its tracebacks while closing) kept
    off stderr during a --cluster run: what goes wrong reaches the user as one CliError line."""
    with contextlib.suppress(ImportError):  # first: importing it sets its loggers' levels
        import distributed  # noqa: F401
    loggers = [logging.getLogger(name) for name in ("distributed", "distributed.client")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    quiet = QuietLogs()
    try:
        yield quiet
    except BaseException:
        quiet.keep = True  # the command ends with this error: nothing of Dask's to add
        raise
    finally:
        if not quiet.keep:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def _fit_on_cluster(model, files: list[Path], cluster: str, level: str, lowercase: bool,
                    memory_bytes: int, arpa_out: Path | None) \
        -> tuple[SentenceTally, WrittenModel | None]:
    from seqlab.nlp import corpora
    from seqlab.nlp.ngram.cluster_watch import ShardTaskError, WorkerLostError
    from seqlab.nlp.ngram.distributed import (
        connect,
        count_ngrams_dask,
        disconnect,
        train_kneser_ney_arpa_dask,
    )
    from seqlab.nlp.ngram.sentences import LineTokens

    try:
        paths = [Path(p).resolve() for p in corpora.resolve_paths([str(f) for f in files])]
        client = connect(cluster, quiet=True)
    except ImportError as error:
        raise CliError(str(error)) from error
    except (OSError, ValueError) as error:
        raise CliError(f"--cluster {cluster}: {_one_line(error)}") from error
    from seqlab.nlp.ngram.tally import SentenceTally

    tally = SentenceTally(())
    try:
        line_tokens = LineTokens(level, lowercase, errors=decode_errors())
        if arpa_out is not None:
            scratch = arpa_out.resolve().parent
            try:
                result = train_kneser_ney_arpa_dask(client, paths, line_tokens, model.order,
                                                    arpa_out, memory_bytes, model.unk_cutoff,
                                                    scratch_dir=scratch)
            except OSError as error:  # the merged counts go to a scratch folder beside it
                raise CliError(write_error_line(error, arpa_out)) from error
            tally.sentences, tally.tokens = result.stats.sentences, result.stats.tokens
            return tally, WrittenModel(result.vocab_size, result.counts)
        vocab, tables = count_ngrams_dask(client, paths, line_tokens,
                                          model.order, model.unk_cutoff, memory_bytes)
    except ValueError as error:
        raise CliError(_one_line(error)) from error
    except (WorkerLostError, ShardTaskError) as error:
        raise CliError(f"--cluster {cluster}: {_one_line(error)}") from error
    finally:
        with contextlib.suppress(Exception):
            disconnect(client)
    tally.sentences = int(tables[0].counts[vocab.index("</s>")])
    tally.tokens = int(tables[0].counts.sum()) - tally.sentences
    model.fit_counts(vocab, tables)
    return tally, None


@app.command("eval")
def evaluate(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    files: list[Path] = typer.Argument(None, help="Test text (default: the embedded corpus); "
                                 "a folder: its *.txt files (any case), recursively."),
    corpus: str = typer.Option(None, "--corpus", help="Embedded corpus to score when no FILES."),
    level: str = typer.Option(None, "--level", help="word, whitespace or char (default: as the "
                              "model was trained, which seqlab records in its files; for a "
                              "file that records nothing: char for single characters, else "
                              "whitespace, as KenLM reads text)."),
    lowercase: bool = typer.Option(None, "--lowercase/--no-lowercase", help="Lowercase the "
                                   "text (default: as the model was trained, where recorded; "
                                   "else not)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Perplexity (one </s> per line, as KenLM) and bits per token.

    Each line is a sentence; a blank line is one of no words whose </s> is scored, as KenLM's
    `query` and `Model.perplexity("")` score it.

    The text is tokenized as the model's training text was (--level, --lowercase of `ngram
    train`, recorded in the files seqlab writes). At the character level a literal U+2581, the
    space's spelling, is refused, as training refuses it.

    Example: seqlab ngram eval corpus.arpa test.txt
    """
    report_perplexity(load_ngram(model_path), files, corpus, lowercase, as_json, level)


def report_perplexity(model, files: list[Path] | None, corpus: str | None,
                      lowercase: bool | None, as_json: bool, level: str | None = None,
                      command: str = "ngram eval") -> None:
    """Print a loaded model's perplexity and bits per token on FILES (or an embedded corpus),
    tokenized as `model_tokens` says (tokens read shown as `command`'s progress)."""
    level, lowercase, pattern = model_tokens(model, level, lowercase)
    if level == "char" and files:
        check_char_text(files, None)  # a literal SPACE would be scored as a space
    if getattr(model, "constant_backoff", None) is not None:
        raise CliError("this n-gram model uses stupid-backoff smoothing, which gives scores, "
                       "not probabilities: perplexity is undefined (train with "
                       "--smoothing kneser-ney, or witten-bell, to measure perplexity)")
    from seqlab.nlp.ngram.vocabulary import UNK

    # a blank line is a sentence of no words whose </s> is scored, as KenLM's query scores
    # it; the tokens the model scores as <unk> (OOV) counted as `seqlab eval` counts them
    refused = refused_characters(None) if level == "char" else ""
    shown = PhaseProgress(command, not as_json)
    from seqlab.nlp.ngram.tally import SentenceTally

    tally = SentenceTally(corpus_sentences(files, corpus, level, lowercase, pattern,
                                           blank_lines=True, refused=refused, training=False),
                          known=set(model.vocab) - {UNK}, on_tokens=shown.tokens)
    try:
        # streamed: no list of the test sentences
        with shown:
            shown.phase("scoring", announce=False)
            perplexity, _, zeros = model.perplexity_detail(tally)
    except ValueError as error:
        if tally.sentences == 0:
            raise CliError("the test text has no tokens") from error
        raise
    tokens = tally.tokens + tally.sentences
    unknown_fraction = tally.unknown / max(tally.tokens, 1)  # of the words (</s> is never one)
    unknown = (f", {tally.unknown:,} unknown ({unknown_fraction:.1%} of words)"
               if tally.unknown else "")
    # the keys `eval` gives for a neural model too (README, "Evaluating"); null where an
    # n-gram model has no such figure (bits per character: it never sees the characters)
    common = {"tokens": tokens, "sentences": tally.sentences, "unknown_tokens": tally.unknown,
              "unknown_fraction": unknown_fraction, "bits_per_char": None,
              "source": ", ".join(str(f) for f in files) if files else corpus}
    if zeros:
        Output(as_json=as_json).result(
            {"loss": None, "perplexity": None, "bits_per_token": None, **common,
             "zero_probability_tokens": zeros},
            f"perplexity inf  ({zeros:,} of {tokens:,} tokens incl. </s> have zero "
            "probability under this model; a smoothed model, e.g. --smoothing kneser-ney, "
            "gives every token some)",
        )
        return
    Output(as_json=as_json).result(
        {"loss": math.log(perplexity), "perplexity": perplexity,
         # loss: nats per token, as eval on a neural model
         "bits_per_token": math.log2(perplexity), **common},
        f"loss {loss_text(math.log(perplexity))} nats  perplexity {loss_text(perplexity)}  "
        f"({loss_text(math.log2(perplexity))} bits per token, "
        f"{tokens:,} tokens incl. </s>{unknown})",
    )


@app.command("generate")
def generate(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    prompt: str = typer.Option("", "--prompt", "-p",
                               help="Text to continue (default: start a sentence)."),
    length: int = typer.Option(50, "--length", "-n", help="Tokens to generate."),
    temperature: float = typer.Option(1.0, "--temperature", "-t",
                                      help="Sampling temperature (0: greedy)."),
    top_k: int = typer.Option(None, "--top-k",
                              help="Sample from the k most likely tokens (default: all)."),
    top_p: float = typer.Option(None, "--top-p",
                                help="Nucleus sampling mass, in (0, 1] (default 1)."),
    greedy: bool = typer.Option(False, "--greedy", help="Always the most likely token."),
    seed: int = typer.Option(None, "--seed", help="Same seed, same text (default: random)."),
    level: str = typer.Option(None, "--level", help="How the prompt is read and tokens "
                              "written: word, whitespace or char (default: as the model was "
                              "trained, which seqlab records in its files; for a file that "
                              "records nothing: char for single characters, else whitespace, "
                              "as KenLM reads text)."),
) -> None:
    """Stream sampled text from an n-gram model (a sentence end starts a new line).

    Example: seqlab ngram generate corpus.arpa --length 40 --seed 1
    """
    from seqlab.cli.sampling_notes import top_k_note
    from seqlab.nlp.generation import SamplingOptions

    options = SamplingOptions(max_tokens=length, temperature=temperature, top_k=top_k,
                              top_p=top_p, greedy=greedy, seed=seed)
    model = load_ngram(model_path)
    # every entry but <s> (never predicted) can be written
    note = None if greedy or temperature == 0 else top_k_note(top_k, model.vocab_size - 1, top_p)
    if note:
        Output().warn(note)
    stream_generated(model, prompt, options, level)


def stream_generated(model, prompt: str, options, level: str | None = None) -> None:
    """Stream text sampled from a loaded n-gram model after `prompt`, one token at a time
    (the prompt read and tokens written at `level`, by default as `model_tokens` says)."""
    from seqlab.nlp.generation import ContextWindowModel
    from seqlab.nlp.ngram import BOS, EOS

    level, lowercase, pattern = model_tokens(model, level, command="seqlab ngram generate")
    char_level = level == "char"
    if char_level and SPACE in prompt:  # it would read as a space, as in `ngram eval`
        raise CliError(f"--prompt holds U+2581 '{SPACE}', which the character level uses to "
                       "spell the space, so the two would read as one character: write a "
                       "space or another character")
    bos = model.vocab.index(BOS)
    start = [bos]
    if prompt:
        tokens = next(sentences_of([prompt], level, lowercase, pattern))
        start += [model.token_id(t) for t in tokens]
    token_model = ContextWindowModel(model.next_token_logprobs, model.vocab_size,
                                     max(model.order - 1, 0), start)
    previous = None
    if prompt:
        write_stream(prompt)
        previous = start[-1] if len(start) > 1 else None
        previous = model.vocab[previous] if previous is not None else None
    for token_id in _restarting(token_model, bos, model.vocab.index(EOS), options):
        word = model.vocab[token_id]
        if word == EOS:
            write_stream("\n")
            previous = None
        elif char_level:
            write_stream(" " if word == SPACE else word)
        elif level == "whitespace":  # the tokens were whatever lay between spaces
            write_stream(word if previous is None else " " + word)
            previous = word
        else:
            write_stream(spaced(previous, word))
            previous = word
    write_stream("\n")


CLOSING = frozenset(",.;:!?%)]}") | {"...", "'s", "n't"}
OPENING = frozenset("([{")


def spaced(previous: str | None, word: str) -> str:
    """`word` as it follows `previous` in running text: no space at a line start, before
    closing punctuation or after an opening bracket (as the word tokenizer's decode)."""
    if previous is None or previous in OPENING or word in CLOSING:
        return word
    return " " + word


def _restarting(token_model, bos: int, eos: int, options) -> Iterator[int]:
    """Sample, starting a fresh sentence context (<s>) after every </s>."""
    from dataclasses import replace

    from seqlab.nlp.generation import sample

    remaining = options.max_tokens
    state = token_model.initial_state()
    seed_rng = options.seed
    while remaining > 0:
        run = replace(options, max_tokens=remaining, stop_tokens=frozenset({eos}), seed=seed_rng)
        produced = 0
        for token in sample(token_model, (), run, state=state):
            produced += 1
            yield token
        remaining -= produced
        state = token_model.advance((), bos)
        seed_rng = None if seed_rng is None else seed_rng + 1


@app.command("export-arpa")
def export_arpa(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    out: Path = typer.Argument(..., help="ARPA file to write."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    force: bool = outputs.force_option(),
) -> None:
    """Write a model as an ARPA file (KenLM, SRILM).

    Example: seqlab ngram export-arpa model.npz model.arpa
    """
    outputs.check_output(out, outputs.ARPA, [model_path], force=force, option="OUT")
    model = load_ngram(model_path)
    try:
        model.save_arpa(out)
    except TypeError as error:
        raise CliError(str(error).replace("(save it as .npz instead)", "(keep the .npz)")) \
            from error
    Output(as_json=as_json).result({"path": str(out)}, f"Wrote {out}")
