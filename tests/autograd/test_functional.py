"""nn.functional losses against NumPy formulas written from PyTorch's documentation, and
float64 finite-difference gradient checks."""

import numpy as np
import pytest

import seqlab.autograd.nn.functional as F
from seqlab.autograd import Tensor, gradcheck

RNG = np.random.default_rng(1234)


def numpy_cross_entropy(logits, targets, weight=None, ignore_index=-100, reduction="mean",
                        label_smoothing=0.0):
    """PyTorch's cross_entropy for class-index targets, written out in float64.

    Per element: (1 - eps) * w[t] * -log p[t] + eps / C * sum_c w[c] * -log p[c], zero where
    t == ignore_index; 'mean' divides the sum by sum of w[t] over the kept elements.
    """
    logits = np.asarray(logits, dtype=np.float64)
    class_axis = 0 if logits.ndim == 1 else 1
    classes = logits.shape[class_axis]
    rows = np.moveaxis(logits, class_axis, -1).reshape(-1, classes)
    flat_targets = np.asarray(targets).reshape(-1)
    w = np.ones(classes) if weight is None else np.asarray(weight, dtype=np.float64)
    losses, kept_weights = [], []
    for row, target in zip(rows, flat_targets):
        if target == ignore_index:
            losses.append(0.0)
            kept_weights.append(0.0)
            continue
        log_p = row - np.log(np.sum(np.exp(row - row.max()))) - row.max()
        nll = -w[target] * log_p[target]
        smooth = -np.sum(w * log_p)
        losses.append((1 - label_smoothing) * nll + label_smoothing / classes * smooth)
        kept_weights.append(w[target])
    losses = np.array(losses)
    if reduction == "none":
        return losses.reshape(np.shape(targets))
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / np.sum(kept_weights)


LAYOUTS = {
    "batch": ((5, 4), (5,)),
    "unbatched": ((4,), ()),
    "spatial": ((3, 4, 2, 2), (3, 2, 2)),
}


def _targets(shape, classes, ignore_fraction=0.25, ignore_index=-100):
    targets = RNG.integers(0, classes, shape)
    if shape:
        targets[RNG.random(shape) < ignore_fraction] = ignore_index
        targets.reshape(-1)[0] = 1  # at least one kept target
    return targets


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_formula(layout, reduction, label_smoothing, weighted):
    input_shape, target_shape = LAYOUTS[layout]
    classes = 4
    logits = RNG.standard_normal(input_shape) * 3
    targets = _targets(target_shape, classes)
    weight = RNG.uniform(0.2, 2.0, classes) if weighted else None
    expected = numpy_cross_entropy(logits, targets, weight, -100, reduction, label_smoothing)
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 2e-5)):
        loss = F.cross_entropy(Tensor(logits.astype(dtype)), targets, weight=weight,
                               reduction=reduction, label_smoothing=label_smoothing)
        assert loss.dtype == dtype
        assert loss.shape == np.shape(expected)
        np.testing.assert_allclose(loss.numpy(), expected, rtol=rtol, atol=rtol)


def test_cross_entropy_hand_computed_values():
    # two equal logits: -log(1/2); smoothing does not change a uniform prediction
    assert F.cross_entropy(Tensor([[0.0, 0.0]]), np.array([0])).item() == pytest.approx(np.log(2))
    # logits [log 1, log 3]: p = [1/4, 3/4]; target 1 with eps = 0.5:
    # 0.5 * -log(3/4) + 0.5 / 2 * (-log(1/4) - log(3/4))
    loss = F.cross_entropy(Tensor(np.log([[1.0, 3.0]])), np.array([1]), label_smoothing=0.5)
    expected = 0.5 * -np.log(0.75) + 0.25 * (-np.log(0.25) - np.log(0.75))
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_cross_entropy_custom_ignore_index_and_all_ignored():
    logits = Tensor(RNG.standard_normal((4, 3)))
    targets = np.array([2, 0, 2, 1])
    expected = numpy_cross_entropy(logits.numpy(), targets, ignore_index=2)
    assert F.cross_entropy(logits, targets, ignore_index=2).item() == pytest.approx(expected)
    everything = np.full(4, -100)
    assert np.isnan(F.cross_entropy(logits, everything).item())  # 0 / 0, as PyTorch
    assert F.cross_entropy(logits, everything, reduction="sum").item() == 0.0


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradcheck(layout, reduction):
    input_shape, target_shape = LAYOUTS[layout]
    logits = Tensor(RNG.standard_normal(input_shape), requires_grad=True)
    targets = _targets(target_shape, 4)
    weight = RNG.uniform(0.5, 1.5, 4)
    for options in ({}, {"label_smoothing": 0.3}, {"weight": weight, "label_smoothing": 0.1}):
        gradcheck(lambda x, options=options: F.cross_entropy(x, targets, reduction=reduction,
                                                              **options), [logits])


def test_cross_entropy_ignored_rows_get_zero_gradient():
    logits = Tensor(RNG.standard_normal((3, 5)), requires_grad=True)
    F.cross_entropy(logits, np.array([1, -100, 4]), label_smoothing=0.1).backward()
    assert np.all(logits.grad[1] == 0)
    # each kept row's gradient sums to zero (softmax minus a distribution)
    np.testing.assert_allclose(logits.grad.sum(axis=1), 0, atol=1e-12)


