"""Seq2Seq: teacher-forced loss and every gradient against an independent NumPy model (float64)."""

import dataclasses

import numpy as np
import pytest
from seq2seq_reference import seq2seq_loss

from seqlab.autograd import Tensor
from seqlab.seqmodels.seq2seq import Seq2Seq, make_batch

SOURCES = [[4, 5, 6, 4, 5], [6, 4], [5, 5, 6]]  # padded to 5: lengths 5, 2, 3
TARGETS = [[4, 5, 6], [7], [4, 7, 5, 6]]


def _model(**options) -> Seq2Seq:
    settings = {"embedding_dim": 4, "hidden_size": 4, "num_layers": 2, "cell": "lstm",
                "bidirectional": True, "attention": "general", "input_feeding": False}
    settings.update(options)
    model = Seq2Seq(7, 8, dtype=np.float64, generator=3, **settings)
    # larger weights than the default init, so every nonlinearity works in its curved part
    rng = np.random.default_rng(4)
    for _, parameter in model.named_parameters():
        parameter.data[...] = rng.uniform(-0.8, 0.8, parameter.shape)
    return model


def _batch(model: Seq2Seq):
    return make_batch([np.array(s) for s in SOURCES], [np.array(t) for t in TARGETS],
                      model.bos_id, model.eos_id, model.pad_id)


def _compare(model: Seq2Seq) -> None:
    batch = _batch(model)
    assert batch.source.shape == (3, 5) and (batch.source[1, 2:] == model.pad_id).all()
    loss, count, carry = model.training_loss(batch, None)
    assert count == sum(len(t) + 1 for t in TARGETS) and carry is None
    model.zero_grad()
    loss.backward()
    params = {name: array.copy() for name, array in model.state_dict().items()}
    expected_loss, expected_grads = seq2seq_loss(params, model.config, SOURCES, TARGETS)
    np.testing.assert_allclose(loss.item(), expected_loss, rtol=1e-12)
    names = [name for name, _ in model.named_parameters()]
    assert len(names) >= 15
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad, expected_grads[name], rtol=1e-9, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("attention", ["dot", "general", "additive"])
@pytest.mark.parametrize("input_feeding", [False, True])
def test_loss_and_gradients_match_numpy_reference(attention, input_feeding):
    _compare(_model(attention=attention, input_feeding=input_feeding))


def test_gru_unidirectional_tied_matches_numpy_reference():
    _compare(_model(cell="gru", bidirectional=False, num_layers=1, tie_weights=True,
                    attention="additive", input_feeding=True))


def test_reference_gradient_agrees_with_finite_differences():
    """The reference's own derivatives, checked once, so the comparison above means something."""
    model = _model(attention="additive", input_feeding=True, num_layers=1)
    params = {name: array.copy() for name, array in model.state_dict().items()}
    _, grads = seq2seq_loss(params, model.config, SOURCES, TARGETS)
    rng = np.random.default_rng(0)
    for name in ("encoder.weight_hh_l0_reverse", "bridge_c.weight", "attention.score_layer.weight",
                 "decoder.weight_ih_l0", "source_embedding.weight"):
        index = tuple(rng.integers(0, size) for size in params[name].shape)
        plus = {k: v.copy() for k, v in params.items()}
        minus = {k: v.copy() for k, v in params.items()}
        plus[name][index] += 1e-6
        minus[name][index] -= 1e-6
        numeric = (seq2seq_loss(plus, model.config, SOURCES, TARGETS)[0]
                   - seq2seq_loss(minus, model.config, SOURCES, TARGETS)[0]) / 2e-6
        assert abs(numeric - grads[name][index]) < 1e-7, name


def test_padding_gets_zero_attention_and_does_not_change_the_loss():
    model = _model(attention="dot")
    batch = _batch(model)
    logits, weights = model.forward_with_attention(batch.source, batch.source_lengths,
                                                   batch.target_in)
    assert (weights.numpy()[1, :, 2:] == 0).all() and (weights.numpy()[2, :, 3:] == 0).all()
    # other ids in the padded positions change nothing
    noisy = batch.source.copy()
    noisy[1, 2:], noisy[2, 3:] = 6, 4
    other = model(noisy, batch.source_lengths, batch.target_in)
    np.testing.assert_array_equal(other.numpy(), logits.numpy())


def test_one_sentence_alone_gives_the_same_logits_as_in_a_padded_batch():
    model = _model(attention="additive", input_feeding=True)
    batch = _batch(model)
    logits = model(batch.source, batch.source_lengths, batch.target_in).numpy()
    alone = model(batch.source[1:2, :2], batch.source_lengths[1:2], batch.target_in[1:2, :2])
    np.testing.assert_allclose(alone.numpy()[0], logits[1, :2], rtol=1e-12)


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="attention"):
        Seq2Seq(5, 5, 4, 4, attention="cosine")
    with pytest.raises(ValueError, match="even"):
        Seq2Seq(5, 5, 4, 5, bidirectional=True)
    with pytest.raises(ValueError, match="tie_weights"):
        Seq2Seq(5, 5, 3, 4, tie_weights=True)
    model = Seq2Seq(5, 5, 4, 4)
    with pytest.raises(ValueError, match="source ids"):
        model(np.array([[9]]), np.array([1]), np.array([[2]]))
    with pytest.raises(ValueError, match="source_lengths"):
        model(np.array([[1, 2]]), np.array([3]), np.array([[2]]))
    with pytest.raises(ValueError, match=r"target_in must be .* N = 1"):
        model(np.array([[1, 2]]), np.array([2]), np.array([[2], [3]]))
    with pytest.raises(ValueError, match="target_in ids"):
        model(np.array([[1, 2]]), np.array([2]), np.array([[2, 5]]))


def test_an_empty_batch_or_mismatched_targets_give_one_clear_error():
    model = _model()
    empty = make_batch([], [], model.bos_id, model.eos_id, model.pad_id)
    for call in (lambda: model.training_loss(empty),
                 lambda: model(empty.source, empty.source_lengths, empty.target_in),
                 lambda: model.encode(empty.source, empty.source_lengths)):
        with pytest.raises(ValueError, match="empty batch"):
            call()
    batch = _batch(model)
    short = dataclasses.replace(batch, target_out=batch.target_out[:, :-1])
    with pytest.raises(ValueError, match="target_out must have target_in's shape"):
        model.training_loss(short)
    wrong = dataclasses.replace(batch, target_out=batch.target_out + 100)
    with pytest.raises(ValueError, match="target_out ids"):
        model.training_loss(wrong)


def test_dropout_changes_training_but_not_eval():
    model = Seq2Seq(7, 8, 4, 4, dropout=0.5, generator=0)
    batch = _batch(model)
    model.train()
    first = model(batch.source, batch.source_lengths, batch.target_in).numpy()
    second = model(batch.source, batch.source_lengths, batch.target_in).numpy()
    assert not np.allclose(first, second)
    model.eval()
    a = model(batch.source, batch.source_lengths, batch.target_in).numpy()
    b = model(batch.source, batch.source_lengths, batch.target_in).numpy()
    np.testing.assert_array_equal(a, b)
    assert isinstance(model(batch.source, batch.source_lengths, batch.target_in), Tensor)
