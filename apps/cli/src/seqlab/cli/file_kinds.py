"""What kind of seqlab file a path holds, judged from a bounded look at its first bytes.

Used before writing, so that `--out` never replaces a file seqlab did not write (or wrote as
something else). Each test reads at most a few megabytes and never raises: an unreadable or
unknown file is simply "not seqlab's".
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from pathlib import Path

CHECKPOINT = "seqlab checkpoint"
TRAINING_STATE = "seqlab training state"
ARPA = "seqlab ARPA n-gram model"
FOREIGN_ARPA = ("ARPA n-gram model without seqlab's mark (another tool's, or written by seqlab "
                "before December 2026)")
NGRAM_NPZ = "seqlab n-gram model (.npz)"
WORD2VEC = "seqlab word2vec vectors file"
FOREIGN_WORD2VEC = ("word2vec vectors file without seqlab's mark (another tool's, or written "
                    "by seqlab before December 2026)")
WORD2VEC_SAVED = "seqlab word2vec model (Word2Vec.save or KeyedVectors.save)"
WORD2VEC_SAVED_FORMAT = "seqlab-word2vec"  # as seqlab.nlp.word2vec.saved.FORMAT
TOKENIZER = "seqlab tokenizer"
METRICS = "seqlab metrics log"
HTML_PAGE = "seqlab HTML page"
HF_TOKENIZER = "Hugging Face tokenizer.json exported by seqlab"
# The commands that write a neural checkpoint, as error messages name them.
CHECKPOINT_WRITERS = "`seqlab train`, `classify train`, `forecast train` or `seq2seq train`"

# Far above any real seqlab header (a 100k-word vocabulary is ~2 MB) and safetensors' own limit.
MAX_SAFETENSORS_HEADER = 100_000_000
_PEEK = 1 << 16
# `seqlab tokenize export --format hf` marks the pre-tokenizer of the tokenizer.json it writes
# (`tokenizers` ignores the key there and refuses unknown keys at the top level), as
# seqlab.nlp.tokenizers.hf_json.EXPORT_MARK (a test checks they agree)
HF_EXPORT_MARK = re.compile(rb'"pre_tokenizer": \{\s*"type": "\w+",\s*"exported_by": "seqlab"')
# The first line of every ARPA file seqlab writes (seqlab.nlp.ngram.arpa.SEQLAB_MARK, where
# "; tokenization: ..." may replace the newline, see seqlab.nlp.ngram.mark; kept
# here too so that checking an --out path imports no NumPy; a test checks they agree).
ARPA_MARK = b"# written by seqlab\n"
_WORD2VEC_HEADER = re.compile(rb"\s*(\d+) (\d+)\s*\n")
# The start of every vectors file seqlab writes: "<count> <dimension>\t\t\n" (text) or
# "<count> <dimension>\n\n" (binary) (seqlab.nlp.word2vec.formats.SEQLAB_HEADER_MARK and
# SEQLAB_BINARY_MARK; a test checks they agree).
WORD2VEC_MARK = re.compile(rb"\d+ \d+(?:\t\t\n|\n\n)")
_NGRAM_FORMAT = re.compile(r'\s*\{\s*"format"\s*:\s*"seqlab-ngram"')
_NGRAM_FORMAT_CHARS = 64  # of the header's JSON read to recognise it


def _peek(path: Path, size: int = _PEEK) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(size)
    except OSError:
        return b""


def safetensors_format(path: Path) -> str | None:
    """The `format` in a safetensors file's seqlab metadata, or None (not safetensors/seqlab)."""
    metadata = _seqlab_metadata(path)
    return metadata.get("format") if metadata is not None else None


def checkpoint_model(path: Path) -> str | None:
    """The model class a seqlab checkpoint holds ("LanguageModel", "SequenceClassifier",
    "SequenceRegressor", "Seq2Seq"), or None (not a checkpoint, or no class recorded)."""
    metadata = _seqlab_metadata(path)
    if metadata is None or metadata.get("format") != "seqlab.checkpoint":
        return None
    config = metadata.get("config")
    model = config.get("model") if isinstance(config, dict) else None
    return model if isinstance(model, str) else None


def word2vec_saved_kind(path: Path) -> str | None:
    """"word2vec" (Word2Vec.save) or "keyed_vectors" (KeyedVectors.save) for a seqlab word2vec
    safetensors file, else None."""
    metadata = _seqlab_metadata(path)
    if metadata is None or metadata.get("format") != WORD2VEC_SAVED_FORMAT:
        return None
    kind = metadata.get("kind")
    return kind if kind in ("word2vec", "keyed_vectors") else None


def seqlab_metadata(path: Path) -> dict | None:
    """The seqlab metadata in a safetensors file's header, or None (not safetensors/seqlab)."""
    return _seqlab_metadata(path)


