"""QA round 23, finding 3: a stop signal that lands after a run's last step (its final save, or
the report after training) stops a finished run: one line saying the model is saved and the
report was cut, exit 128 + N, and never a resume command (which would fail: the run is done).
Every trainer goes through `training.run_trainer`; `forecast train` is the cheapest to run."""

from __future__ import annotations

import os
import signal

import pytest
from inprocess import invoke

from seqlab.seqmodels import Trainer


def _series(folder):
    path = folder / "s.csv"
    path.write_text("t,y\n" + "".join(f"{i},{(i * 3) % 7}\n" for i in range(40)))
    return path


def _train(folder):
    return invoke("forecast", "train", _series(folder), "--target", "y", "--time-column", "t",
                  "--window", "4", "--hidden", "4", "--steps", "2",
                  "--out", folder / "f.safetensors")


def test_a_signal_during_the_final_save_says_the_run_finished(tmp_path, monkeypatch):
    save = Trainer.save
    sent = []

    def signalled_save(self, *args, **kwargs):  # one Ctrl-C, in the first save after step 2
        if self.step == 2 and not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "save", signalled_save)
    done = _train(tmp_path)
    assert done.returncode == 130, done.stderr
    assert "resume with" not in done.stderr
    assert "interrupted after the last step: the run had finished (--steps reached) and " \
           f"{tmp_path / 'f.safetensors'} is saved; the report after training was cut" \
           in " ".join(done.stderr.split())
    assert (tmp_path / "f.safetensors").is_file() and done.stdout == ""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM],
                         ids=lambda s: signal.Signals(s).name)
def test_a_signal_during_the_report_says_the_model_is_saved(tmp_path, monkeypatch, signum):
    from seqlab.cli import forecast_run

    report = forecast_run.forecast_report

    def signalled_report(*args, **kwargs):
        os.kill(os.getpid(), signum)
        return report(*args, **kwargs)

    monkeypatch.setattr(forecast_run, "forecast_report", signalled_report)
    done = _train(tmp_path)
    assert done.returncode == 128 + signum, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "resume with" not in done.stderr
    assert "the run had finished (--steps reached)" in lines[0]
    assert "the report after training was cut" in lines[0]
    assert (tmp_path / "f.safetensors").is_file()
