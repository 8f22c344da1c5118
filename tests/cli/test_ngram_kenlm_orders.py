"""`ngram train --out X.arpa` says when a default KenLM build cannot load the file: below order 2
(tests/cli/test_ngram_eval_blank_lines.py) and above order 6, KENLM_MAX_ORDER's default (qaB
s23 item 4: KenLM refuses an order-7 seqlab ARPA, "edit lm/max_order.hh"). Checked against the
peer's kenlm where it is installed."""

from __future__ import annotations

import os
import subprocess

import pytest
from inprocess import invoke
from kenlm_peer import needs_kenlm

TRAIN = "the cat sat on the mat\nthe dog sat on the log\na cat ran to the dog\n" * 2


def train(tmp_path, order: int) -> tuple[str, object]:
    (tmp_path / "t.txt").write_text(TRAIN)
    out = tmp_path / f"o{order}.arpa"
    done = invoke("ngram", "train", tmp_path / "t.txt", "--order", str(order), "--out", out)
    assert done.returncode == 0, done.stderr
    return " ".join(done.stderr.split()), out


def test_order_7_says_a_default_kenlm_build_stops_at_6(tmp_path):
    said, _ = train(tmp_path, 7)
    assert "a default KenLM build loads ARPA files up to order 6" in said
    assert "-DKENLM_MAX_ORDER=7" in said


def test_order_6_says_nothing_about_kenlm(tmp_path):
    said, _ = train(tmp_path, 6)
    assert "KenLM" not in said


@needs_kenlm
@pytest.mark.parametrize(("order", "loads"), [(6, True), (7, False)])
def test_kenlm_loads_order_6_and_refuses_order_7(tmp_path, order, loads):
    _, out = train(tmp_path, order)
    done = subprocess.run([os.environ["SEQLAB_PEER_PYTHON"], "-c",
                           f"import kenlm; kenlm.Model({str(out)!r})"],
                          capture_output=True, text=True, timeout=300)
    assert (done.returncode == 0) == loads, done.stderr
    if not loads:
        assert "KENLM_MAX_ORDER" in done.stderr or "max_order" in done.stderr
