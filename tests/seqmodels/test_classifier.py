"""SequenceClassifier: pooling over valid steps only, pretrained embeddings, learning a toy task."""

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad
from seqlab.autograd.nn.functional import cross_entropy
from seqlab.autograd.optim import Adam
from seqlab.seqmodels.classifier import SequenceClassifier


def make(**options):
    settings = {"vocab_size": 9, "embedding_dim": 4, "hidden_size": 5, "num_classes": 3,
                "dtype": np.float64, "generator": 0}
    settings.update(options)
    return SequenceClassifier(**settings).eval()


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_padding_changes_nothing(pooling, bidirectional, cell):
    model = make(pooling=pooling, bidirectional=bidirectional, cell=cell, num_layers=2)
    rng = np.random.default_rng(1)
    lengths = np.array([5, 2, 4])
    padded = rng.integers(1, 9, size=(3, 6))  # junk after each length, not only padding_idx
    with no_grad():
        batch_logits = model(padded, lengths).data
        for row, length in enumerate(lengths):
            alone = model(padded[row : row + 1, :length]).data
            assert np.allclose(batch_logits[row], alone[0], atol=1e-12)


@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_pooling_values_by_hand(pooling):
    model = make(pooling=pooling)
    ids = np.array([[1, 2, 3, 0], [4, 5, 0, 0]])
    lengths = np.array([3, 2])
    with no_grad():
        logits = model(ids, lengths).data
        for row, length in enumerate(lengths):
            output, _ = model.rnn(model.embedding(ids[row : row + 1, :length]))
            steps = output.data[0]
            pooled = steps.mean(0) if pooling == "mean" else steps.max(0)
            expected = pooled @ model.classifier.weight.data.T + model.classifier.bias.data
            assert np.allclose(logits[row], expected, atol=1e-12)


def test_last_pooling_bidirectional_uses_both_final_states():
    model = make(bidirectional=True)
    ids = np.array([[1, 2, 3, 4]])
    with no_grad():
        output, (h_n, _) = model.rnn(model.embedding(ids))
        # forward final = output at the last step, reverse final = output at step 0
        assert np.allclose(h_n.data[0, 0], output.data[0, -1, :5])
        assert np.allclose(h_n.data[1, 0], output.data[0, 0, 5:])
        pooled = np.concatenate([h_n.data[0, 0], h_n.data[1, 0]])
        expected = pooled @ model.classifier.weight.data.T + model.classifier.bias.data
        assert np.allclose(model(ids).data[0], expected)


@pytest.mark.parametrize("freeze", [True, False])
def test_pretrained_embeddings(freeze):
    matrix = np.random.default_rng(2).normal(size=(9, 4))
    model = make(pretrained_embeddings=matrix, freeze_embeddings=freeze).train()
    assert np.array_equal(model.embedding.weight.data, matrix)
    assert model.embedding.weight.requires_grad is not freeze
    logits = model(np.array([[1, 2, 3]]))
    cross_entropy(logits, np.array([1])).backward()
    assert (model.embedding.weight.grad is None) is freeze
    rebuilt = SequenceClassifier.from_config(model.config)
    assert rebuilt.embedding.weight.requires_grad is not freeze
    with pytest.raises(ValueError, match="pretrained_embeddings"):
        make(pretrained_embeddings=np.zeros((8, 4)))


def test_learns_which_marker_token_a_sequence_contains():
    rng = np.random.default_rng(0)
    count, steps = 96, 6
    labels = rng.integers(0, 3, size=count)
    ids = rng.integers(4, 9, size=(count, steps))
    lengths = rng.integers(3, steps + 1, size=count)
    positions = (rng.random(count) * lengths).astype(int)
    ids[np.arange(count), positions] = labels + 1  # marker tokens 1, 2, 3
    ids[np.arange(steps)[None, :] >= lengths[:, None]] = 0
    model = make(pooling="max", hidden_size=12, embedding_dim=8, dtype=np.float32).train()
    optimizer = Adam([p for p in model.parameters() if p.requires_grad], lr=0.05)
    for _ in range(40):
        loss = cross_entropy(model(ids, lengths), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    accuracy = (model.predict(ids, lengths) == labels).mean()
    assert accuracy > 0.9


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="pooling"):
        make(pooling="attention")
    with pytest.raises(ValueError, match="num_classes"):
        make(num_classes=1)
    with pytest.raises(ValueError, match="lengths"):
        make()(np.ones((2, 3), dtype=np.int64), np.array([4, 1]))
    with pytest.raises(ValueError, match="token ids"):
        make()(np.full((1, 3), 9))
    assert isinstance(make()(np.ones((2, 3), dtype=np.int64)), Tensor)


@pytest.mark.parametrize("lengths", [[3, 0], [0, 0]])
def test_an_empty_example_is_refused_by_forward_training_loss_and_evaluation(lengths):
    """qaB s23 item 5: training_loss and evaluation_metrics clamped a length of 0 to 1 (an empty
    text trained and scored as one <pad> step) where forward refuses it; PyTorch's
    pack_padded_sequence refuses an empty sequence. The CLI never sends one (an empty text is
    its own error there), so all three refuse it."""
    model = make()
    tokens = np.array([[1, 2, 3], [0, 0, 0]])
    labels = np.array([0, 1])
    with pytest.raises(ValueError, match="lengths must lie in"):
        model(tokens, np.array(lengths))
    with pytest.raises(ValueError, match="has length 0: a classifier needs at least one token"):
        model.training_loss((tokens, np.array(lengths), labels))
    with pytest.raises(ValueError, match="has length 0: a classifier needs at least one token"):
        model.evaluation_metrics([(tokens, np.array([3, 3]), labels),
                                  (tokens, np.array(lengths), labels)])
