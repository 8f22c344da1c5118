"""The metrics log appends whole lines (no rewrite per flush), truncates once to a resumed
step, and its readers skip a torn last line."""

from __future__ import annotations

import json

from seqlab.cli import metrics_log
from seqlab.cli.metrics_log import MetricsLog, read_rows


def lines(path):
    return path.read_text().splitlines()


def test_flushes_append_to_the_same_file_without_rewriting_it(tmp_path, monkeypatch):
    path = tmp_path / "run.metrics.jsonl"
    rewrites = []
    original = metrics_log.atomic_write

    def counting(*args, **kwargs):
        rewrites.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(metrics_log, "atomic_write", counting)
    with MetricsLog(path) as log:
        inode = path.stat().st_ino
        for step in range(1, 201):
            log.add({"type": "train", "step": step, "loss": 1.0 / step}, flush=True)
            assert path.stat().st_ino == inode  # appended in place, never replaced
    assert rewrites == [path]  # the one rewrite at the start, not one per flush
    assert [json.loads(line)["step"] for line in lines(path)] == list(range(1, 201))


def test_rows_wait_in_memory_and_reach_the_file_as_whole_lines(tmp_path):
    path = tmp_path / "run.metrics.jsonl"
    log = MetricsLog(path)
    log._last_flush = float("inf")  # not due: only an explicit flush writes
    log.add({"type": "train", "step": 10, "loss": float("nan")})
    assert path.read_bytes() == b""
    log.add({"type": "valid", "step": 10, "loss": 2.5}, flush=True)
    text = path.read_text()
    assert text.endswith("\n") and len(lines(path)) == 2
    assert json.loads(lines(path)[0])["loss"] is None  # NaN written as null
    log.close()
    log.close()


def test_a_resumed_log_drops_later_rows_and_a_torn_last_line(tmp_path):
    path = tmp_path / "run.metrics.jsonl"
    with MetricsLog(path) as log:
        for step in (10, 20, 30):
            log.add({"type": "train", "step": step, "loss": 1.0})
    with path.open("a") as file:
        file.write('{"type": "train", "step": 40, "lo')  # a power loss mid-line
    assert [row["step"] for row in read_rows(path)] == [10, 20, 30]
    with MetricsLog(path, resume_step=20) as log:
        log.add({"type": "train", "step": 30, "loss": 0.5})
    rows = [json.loads(line) for line in lines(path)]  # every line is JSON again
    assert [(row["step"], row["loss"]) for row in rows] == [(10, 1.0), (20, 1.0), (30, 0.5)]
