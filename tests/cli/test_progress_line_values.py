"""The training progress line (qaA s20 MEDIUM 4): it shows the newest validation as soon as it
is computed (the bar at 100% is the run's last validation, not the one before), and its train
loss says it is smoothed."""

from __future__ import annotations

from pathlib import Path

from seqlab.cli.metrics_log import MetricsLog
from seqlab.cli.training import _Display


class _Bar:
    """A stand-in for rich's Progress that keeps the last info text."""

    def __init__(self) -> None:
        self.info = ""

    def update(self, task, **fields) -> None:
        self.info = fields.get("info", self.info)


def _display(tmp_path: Path) -> tuple[_Display, _Bar]:
    bar = _Bar()
    log = MetricsLog(tmp_path / "m.metrics.jsonl", None)
    return _Display(bar, 0, "steps", log, 0.0, "tokens",
                    lambda metrics: f"{metrics['loss']:.3f}"), bar


def test_last_validation_reaches_the_bar(tmp_path):
    display, bar = _display(tmp_path)
    for step, valid in ((1, 3.9), (2, 3.5)):
        display.on_step({"loss": 4.0, "step": step, "tokens": 10 * step, "elapsed": 0.1})
        display.on_eval({"loss": valid})
        assert f"val {valid:.3f}" in bar.info  # no step after the last validation is needed
    display.log.close()


def test_train_loss_is_labelled_smoothed(tmp_path):
    display, bar = _display(tmp_path)
    for step, loss in enumerate((4.0, 2.0), start=1):
        display.on_step({"loss": loss, "step": step, "tokens": 10 * step, "elapsed": 0.1})
    # 0.95 * 4.0 + 0.05 * 2.0: the bar's figure is an average, and says so
    assert "smoothed loss 3.900" in bar.info, bar.info
    display.log.close()
