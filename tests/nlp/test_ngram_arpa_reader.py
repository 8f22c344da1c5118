"""The streamed ARPA reader against the whole-file reference it replaced (same arrays, same
errors), and its kernels against Python's float() and str.split() (kernels marker: CI reruns
these with NUMBA_DISABLE_JIT=1)."""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
from decimal import Decimal, getcontext

import numpy as np
import pytest

from seqlab.nlp.ngram import KneserNey, WittenBell, arpa_reader, load_arpa
from seqlab.nlp.ngram import arpa_read_kernels as rk
from seqlab.nlp.ngram.arpa_read_reference import load_arpa_reference

pytestmark = pytest.mark.kernels


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


def _parsed(text: str) -> float | None:
    data = np.frombuffer(text.encode(), dtype=np.uint8)
    value, ok = rk.parse_number(data, 0, len(data))
    return value if ok else None


def _number_strings() -> list[str]:
    getcontext().prec = 60
    rng = random.Random(0)
    texts = []
    for _ in range(4000):
        value = -rng.uniform(1, 10) * 10.0 ** rng.randint(-8, 2)
        texts += [repr(value), f"{value:.17g}", f"{value:.6g}", f"{value:.18f}", f"{value:e}"]
    for _ in range(2000):  # near halfway points between two doubles, in 16-19 digits
        low = -rng.uniform(0.001, 99)
        middle = (Decimal(low) + Decimal(math.nextafter(low, 0.0))) / 2  # exact
        for digits in (16, 17, 18, 19):
            texts.append(f"{middle:.{digits}g}")
    texts += ["0", "-0", "-0.0", "+0.5", "-.5", "5.", "-1e-3", "-1E-07", "1e22", "1e23",
              "9007199254740993", "9007199254740993.0", "-0.30000000000000004",
              "-12345678901234567890", "-0.000000000000000000000001", "-99", "-1e-400",
              "1_0", "nan", "-inf", "infinity", "0x10", "1e", "-", ".", "1.2.3", "--1", "1e+5",
              "4.9406564584124654e-324", "-2.2250738585072014e-308", "123456789012345678"]
    return texts


def test_numbers_parse_exactly_as_float_or_are_left_to_python():
    texts = _number_strings()
    fast = 0
    for text in texts:
        value = _parsed(text)
        if value is None:
            continue
        fast += 1
        assert _bits(value) == _bits(float(text)), text
    assert fast >= 0.8 * len(texts)  # the rest: 19+ digits, exponents past 10**22, not numbers


def test_what_arpa_writers_print_takes_the_fast_path():
    rng = random.Random(1)
    values = [-rng.uniform(1, 10) * 10.0 ** rng.randint(-6, 1) for _ in range(3000)]
    texts = [spelled for value in values  # seqlab, Python, KenLM / SRILM (%g), C's %e
             for spelled in (repr(value), f"{value:.17g}", f"{value:.6g}", f"{value:e}")]
    slow = [text for text in texts if _parsed(text) is None]
    assert len(slow) <= 0.01 * len(texts), slow[:10]


def test_exact_halfway_points_are_left_to_python():
    # 2**53 + 1 lies halfway between two doubles: round-half-even is Python's to decide
    assert _parsed("9007199254740993.0") is None
    assert _parsed("-0.9007199254740993e1") is None or \
        _parsed("-0.9007199254740993e1") == float("-0.9007199254740993e1")


def test_whitespace_is_what_kenlm_splits_on():
    """KenLM's six ASCII bytes (bytes.split(), as kenlm's Python module splits), not every
    str.isspace() character: U+00A0, U+3000, U+2028, U+001C are word bytes (QA stop 20)."""
    above = random.Random(2).sample(range(0x3100, sys.maxunicode + 1), 3000)
    for code in [*range(0x3100), *above]:  # every whitespace character is below U+3100
        if 0xD800 <= code <= 0xDFFF:
            continue
        encoded = chr(code).encode("utf-8")
        data = np.frombuffer(encoded + b"x", dtype=np.uint8)
        expected = 1 if len((b"a" + encoded + b"b").split()) == 2 else 0
        for i in range(len(encoded)):
            assert rk.field_space(data, i, len(encoded)) == expected, hex(code)


