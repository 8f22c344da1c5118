"""cross_entropy's backward writes the logits' gradient over the probabilities it saved, unless
the graph is retained: the gradient must equal finite differences (float64) and the retained
path for every option, a retained graph must give the same gradient twice, and the kernels
(and their NumPy references, also under NUMBA_DISABLE_JIT=1) must allow the output to be the
probabilities themselves."""

import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.autograd.kernels import reference
from seqlab.autograd.kernels import softmax_cross_entropy as ce_kernels
from seqlab.autograd.nn import functional as F

OPTIONS = [
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"ignore_index": 2},
    {"label_smoothing": 0.2},
    {"weight": "weights", "label_smoothing": 0.1, "ignore_index": 0},
    {"weight": "weights", "reduction": "sum"},
]


def _case(seed: int, rows: int = 7, classes: int = 5):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((rows, classes)) * 2
    targets = rng.integers(0, classes, rows)
    targets[1] = 2  # ignore_index=2 then drops at least one row
    weights = rng.uniform(0.2, 2.0, classes)
    cotangent = rng.standard_normal(rows)
    return logits, targets, weights, cotangent


def _loss_value(logits: np.ndarray, targets: np.ndarray, options: dict,
                cotangent: np.ndarray) -> Tensor:
    loss = F.cross_entropy(Tensor(logits, requires_grad=True) if not isinstance(logits, Tensor)
                           else logits, targets, **options)
    return (loss * cotangent).sum() if loss.ndim else loss


def _resolved(options: dict, weights: np.ndarray) -> dict:
    return {key: (weights if value == "weights" else value) for key, value in options.items()}


def _gradient(logits, targets, options, cotangent, retain_graph):
    x = Tensor(logits.copy(), requires_grad=True)
    _loss_value(x, targets, options, cotangent).backward(retain_graph=retain_graph)
    return x.grad.copy()


@pytest.mark.parametrize("options", OPTIONS)
def test_in_place_gradient_matches_finite_differences_and_the_retained_path(options):
    logits, targets, weights, cotangent = _case(0)
    options = _resolved(options, weights)
    in_place = _gradient(logits, targets, options, cotangent, retain_graph=False)
    retained = _gradient(logits, targets, options, cotangent, retain_graph=True)
    np.testing.assert_allclose(in_place, retained, rtol=1e-13, atol=1e-15)

    eps = 1e-6
    numeric = np.zeros_like(logits)
    for index in np.ndindex(logits.shape):
        shifted = []
        for sign in (1.0, -1.0):
            moved = logits.copy()
            moved[index] += sign * eps
            shifted.append(float(_loss_value(moved, targets, options, cotangent).data))
        numeric[index] = (shifted[0] - shifted[1]) / (2 * eps)
    np.testing.assert_allclose(in_place, numeric, rtol=1e-6, atol=1e-8)


def test_a_retained_graph_gives_the_same_gradient_twice():
    logits, targets, weights, _ = _case(1)
    x = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, targets, weight=weights, label_smoothing=0.1)
    loss.backward(retain_graph=True)
    first = x.grad.copy()
    loss.backward()  # the graph was kept: the probabilities are intact
    np.testing.assert_allclose(x.grad, 2 * first, rtol=1e-13, atol=1e-15)


def test_a_second_backward_after_the_in_place_one_raises():
    logits, targets, _, _ = _case(2)
    x = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, targets)
    loss.backward()
    with pytest.raises(RuntimeError, match="backward"):
        loss.backward()


def test_logits_used_twice_sum_both_gradients():
    """The gradient array is the node's own: the engine may add another path's into it."""
    logits, targets, _, _ = _case(3)
    x = Tensor(logits, requires_grad=True)
    (F.cross_entropy(x, targets) + F.cross_entropy(x * 2.0, targets)).backward()
    separate = [_gradient(logits, targets, {}, None, False),
                2 * _gradient(2 * logits, targets, {}, None, False)]
    np.testing.assert_allclose(x.grad, separate[0] + separate[1], rtol=1e-12, atol=1e-14)


@pytest.mark.kernels
@pytest.mark.parametrize("module", [ce_kernels, reference], ids=["kernel", "reference"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("smoothing,weighted,shared", [(0.0, False, True), (0.1, True, False),
                                                       (0.3, False, False), (0.0, True, True)])
def test_backward_kernel_may_write_over_the_probabilities(module, dtype, smoothing, weighted,
                                                          shared):
    rng = np.random.default_rng(4)
    rows, classes = 6, 37
    logits = (rng.standard_normal((rows, classes)) * 3).astype(dtype)
    targets = rng.integers(0, classes, rows).astype(np.int64)
    targets[2] = -100
    weight = rng.uniform(0.1, 2.0, classes).astype(dtype) if weighted else np.empty(0, dtype)
    probs = np.zeros_like(logits)
    losses = np.zeros(rows, dtype)
    module.softmax_cross_entropy_forward(logits, targets, weight, -100, smoothing, probs, losses)
    row_grads = rng.standard_normal(1 if shared else rows).astype(dtype)
    separate = np.full_like(probs, np.nan)
    module.softmax_cross_entropy_backward(probs, targets, weight, -100, smoothing, row_grads,
                                          separate)
    module.softmax_cross_entropy_backward(probs, targets, weight, -100, smoothing, row_grads,
                                          probs)
    np.testing.assert_array_equal(probs, separate)


@pytest.fixture
def two_threads():
    from seqlab.autograd.threads import get_num_threads, set_num_threads

    before = get_num_threads()
    set_num_threads(2)
    yield
    set_num_threads(before)


def _numpy_cross_entropy(logits: np.ndarray, targets: np.ndarray, ignore_index: int):
    """Mean cross-entropy and its gradient, written directly in NumPy (float64)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    kept = targets != ignore_index
    safe = np.where(kept, targets, 0)
    picked = log_probs[np.arange(len(targets)), safe]
    loss = -picked[kept].sum() / kept.sum()
    grad = np.exp(log_probs)
    grad[np.arange(len(targets)), safe] -= 1.0
    grad[~kept] = 0.0
    return loss, grad / kept.sum()


def test_row_blocks_on_two_threads_match_numpy(two_threads):
    """Logits large enough to split into row blocks: the loss and gradient over all blocks."""
    from seqlab.autograd.nn.functions import cross_entropy as module

    classes = 2048
    rows = 3 * module._min_block_rows(classes)  # two or three blocks, whatever the split
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((rows, classes)) * 3
    targets = rng.integers(0, classes, rows)
    targets[rng.random(rows) < 0.1] = -1
    x = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, targets, ignore_index=-1)
    loss.backward()
    expected_loss, expected_grad = _numpy_cross_entropy(logits, targets, -1)
    np.testing.assert_allclose(float(loss.data), expected_loss, rtol=1e-12)
    np.testing.assert_allclose(x.grad, expected_grad, rtol=1e-10, atol=1e-16)


@pytest.mark.parametrize("bad_rows", [[-1], [5, -1], [-3, -1]])
def test_row_blocks_report_the_first_bad_target(two_threads, bad_rows):
    from seqlab.autograd.nn.functions import cross_entropy as module

    classes = 1024
    rows = 2 * module._min_block_rows(classes)
    targets = np.zeros(rows, dtype=np.int64)
    for row in bad_rows:
        targets[row] = classes + 7
    first = sorted(row % rows for row in bad_rows)[0]
    logits = Tensor(np.zeros((rows, classes), dtype=np.float32), requires_grad=True)
    with pytest.raises(IndexError, match=f"at position {first} "):
        F.cross_entropy(logits, targets)