def _seqlab_metadata(path: Path) -> dict | None:
    try:
        with path.open("rb") as file:
            head = file.read(8)
            if len(head) != 8:
                return None
            (length,) = struct.unpack("<Q", head)
            if length > min(MAX_SAFETENSORS_HEADER, path.stat().st_size - 8):
                return None
            header = json.loads(file.read(length))
        metadata = json.loads(header["__metadata__"]["seqlab"])
        return metadata if isinstance(metadata, dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_arpa(path: Path) -> bool:
    """An ARPA file: a `\\data\\` line near the top (comments may come before it)."""
    head = _peek(path)
    return any(line.strip() == b"\\data\\" for line in head.splitlines()[:200])


def is_ngram_npz(path: Path) -> bool:
    """A zip whose `header.npy` (a JSON string) starts by naming the seqlab n-gram format.

    Only the npy header and the JSON's first few characters are read: the JSON holds the
    whole vocabulary (hundreds of MB for a large model), and seqlab has always written
    `"format"` as its first key.
    """
    try:
        with zipfile.ZipFile(path) as archive, archive.open("header.npy") as member:
            import numpy as np  # only for a zip: checking an --out path loads no NumPy

            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                return False
            if shape != () or dtype.kind != "U":
                return False
            start = member.read(4 * _NGRAM_FORMAT_CHARS)
        encoding = "utf-32-be" if dtype.str[0] == ">" else "utf-32-le"  # ("=": native)
        text = start[: len(start) // 4 * 4].decode(encoding)
        return _NGRAM_FORMAT.match(text) is not None
    except Exception:
        return False


def is_word2vec(path: Path) -> bool:
    """A `<count> <dimension>` header, then a first entry of that dimension (text or binary)."""
    head = _peek(path)
    match = _WORD2VEC_HEADER.match(head)
    if not match:
        return False
    count, dimension = int(match.group(1)), int(match.group(2))
    rest = head[match.end():]
    if count == 0 or not rest:
        return count == 0 and not rest
    line = rest.split(b"\n", 1)[0]
    if len(line.split()) == dimension + 1:  # text: a word and `dimension` numbers
        return True
    space = rest.find(b" ")  # binary: a word, a space, 4 * dimension bytes
    return space > 0 and len(rest) >= min(space + 1 + 4 * dimension, _PEEK)


def is_glove(path: Path) -> bool:
    """Word vectors without a header (GloVe): a first line of a word and two or more numbers,
    and a second line (if any) of as many fields (`formats.headerless_dimension`'s shape)."""
    lines = _peek(path, 1 << 16).split(b"\n", 2)
    fields = lines[0].split()
    if len(fields) < 3 or (len(lines) > 2 and len(lines[1].split()) != len(fields)):
        return False
    try:
        [float(value) for value in fields[1:]]
    except ValueError:
        return False
    return True


def tokenizer_type(path: Path) -> str | None:
    """The "type" of a seqlab tokenizer or vocabulary JSON file, else None."""
    if not _peek(path, 64).lstrip().startswith(b"{"):
        return None
    try:
        if path.stat().st_size > 500_000_000:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("type") in ("char", "word", "bpe", "vocabulary") \
            and "version" in data:
        return data["type"]
    return None


def is_html_page(path: Path) -> bool:
    """A page seqlab wrote: its head names seqlab as the generator."""
    return b'<meta name="generator" content="seqlab">' in _peek(path, 1 << 12)


def is_metrics_log(path: Path) -> bool:
    """A JSON-lines file whose first record is a seqlab training or validation record."""
    first = _peek(path, 1 << 14).split(b"\n", 1)[0]
    try:
        record = json.loads(first)
    except ValueError:
        return False
    return isinstance(record, dict) and record.get("type") in ("train", "valid")


def kind_of(path: Path) -> str | None:
    """One of the kinds above, or None for any other file."""
    form = safetensors_format(path)
    if form == "seqlab.checkpoint":
        return CHECKPOINT
    if form == "seqlab.training-state":
        return TRAINING_STATE
    if form == WORD2VEC_SAVED_FORMAT:
        return WORD2VEC_SAVED
    if is_arpa(path):
        head = _peek(path, len(ARPA_MARK))  # the mark alone, or naming the tokenization
        return ARPA if head in (ARPA_MARK, ARPA_MARK[:-1] + b";") else FOREIGN_ARPA
    if is_ngram_npz(path):
        return NGRAM_NPZ
    if is_word2vec(path):
        return WORD2VEC if WORD2VEC_MARK.match(_peek(path, 64)) else FOREIGN_WORD2VEC
    if is_glove(path):
        return FOREIGN_WORD2VEC
    if tokenizer_type(path) is not None:
        return TOKENIZER
    if HF_EXPORT_MARK.search(_peek(path, 4096)):
        return HF_TOKENIZER
    if is_metrics_log(path):
        return METRICS
    if is_html_page(path):
        return HTML_PAGE
    return None
