"""Every head takes the cell names `cell_kind` takes: 'lstm', 'gru', 'rnn', 'rnn_relu' and a
stack's own mode names ('rnn_tanh'), as LanguageModel always did; an unknown name is refused
in one line by all of them alike."""

import numpy as np
import pytest

from seqlab.seqmodels import LanguageModel, Seq2Seq, SequenceClassifier, SequenceRegressor

HEADS = {
    "LanguageModel": lambda cell: LanguageModel(8, 4, 4, cell=cell),
    "SequenceClassifier": lambda cell: SequenceClassifier(8, 4, 4, num_classes=2, cell=cell),
    "SequenceRegressor": lambda cell: SequenceRegressor(3, 4, cell=cell),
    "Seq2Seq": lambda cell: Seq2Seq(8, 8, 4, 4, cell=cell),
}


@pytest.mark.parametrize("head", HEADS)
def test_rnn_tanh_builds_the_tanh_rnn_as_rnn_does(head):
    made, plain = HEADS[head]("rnn_tanh"), HEADS[head]("rnn")
    modes = {module.mode for module in made.modules() if hasattr(module, "mode")}
    assert modes == {module.mode for module in plain.modules() if hasattr(module, "mode")}
    assert modes == {"rnn_tanh"}


@pytest.mark.parametrize("head", HEADS)
def test_an_unknown_cell_is_refused_alike(head):
    with pytest.raises(ValueError, match=r"^cell must be one of lstm, gru, rnn, rnn_relu, "
                                         r"got 'lstn'$"):
        HEADS[head]("lstn")


def test_a_regressor_with_rnn_tanh_runs():
    model = SequenceRegressor(3, 4, cell="rnn_tanh")
    assert model(np.zeros((2, 5, 3), np.float32)).shape[0] == 2
