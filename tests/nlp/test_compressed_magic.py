"""A compressed corpus is told from text by its full header, not by the first two or three
bytes alone: text may start with "BZh9 " or a Latin-1 file with the bytes 1F 8B by chance, and
is then reported as the text it is (an invalid byte where it is), never as compressed."""

import bz2
import gzip
import lzma

import pytest

from seqlab.autograd.compressed_text import compression_of
from seqlab.nlp.corpora.reading import decode_input

TEXT = b"the cat sat on the mat\n" * 20


# mtime=0: gzip's header holds its time, and pytest-xdist's workers must collect the same
# parameters (ids name the cases, not their bytes)
@pytest.mark.parametrize(("data", "name"), [
    (gzip.compress(TEXT, mtime=0), "gzip"), (bz2.compress(TEXT), "bzip2"),
    (bz2.compress(b""), "bzip2"), (lzma.compress(TEXT), "xz"),
], ids=["gzip", "bzip2", "bzip2-empty", "xz"])
def test_real_compressed_headers_are_found(data, name):
    assert compression_of(data[:64])[0] == name


@pytest.mark.parametrize("head", [b"BZh9 is a line of text\n", b"BZh1\n", b"\x1f\x8b text \xe9\n"])
def test_text_that_starts_like_a_header_is_not_compressed(head):
    assert compression_of(head) is None


def test_a_text_starting_with_bzh_digit_is_decoded_as_text():
    assert decode_input(b"BZh9 is fine\n", "prompt") == "BZh9 is fine\n"


def test_an_invalid_byte_after_a_bzh_start_is_named_as_such():
    with pytest.raises(ValueError, match="invalid byte at byte offset 15"):
        decode_input(b"BZh9 text\nmore \xff\n", "prompt")
