"""qaA s24 #8: a range is printed as what is accepted: an absent bound is infinite and never
accepted (`--lr inf` is refused as not finite), so it is open: "(0, inf)", never "(0, inf]"."""

from inprocess import assert_one_line_failure, invoke


def test_an_unbounded_float_range_is_open_at_infinity():
    done = invoke("train", "--lr", "0", "--steps", "1", "-o", "never.safetensors")
    assert_one_line_failure(done, "--lr must be in (0, inf), got 0", code=2)
    done = invoke("train", "--time-budget", "0", "-o", "never.safetensors")
    assert_one_line_failure(done, "(0, inf), got 0", code=2)


def test_require_range_prints_open_infinite_bounds():
    import pytest

    from seqlab.cli.errors import CliError, require_range

    with pytest.raises(CliError, match=r"must be in \(-inf, 1\], got 2"):
        require_range("--x", 2, None, 1)
