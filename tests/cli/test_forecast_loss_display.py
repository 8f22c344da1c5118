"""`forecast train` shows its validation MSE by the rule every training display follows
(`loss_display.loss_text`: 3 decimals, 4 significant digits once huge), not every digit."""

from __future__ import annotations

import re

from inprocess import invoke

from seqlab.cli.loss_display import loss_text


def test_a_diverging_forecasters_validation_mse_is_shown_compactly(tmp_path):
    # lr 1e4 without clipping: the validation MSE is near 1e7 by step 4, still finite
    done = invoke("forecast", "train", "--series", "sunspots", "--lr", "1e4", "--clip", "none",
                  "--steps", "6", "--eval-every", "2", "--hidden", "8", "--window", "6",
                  "--out", tmp_path / "f.safetensors")
    assert done.returncode == 0, done.stderr
    shown = re.findall(r"val mse (\S+)", done.stderr)
    assert shown, done.stderr
    assert loss_text(float(shown[-1])) == shown[-1], done.stderr
    assert "e+" in shown[-1], done.stderr  # huge: the rule's compact form