def test_word_table_finds_every_word_and_nothing_else():
    words = ["a", "bb", "é", "日本", "<s>", "x" * 40, *(f"w{i}" for i in range(500))]
    table = arpa_reader._WordTable(words)
    for i, word in enumerate(words):
        data = np.frombuffer(word.encode(), dtype=np.uint8)
        assert rk.find_word(data, 0, len(data), *table.arrays()) == i
    for other in ("", "w500", "ab", "日"):
        data = np.frombuffer(other.encode() or b"\0", dtype=np.uint8)
        assert rk.find_word(data, 0, len(other.encode()), *table.arrays()) == -1


# ---- whole files: the reader equals the reference ----------------------------------------

def _corpus(seed: int, size: int = 120) -> list[list[str]]:
    rng = random.Random(seed)
    words = ["a", "bb", "ccc", "é", "日本", "x-y", "q", "r"]
    return [[rng.choice(words) for _ in range(rng.randint(0, 9))] for _ in range(size)]


def _sections(path) -> tuple[list[str], list[list[str]], list[str]]:
    """(lines before the first section, each section's rows, lines after)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    head_end = next(i for i, line in enumerate(lines) if line.startswith("\\1-grams:"))
    sections, current = [], None
    for line in lines[head_end:]:
        if line.endswith("-grams:"):
            current = []
            sections.append(current)
        elif line.startswith("\\end"):
            break
        elif line.strip():
            current.append(line)
    return lines[:head_end], sections, ["\\end\\", ""]


def _write(path, sections, preamble="", sep="\n", spell=lambda fields, rng: "\t".join(fields),
           seed=0) -> None:
    rng = random.Random(seed)
    out = [preamble + "\\data\\"]
    out += [f"ngram {n}={len(rows)}" for n, rows in enumerate(sections, 1)]
    for n, rows in enumerate(sections, 1):
        out += ["", f"\\{n}-grams:"]
        out += [spell(row.split("\t"), rng) for row in rows]
    out += ["", "\\end\\", ""]
    path.write_bytes(sep.join(out).encode("utf-8"))


def _assert_same(path) -> None:
    vocab, keys, logprob, logbackoff = load_arpa_reference(path)
    model = load_arpa(path)
    assert model.vocab == vocab
    assert model.counts == [len(k) for k in keys]
    for n in range(len(keys)):
        assert np.array_equal(model._keys[n], keys[n]), n
        assert _bits_all(model._logprob[n]) == _bits_all(logprob[n]), n
        assert _bits_all(model._logbackoff[n]) == _bits_all(logbackoff[n]), n
    flat_keys, _, _, offsets = model._flat
    assert offsets[-1] == len(flat_keys)


def _bits_all(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(values, dtype=np.float64).tobytes()


@pytest.fixture(params=[(1 << 24, 1 << 17), (7, 3), (64, 5)], ids=["default", "tiny", "small"])
def blocks(request, monkeypatch):
    """Read blocks of bytes and rows: the default, and sizes that split every line and row."""
    read_bytes, rows = request.param
    monkeypatch.setattr(arpa_reader, "READ_BLOCK_BYTES", read_bytes)
    monkeypatch.setattr(arpa_reader, "BLOCK_ROWS", rows)


@pytest.mark.parametrize("make", [lambda: KneserNey(4), lambda: WittenBell(3),
                                  lambda: KneserNey(1)])
def test_written_files_read_as_the_reference_reads_them(make, blocks, tmp_path):
    model = make().fit(_corpus(1))
    model.save_arpa(tmp_path / "m.arpa")
    _assert_same(tmp_path / "m.arpa")


def _spell_oddly(fields, rng):
    """The same line with other spacing and number spellings float() reads the same way."""
    def number(text):
        value = float(text)
        return rng.choice([text, f"{value:.6g}", f"{value:e}", f"{value:.17g}", repr(value),
                           f"{value:.19f}", f"{value:.17E}"])
    fields = [number(fields[0]), *fields[1:]]
    if len(fields) > 2 and rng.random() < 0.5:
        fields[-1] = number(fields[-1])
    words = fields[1].split(" ")
    # KenLM's whitespace only: U+3000, U+00A0, U+2009 are word bytes there (QA stop 20)
    spaces = [" ", "\t", "  ", " \t ", "\t\x0b"]
    line = fields[0] + rng.choice(spaces) + rng.choice(spaces).join(words)
    if len(fields) > 2:
        line += rng.choice(spaces) + fields[2]
    return rng.choice(["", " ", "\t"]) + line + rng.choice(["", " ", "\r", "\x0c"])


def test_foreign_spellings_shuffled_and_pruned_files(blocks, tmp_path):
    KneserNey(4).fit(_corpus(2, 200)).save_arpa(tmp_path / "m.arpa")
    _, sections, _ = _sections(tmp_path / "m.arpa")
    rng = random.Random(3)
    for section in sections:  # KenLM and SRILM list n-grams in their own orders
        rng.shuffle(section)
    _write(tmp_path / "odd.arpa", sections, preamble="made by hand\n\n", spell=_spell_oddly)
    _assert_same(tmp_path / "odd.arpa")
    # pruned: drop some 2- and 3-grams that longer n-grams extend, and <unk>
    pruned = [[row for row in sections[0] if "<unk>" not in row]]
    for section in sections[1:]:
        pruned.append([row for row in section if rng.random() < 0.7 or row == section[0]])
    _write(tmp_path / "pruned.arpa", pruned, sep="\r\n")
    _assert_same(tmp_path / "pruned.arpa")


def test_backoff_values_only_python_reads_are_read_by_python(blocks, tmp_path):
    path = tmp_path / "rare.arpa"
    path.write_text("\\data\\\nngram 1=4\nngram 2=3\n\n\\1-grams:\n"
                    "-1_0\ta\t1_5\n-0.5\tb\t-inf\n-0.25\t</s>\tnan\n-9007199254740993.0\t<s>\t"
                    "-1e-400\n\n\\2-grams:\n-0.1\ta b\n-1e-30\tb a\n-0x1p-3\ta a\n\n\\end\\\n")
    with pytest.raises(ValueError, match=":14: bad number"):  # hex: float() refuses it too
        load_arpa(path)
    path.write_text(path.read_text().replace("-0x1p-3", "-0.3"))
    _assert_same(path)


BAD_FILES = {
    "no header": "hello\nworld\n",
    "bad count line": "\\data\\\nngram one=3\n",
    "orders with a gap": "\\data\\\nngram 1=1\nngram 3=1\n\n",
    "header to the end": "\\data\\\nngram 1=1",
    "missing section": "\\data\\\nngram 1=1\n\n\\2-grams:\n",
    "no section": "\\data\\\nngram 1=1\n\n",
    "too few fields": "\\data\\\nngram 1=1\nngram 2=1\n\n\\1-grams:\n-1\ta\n\n"
                      "\\2-grams:\n-1\ta\n\n\\end\\\n",
    "bad number": "\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\nminus\tb\n\n\\end\\\n",
    "bad backoff": "\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\t-0.5\n-1\tb\t--1\n\n\\end\\\n",
    "wrong count": "\\data\\\nngram 1=3\n\n\\1-grams:\n-1\ta\n-1\tb\n\n\\end\\\n",
    "too many": "\\data\\\nngram 1=1\n\n\\1-grams:\n-1\ta\n-1\tb\n\n\\end\\\n",
    "count at the end": "\\data\\\nngram 1=3\n\n\\1-grams:\n-1\ta\n-1\tb",
    "unknown word": "\\data\\\nngram 1=1\nngram 2=1\n\n\\1-grams:\n-1\ta\t0\n\n"
                    "\\2-grams:\n-1\ta b\n\n\\end\\\n",
    "duplicate": "\\data\\\nngram 1=1\nngram 2=2\n\n\\1-grams:\n-1\ta\t0\n\n"
                 "\\2-grams:\n-1\ta a\n-2\ta a\n\n\\end\\\n",
    "duplicate shuffled": "\\data\\\nngram 1=2\nngram 2=3\n\n\\1-grams:\n-1\ta\t0\n-1\tb\n\n"
                          "\\2-grams:\n-1\tb a\n-1\ta a\n-2\tb a\n\n\\end\\\n",
    "duplicate unigram": "\\data\\\nngram 1=3\n\n\\1-grams:\n-1\ta\n-1\tb\n-1\ta\n\n\\end\\\n",
    "no end": "\\data\\\nngram 1=1\n\n\\1-grams:\n-1\ta\n\n",
    "something else at the end": "\\data\\\nngram 1=1\n\n\\1-grams:\n-1\ta\n\n\\2-grams:\n",
    "positive log": "\\data\\\nngram 1=1\n\n\\1-grams:\n2.5\ta\n\n\\end\\\n",
    "nan log": "\\data\\\nngram 1=1\n\n\\1-grams:\nnan\ta\n\n\\end\\\n",
    "header that lies": "\\data\\\nngram 1=1000000000000\n\n\\1-grams:\n-1\ta\n\n\\end\\\n",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_fail_with_the_references_message(name, blocks, tmp_path):
    path = tmp_path / "bad.arpa"
    path.write_text(BAD_FILES[name])
    with pytest.raises(ValueError) as theirs:
        load_arpa_reference(path)
    with pytest.raises(ValueError) as ours:
        load_arpa(path)
    assert str(ours.value) == str(theirs.value)


def test_not_utf8_names_the_line_and_offset(blocks, tmp_path):
    path = tmp_path / "latin.arpa"
    path.write_bytes(b"\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\n-1\tcaf\xe9\n\n\\end\\\n")
    with pytest.raises(ValueError, match=r"latin\.arpa:6: not UTF-8 text \(byte 0xe9 at byte "
                                         r"offset 39"):
        load_arpa(path)


def test_crlf_lines_are_quoted_without_their_carriage_return(tmp_path):
    path = tmp_path / "crlf.arpa"
    path.write_bytes(b"\\data\\\r\nngram 1=1\r\n\r\n\\2-grams:\r\n")
    with pytest.raises(ValueError, match=r"crlf\.arpa:4: expected '\\1-grams:', got "
                                         r"'\\2-grams:' \("):
        load_arpa(path)


def test_a_missing_section_quotes_the_lines_as_the_file_has_them(tmp_path):
    """QA stop 20, fixQ2 item 4: said `expected '\\2-grams:', got '\\\\end\\\\'` (a repr)."""
    path = tmp_path / "short.arpa"
    path.write_text("\\data\\\nngram 1=1\nngram 2=1\n\n\\1-grams:\n-1.0\t<s>\n\n\\end\\\n")
    with pytest.raises(ValueError) as refused:
        load_arpa(path)
    assert "expected '\\2-grams:', got '\\end\\'" in str(refused.value), str(refused.value)


@pytest.mark.parametrize("cut", ["-1\ta <", "-1\ta", "-1."])
def test_a_file_cut_off_in_a_line_says_so(cut, tmp_path):
    path = tmp_path / "cut.arpa"
    path.write_text("\\data\\\nngram 1=2\nngram 2=3\n\n\\1-grams:\n-1\ta\t0\n-1\tb\t0\n\n"
                    f"\\2-grams:\n-1\ta b\n{cut}")
    with pytest.raises(ValueError, match=r"cut\.arpa:11: the file ends in the middle of this "
                                         r"line \(truncated"):
        load_arpa(path)


def test_lone_carriage_returns_get_their_own_message(tmp_path):
    path = tmp_path / "mac.arpa"
    path.write_bytes(b"\\data\\\rngram 1=1\r\r\\1-grams:\r-1\ta\r\r\\end\\\r")
    with pytest.raises(ValueError, match="lone carriage return"):
        load_arpa(path)


def test_a_line_with_more_fields_than_the_kernel_holds_is_read_by_python(tmp_path):
    order = rk.MAX_FIELDS + 6  # an n-gram line of more fields than the kernel keeps
    words = [f"w{i}" for i in range(order)]
    lines = ["\\data\\", f"ngram 1={order}"] + [f"ngram {n}=1" for n in range(2, order + 1)]
    lines += ["", "\\1-grams:"] + [f"-2\t{word}\t-0.25" for word in words]
    for n in range(2, order + 1):
        backoff = "\t-0.25" if n < order else ""
        lines += ["", f"\\{n}-grams:", f"-1.5\t{' '.join(words[:n])}{backoff}"]
    path = tmp_path / "deep.arpa"
    path.write_text("\n".join(lines) + "\n\n\\end\\\n")
    _assert_same(path)
    assert load_arpa(path).order == order


def _lmplz() -> str | None:
    return os.environ.get("SEQLAB_LMPLZ") or shutil.which("lmplz")


@pytest.mark.skipif(_lmplz() is None or not os.environ.get("SEQLAB_PEER_PYTHON"),
                    reason="set SEQLAB_LMPLZ (KenLM's lmplz) and SEQLAB_PEER_PYTHON (kenlm)")
def test_an_lmplz_file_scores_as_kenlm_scores_it(tmp_path):
    rng = random.Random(4)
    words = [f"w{i}" for i in range(300)]
    lines = [" ".join(rng.choice(words[:rng.randint(5, 300)]) for _ in range(rng.randint(1, 15)))
             for _ in range(3000)]
    with open(tmp_path / "lm.arpa", "w") as out:
        subprocess.run([_lmplz(), "-o", "5", "-S", "100M", "-T", str(tmp_path),
                        "--discount_fallback", "--prune", "0", "0", "1"],
                       input="\n".join(lines[:2500]) + "\n", stdout=out,
                       stderr=subprocess.DEVNULL, text=True, check=True)
    _assert_same(tmp_path / "lm.arpa")
    test = lines[2500:]
    script = ("import kenlm, sys, json\n"
              f"model = kenlm.Model({str(tmp_path / 'lm.arpa')!r})\n"
              f"print(json.dumps([model.score(s, bos=True, eos=True) for s in {test!r}]))\n")
    done = subprocess.run([os.environ["SEQLAB_PEER_PYTHON"], "-c", script], capture_output=True,
                          text=True, check=True)
    theirs = np.array(json.loads(done.stdout.strip().splitlines()[-1]))
    ours = load_arpa(tmp_path / "lm.arpa").sentence_logprobs([s.split() for s in test])
    np.testing.assert_allclose(ours / math.log(10), theirs, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(("first", "elsewhere", "tokenization"), [
    (b"", True, None),
    (b"# written by someone else\n", True, None),
    (b"# written by seqlab\n", False, None),
    (b"# written by seqlab; tokenization: level=char lowercase=true\r\n", False,
     {"level": "char", "lowercase": True}),
    (b"# written by seqlab; tokenization: level=word lowercase=false\n", False,
     {"level": "word", "lowercase": False, "pattern": "before-marks"}),
])
def test_the_first_line_says_who_wrote_the_file_and_how_its_text_was_read(
        first, elsewhere, tokenization, tmp_path):
    path = tmp_path / "m.arpa"
    path.write_bytes(first + b"\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n"
                             b"-1\t<unk>\n\n\\end\\\n")
    model = load_arpa(path)
    assert model.written_elsewhere is elsewhere
    assert model.tokenization == tokenization
    path.write_bytes(b"# written by seqlab; tokenization: level=bpe lowercase=false\n"
                     + path.read_bytes()[len(first):])
    with pytest.raises(ValueError, match="^" + re.escape(f"{path}:1: the model records a ")):
        load_arpa(path)