def test_cross_entropy_with_huge_logits_is_finite():
    logits = Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=np.float32),
                    requires_grad=True)
    loss = F.cross_entropy(logits, np.array([1, 2]), label_smoothing=0.1)
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(logits.grad))
    expected = numpy_cross_entropy(logits.numpy(), np.array([1, 2]), label_smoothing=0.1)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets(label_smoothing, reduction):
    logits = RNG.standard_normal((3, 4, 2))
    probabilities = RNG.dirichlet(np.ones(4), size=(3, 2)).transpose(0, 2, 1)
    weight = RNG.uniform(0.5, 2.0, 4)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    smoothed = probabilities * (1 - label_smoothing) + label_smoothing / 4
    per_element = -(weight[None, :, None] * smoothed * log_p).sum(axis=1)
    expected = {"none": per_element, "sum": per_element.sum(), "mean": per_element.mean()}
    loss = F.cross_entropy(Tensor(logits), probabilities, weight=weight, reduction=reduction,
                           label_smoothing=label_smoothing)
    np.testing.assert_allclose(loss.numpy(), expected[reduction], rtol=1e-12)
    x = Tensor(logits, requires_grad=True)
    gradcheck(lambda x: F.cross_entropy(x, probabilities, weight=weight, reduction=reduction,
                                        label_smoothing=label_smoothing), [x])


def test_cross_entropy_errors_say_what_is_wrong():
    logits = Tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match="target 3 at position 1 is out of range for 3 classes"):
        F.cross_entropy(logits, np.array([0, 3]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(logits, np.array([0, 1]), reduction="average")
    with pytest.raises(ValueError, match=r"weight must have one entry per class, shape \(3,\)"):
        F.cross_entropy(logits, np.array([0, 1]), weight=np.ones(2))
    with pytest.raises(ValueError, match=r"targets of shape \(2,\), got \(3,\)"):
        F.cross_entropy(logits, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        F.cross_entropy(logits, np.array([0, 1]), label_smoothing=1.5)
    with pytest.raises(IndexError, match="target -5"):
        F.nll_loss(logits, np.array([0, -5]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_matches_formula_and_gradcheck(reduction):
    log_probs = RNG.standard_normal((6, 5))
    targets = np.array([0, 4, -100, 2, 2, 1])
    weight = RNG.uniform(0.5, 2.0, 5)
    kept = targets != -100
    per_row = np.where(kept, -log_probs[np.arange(6), np.where(kept, targets, 0)]
                       * weight[np.where(kept, targets, 0)], 0.0)
    expected = {"none": per_row, "sum": per_row.sum(),
                "mean": per_row.sum() / weight[targets[kept]].sum()}[reduction]
    loss = F.nll_loss(Tensor(log_probs), targets, weight=weight, reduction=reduction)
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-12)
    x = Tensor(log_probs, requires_grad=True)
    gradcheck(lambda x: F.nll_loss(x, targets, weight=weight, reduction=reduction), [x])
    # cross_entropy == nll_loss(log_softmax)
    logits = Tensor(RNG.standard_normal((6, 5)))
    np.testing.assert_allclose(
        F.cross_entropy(logits, targets, weight=weight, reduction=reduction).numpy(),
        F.nll_loss(F.log_softmax(logits, 1), targets, weight=weight, reduction=reduction).numpy(),
        rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(reduction):
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    squared = (a - b) ** 2
    expected = {"none": squared, "sum": squared.sum(), "mean": squared.mean()}[reduction]
    np.testing.assert_allclose(F.mse_loss(Tensor(a), Tensor(b), reduction).numpy(), expected)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    gradcheck(lambda x, y: F.mse_loss(x, y, reduction), [x, y])


def numpy_bce_with_logits(x, t, weight=None, pos_weight=None):
    """-[pos_weight * t * log sigmoid(x) + (1 - t) * log(1 - sigmoid(x))] * weight."""
    pos_weight = 1.0 if pos_weight is None else pos_weight
    log_sigmoid = -np.logaddexp(0, -x)
    log_one_minus = -np.logaddexp(0, x)
    loss = -(pos_weight * t * log_sigmoid + (1 - t) * log_one_minus)
    return loss if weight is None else loss * weight


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("with_weights", [False, True])
def test_binary_cross_entropy_with_logits(reduction, with_weights):
    x = RNG.standard_normal((4, 3)) * 3
    x[0, 0] = 0.0  # the kink of |x| in the stable formula
    t = RNG.random((4, 3))
    weight = RNG.uniform(0.5, 2, (4, 3)) if with_weights else None
    pos_weight = RNG.uniform(0.5, 3, 3) if with_weights else None
    per_element = numpy_bce_with_logits(x, t, weight, pos_weight)
    expected = {"none": per_element, "sum": per_element.sum(),
                "mean": per_element.mean()}[reduction]
    loss = F.binary_cross_entropy_with_logits(Tensor(x), t, weight, reduction, pos_weight)
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-12)
    logits, target = Tensor(x, requires_grad=True), Tensor(t, requires_grad=True)
    gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight, reduction,
                                                              pos_weight), [logits, target])


def test_binary_cross_entropy_with_huge_logits_is_finite():
    x = Tensor(np.array([1e4, -1e4, 1e4, -1e4], dtype=np.float32), requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [0, 0, 1e4, 1e4])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [0, 0, 1, -1])


def test_softmax_and_log_softmax_are_stable():
    x = Tensor(np.array([[1e4, 1e4 - np.log(3)], [-1e4, -1e4]]))
    np.testing.assert_allclose(F.softmax(x, 1).numpy(), [[0.75, 0.25], [0.5, 0.5]], rtol=1e-9)
    np.testing.assert_allclose(F.log_softmax(x, -1).numpy(),
                               np.log([[0.75, 0.25], [0.5, 0.5]]), rtol=1e-9)
