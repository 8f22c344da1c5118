"""Every training command ends with the stop reason in words, as `train` does ("after 2 steps
(--steps reached)"), never the Trainer's name for it ("(steps)", "(time_budget)"). Each
command's own line is checked in a run its tests make anyway: test_seq2seq_cli (steps),
test_forecast (steps), test_errors_policy_readers (classify, epochs)."""

from __future__ import annotations

from seqlab.cli.training import saved_line


def test_saved_line_words_every_reason():
    assert saved_line("m.safetensors", 2, "steps") == "Saved m.safetensors after 2 steps " \
        "(--steps reached)"
    assert saved_line("m.safetensors", 1, "time_budget").endswith("after 1 step "
                                                                  "(--time-budget used)")
    assert "(early stopping)" in saved_line("m.safetensors", 9, "early_stopping")

