"""Optimizers against PyTorch's published pseudo-code, written out independently below."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.autograd.io import load, save
from seqlab.autograd.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

STEPS = 6
SHAPES = [(3, 4), (5,)]


# --------------------------------------------------------------------- reference formulas
# Each follows the "Algorithm" box of the torch.optim docs: one parameter, plain float64
# NumPy, fresh arrays every step (no in-place tricks), returning θ after every step.


def reference_sgd(theta, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False, maximize=False):
    trajectory, buffer = [], None
    for t, gradient in enumerate(grads, start=1):
        g = -gradient if maximize else gradient
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            buffer = g if t == 1 else momentum * buffer + (1 - dampening) * g
            g = g + momentum * buffer if nesterov else buffer
        theta = theta - lr * g
        trajectory.append(theta)
    return trajectory


def reference_adam(theta, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   amsgrad=False, maximize=False, decoupled=False):
    beta1, beta2 = betas
    m = v = v_max = np.zeros_like(theta)
    trajectory = []
    for t, gradient in enumerate(grads, start=1):
        g = -gradient if maximize else gradient
        if weight_decay != 0:
            if decoupled:  # AdamW: θ ← θ - γλθ
                theta = theta - lr * weight_decay * theta
            else:
                g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - beta2**t)
        else:
            v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append(theta)
    return trajectory


def reference_rmsprop(theta, grads, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                      centered=False, maximize=False):
    v = g_ave = b = np.zeros_like(theta)
    trajectory = []
    for gradient in grads:
        g = -gradient if maximize else gradient
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g**2
        v_tilde = v
        if centered:
            g_ave = g_ave * alpha + (1 - alpha) * g
            v_tilde = v_tilde - g_ave**2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(v_tilde) + eps)
        trajectory.append(theta)
    return trajectory


def reference_adagrad(theta, grads, lr, lr_decay=0.0, weight_decay=0.0,
                      initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    state_sum = np.full_like(theta, initial_accumulator_value)
    trajectory = []
    for t, gradient in enumerate(grads, start=1):
        g = -gradient if maximize else gradient
        decayed_lr = lr / (1 + (t - 1) * lr_decay)
        if weight_decay != 0:
            g = g + weight_decay * theta
        state_sum = state_sum + g**2
        theta = theta - decayed_lr * g / (np.sqrt(state_sum) + eps)
        trajectory.append(theta)
    return trajectory


def reference_adamw(theta, grads, lr, weight_decay=1e-2, **options):
    return reference_adam(theta, grads, lr, weight_decay=weight_decay, decoupled=True, **options)


CASES = [
    (SGD, reference_sgd, {"lr": 0.1}),
    (SGD, reference_sgd, {"lr": 0.1, "momentum": 0.9}),
    (SGD, reference_sgd, {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}),
    (SGD, reference_sgd, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (SGD, reference_sgd, {"lr": 0.1, "momentum": 0.5, "maximize": True, "weight_decay": 0.2}),
    (Adam, reference_adam, {"lr": 0.01}),
    (Adam, reference_adam, {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-3}),
    (Adam, reference_adam, {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    (Adam, reference_adam, {"lr": 0.01, "maximize": True, "amsgrad": True}),
    (AdamW, reference_adamw, {"lr": 0.01}),
    (AdamW, reference_adamw, {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    (AdamW, reference_adamw, {"lr": 0.05, "betas": (0.8, 0.99), "maximize": True}),
    (RMSprop, reference_rmsprop, {"lr": 0.01}),
    (RMSprop, reference_rmsprop, {"lr": 0.01, "alpha": 0.9, "eps": 1e-4, "weight_decay": 0.1}),
    (RMSprop, reference_rmsprop, {"lr": 0.01, "momentum": 0.7}),
    (RMSprop, reference_rmsprop, {"lr": 0.01, "centered": True}),
    (RMSprop, reference_rmsprop, {"lr": 0.01, "centered": True, "momentum": 0.8,
                                  "weight_decay": 0.05, "maximize": True}),
    (Adagrad, reference_adagrad, {"lr": 0.1}),
    (Adagrad, reference_adagrad, {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1}),
    (Adagrad, reference_adagrad, {"lr": 0.1, "initial_accumulator_value": 0.3, "eps": 1e-4,
                                  "maximize": True}),
]


def case_id(case):
    optimizer_class, _, options = case
    return optimizer_class.__name__ + "-" + "-".join(f"{k}={v}" for k, v in options.items())


def make_problem(seed, dtype=np.float64, steps=STEPS):
    """Starting values and a fixed gradient sequence for each of two parameters."""
    rng = np.random.default_rng(seed)
    starts = [rng.normal(size=shape) for shape in SHAPES]
    grads = [[rng.normal(size=shape) for shape in SHAPES] for _ in range(steps)]
    params = [Tensor(start.astype(dtype), requires_grad=True) for start in starts]
    return starts, grads, params


def run(optimizer, params, grads):
    """Feed the fixed gradients; returns each parameter's values after every step."""
    trajectories = [[] for _ in params]
    for step_grads in grads:
        for param, grad in zip(params, step_grads):
            param.grad = grad.astype(param.data.dtype)
        optimizer.step()
        for trajectory, param in zip(trajectories, params):
            trajectory.append(param.data.copy())
    return trajectories


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_updates_follow_published_formulas(case):
    optimizer_class, reference, options = case
    starts, grads, params = make_problem(seed=1)
    trajectories = run(optimizer_class(params, **options), params, grads)
    for index, start in enumerate(starts):
        expected = reference(start, [step[index] for step in grads], **options)
        np.testing.assert_allclose(trajectories[index], expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES[::3], ids=case_id)
def test_float32_parameters_stay_float32_and_follow_the_formulas(case):
    optimizer_class, reference, options = case
    starts, grads, params = make_problem(seed=2, dtype=np.float32)
    trajectories = run(optimizer_class(params, **options), params, grads)
    for index, start in enumerate(starts):
        assert params[index].data.dtype == np.float32
        expected = reference(start, [step[index] for step in grads], **options)
        np.testing.assert_allclose(trajectories[index], expected, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gradients_are_not_modified(case):
    optimizer_class, _, options = case
    _, grads, params = make_problem(seed=3, steps=2)
    optimizer = optimizer_class(params, **options)
    for step_grads in grads:
        for param, grad in zip(params, step_grads):
            param.grad = grad.copy()
        optimizer.step()
        for param, grad in zip(params, step_grads):
            np.testing.assert_array_equal(param.grad, grad)


@pytest.mark.parametrize("case", [CASES[1], CASES[5], CASES[16], CASES[18]], ids=case_id)
def test_parameter_without_gradient_is_skipped_and_its_step_count_waits(case):
    optimizer_class, reference, options = case
    starts, grads, params = make_problem(seed=4, steps=4)
    optimizer = optimizer_class(params, **options)
    late = params[1]
    trajectory = []
    for step, step_grads in enumerate(grads):
        params[0].grad = step_grads[0]
        late.grad = None if step < 2 else step_grads[1]
        optimizer.step()
        if step < 2:
            np.testing.assert_array_equal(late.data, starts[1])
            assert late not in optimizer.state
        else:
            trajectory.append(late.data.copy())
    # Its first real update is step t=1 of the formula, not t=3.
    expected = reference(starts[1], [step[1] for step in grads[2:]], **options)
    np.testing.assert_allclose(trajectory, expected, rtol=1e-12, atol=1e-14)


def test_param_groups_use_their_own_options():
    starts, grads, params = make_problem(seed=5)
    optimizer = Adam(
        [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.1, "betas": (0.5, 0.6)}],
        lr=0.01,
    )
    assert optimizer.param_groups[0]["lr"] == 0.01
    assert optimizer.param_groups[1]["eps"] == 1e-8  # filled from the defaults
    trajectories = run(optimizer, params, grads)
    first = reference_adam(starts[0], [step[0] for step in grads], lr=0.01)
    second = reference_adam(starts[1], [step[1] for step in grads], lr=0.1, betas=(0.5, 0.6))
    np.testing.assert_allclose(trajectories[0], first, rtol=1e-12)
    np.testing.assert_allclose(trajectories[1], second, rtol=1e-12)


def test_changing_a_group_lr_changes_the_next_update():
    param = Tensor(np.zeros(3), requires_grad=True)
    optimizer = SGD([param], lr=1.0)
    param.grad = np.array([1.0, 2.0, 3.0])
    optimizer.step()
    optimizer.param_groups[0]["lr"] = 0.5
    optimizer.step()
    np.testing.assert_allclose(param.data, -1.5 * np.array([1.0, 2.0, 3.0]))


def test_add_param_group_later():
    starts, grads, params = make_problem(seed=6, steps=2)
    optimizer = SGD([params[0]], lr=0.1, momentum=0.9)
    optimizer.add_param_group({"params": params[1], "lr": 0.2})
    run(optimizer, params, grads)
    expected = reference_sgd(starts[1], [step[1] for step in grads], lr=0.2, momentum=0.9)
    np.testing.assert_allclose(params[1].data, expected[-1], rtol=1e-12)


# --------------------------------------------------------------------- state dict
def flatten_to_file(optimizer, path):
    """Store a state dict the way a checkpoint does: arrays in safetensors, the rest in JSON."""
    state_dict = optimizer.state_dict()
    arrays, scalars = {}, {}
    for index, values in state_dict["state"].items():
        for name, value in values.items():
            if isinstance(value, np.ndarray):
                arrays[f"{index}.{name}"] = value
            else:
                scalars[f"{index}.{name}"] = value
    save(path, arrays, {"param_groups": state_dict["param_groups"], "scalars": scalars})


def unflatten_from_file(path):
    arrays, metadata = load(path)
    state: dict[str, dict] = {}
    for key, value in [*arrays.items(), *metadata["scalars"].items()]:
        index, name = key.split(".", 1)
        state.setdefault(index, {})[name] = value
    return {"state": state, "param_groups": metadata["param_groups"]}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_state_dict_round_trip_through_a_file_continues_identically(case, tmp_path):
    optimizer_class, _, options = case
    _, grads, params = make_problem(seed=7, steps=6)
    optimizer = optimizer_class(params, **options)
    run(optimizer, params, grads[:3])
    flatten_to_file(optimizer, tmp_path / "optimizer.safetensors")

    resumed_params = [Tensor(param.data.copy(), requires_grad=True) for param in params]
    resumed = optimizer_class(resumed_params, lr=123.0)  # options come from the state dict
    resumed.load_state_dict(unflatten_from_file(tmp_path / "optimizer.safetensors"))
    assert resumed.param_groups[0]["lr"] == options["lr"]

    original_rest = run(optimizer, params, grads[3:])
    resumed_rest = run(resumed, resumed_params, grads[3:])
    for original, again in zip(original_rest, resumed_rest):
        np.testing.assert_array_equal(original, again)


def test_state_dict_is_a_json_able_snapshot():
    _, grads, params = make_problem(seed=8, steps=2)
    optimizer = Adam(params, lr=0.01, amsgrad=True)
    run(optimizer, params, grads[:1])
    snapshot = optimizer.state_dict()
    assert sorted(snapshot["state"]) == [0, 1]
    assert set(snapshot["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert snapshot["state"][0]["step"] == 1
    assert snapshot["param_groups"][0]["params"] == [0, 1]
    json.dumps(snapshot["param_groups"])
    saved_average = snapshot["state"][0]["exp_avg"].copy()
    run(optimizer, params, grads[1:])
    np.testing.assert_array_equal(snapshot["state"][0]["exp_avg"], saved_average)


def test_load_state_dict_casts_arrays_to_the_parameter_dtype():
    _, grads, params = make_problem(seed=9, steps=1)
    optimizer = Adam(params)
    run(optimizer, params, grads)
    params32 = [Tensor(param.data.astype(np.float32), requires_grad=True) for param in params]
    resumed = Adam(params32)
    resumed.load_state_dict(optimizer.state_dict())
    assert resumed.state[params32[0]]["exp_avg"].dtype == np.float32


def test_load_state_dict_rejects_a_different_model():
    _, grads, params = make_problem(seed=10, steps=1)
    optimizer = SGD(params, lr=0.1, momentum=0.9)
    run(optimizer, params, grads)
    state_dict = optimizer.state_dict()

    with pytest.raises(ValueError, match="1 parameter groups but the optimizer has 2"):
        SGD([{"params": [params[0]]}, {"params": [params[1]]}]).load_state_dict(state_dict)
    with pytest.raises(ValueError, match="group 0 has 1 parameters"):
        SGD([params[0]]).load_state_dict(state_dict)
    reshaped = [Tensor(np.zeros((4, 3)), requires_grad=True), params[1]]
    with pytest.raises(ValueError, match=r"momentum_buffer.*shape \(3, 4\).*\(4, 3\)"):
        SGD(reshaped, momentum=0.9).load_state_dict(state_dict)
    with pytest.raises(ValueError, match="needs 'state' and 'param_groups'"):
        SGD(params).load_state_dict({"state": {}})


# --------------------------------------------------------------------- construction and API
def test_constructor_errors():
    weight = Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(TypeError, match="got a single Tensor"):
        SGD(weight)
    with pytest.raises(ValueError, match="empty parameter list"):
        Adam([])
    with pytest.raises(ValueError, match="more than once"):
        SGD([weight, weight])
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [weight]}, {"params": [weight]}])
    with pytest.raises(TypeError, match="only optimize Tensors"):
        SGD([np.zeros(3)])
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([weight * 2.0])
    with pytest.raises(TypeError, match="not a set"):
        SGD([{"params": {weight}}])
    with pytest.raises(ValueError, match="needs a 'params' entry"):
        SGD([{"lr": 0.1}])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: SGD(p, lr=-1.0), "Invalid learning rate"),
        (lambda p: SGD(p, momentum=-0.1), "Invalid momentum"),
        (lambda p: SGD(p, nesterov=True), "Nesterov momentum requires"),
        (lambda p: SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "zero dampening"),
        (lambda p: Adam(p, betas=(1.0, 0.999)), "beta parameter at index 0"),
        (lambda p: AdamW(p, betas=(0.9, -0.1)), "beta parameter at index 1"),
        (lambda p: Adam(p, eps=-1.0), "Invalid epsilon"),
        (lambda p: AdamW(p, weight_decay=-1.0), "Invalid weight_decay"),
        (lambda p: RMSprop(p, alpha=-0.5), "Invalid alpha"),
        (lambda p: Adagrad(p, lr_decay=-0.5), "Invalid lr_decay"),
        (lambda p: Adam([{"params": p, "lr": -0.5}]), "Invalid learning rate"),
    ],
)
def test_invalid_options(make, message):
    with pytest.raises(ValueError, match=message):
        make([Tensor(np.zeros(2), requires_grad=True)])


def test_defaults_match_pytorch():
    weight = [Tensor(np.zeros(2), requires_grad=True)]
    assert SGD(weight).defaults["lr"] == 1e-3
    assert Adam(weight).defaults["betas"] == (0.9, 0.999)
    assert AdamW(weight).defaults["weight_decay"] == 1e-2
    assert RMSprop(weight).defaults["alpha"] == 0.99
    assert Adagrad(weight).defaults["eps"] == 1e-10
    assert isinstance(Adagrad(weight), Optimizer)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    weight = Tensor(np.ones(3), requires_grad=True)
    weight.grad = np.full(3, 2.0)
    grad_array = weight.grad
    SGD([weight]).zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert weight.grad is None
    else:
        assert weight.grad is grad_array
        np.testing.assert_array_equal(weight.grad, np.zeros(3))


def test_training_with_autograd_and_a_closure_converges():
    target = np.array([1.0, -2.0, 0.5])
    weight = Tensor(np.zeros(3), requires_grad=True)
    optimizer = Adam([weight], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = ((weight - Tensor(target)) ** 2).sum()
        loss.backward()
        return loss

    first_loss = optimizer.step(closure).item()
    for _ in range(300):
        last_loss = optimizer.step(closure).item()
    assert first_loss == pytest.approx(float(np.sum(target**2)))
    assert last_loss < 1e-4
    np.testing.assert_allclose(weight.data, target, atol=1e-2)


def test_adam_first_step_moves_each_coordinate_by_lr():
    # With m̂ = g and v̂ = g² at t=1 the update is lr·sign(g), whatever the gradient's scale.
    weight = Tensor(np.zeros(4), requires_grad=True)
    weight.grad = np.array([1e-3, -5.0, 200.0, -0.1])
    Adam([weight], lr=0.01, eps=0.0).step()
    np.testing.assert_allclose(weight.data, -0.01 * np.sign(weight.grad), rtol=1e-12)


def test_rmsprop_centered_stays_finite_for_a_constant_gradient():
    weight = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    optimizer = RMSprop([weight], lr=1e-3, centered=True, alpha=0.5)
    weight.grad = np.full(2, 0.3, dtype=np.float32)
    for _ in range(200):  # v - mean² round-off goes slightly negative here in float32
        optimizer.step()
    assert np.all(np.isfinite(weight.data))


def test_reference_sanity_sgd_by_hand():
    # One hand-computed case, so the references themselves are checked too.
    (theta,) = reference_sgd(np.array([1.0]), [np.array([2.0])], lr=0.1, weight_decay=0.5)
    assert theta[0] == pytest.approx(1.0 - 0.1 * (2.0 + 0.5 * 1.0))
    (theta,) = reference_adagrad(np.array([0.0]), [np.array([3.0])], lr=0.1, eps=0.0)
    assert theta[0] == pytest.approx(-0.1)
    (theta,) = reference_adam(np.array([0.0]), [np.array([3.0])], lr=0.1, eps=0.0)
    assert theta[0] == pytest.approx(-0.1)
    assert math.isclose(reference_rmsprop(np.array([0.0]), [np.array([2.0])], lr=0.1,
                                          alpha=0.75, eps=0.0)[0][0], -0.1 * 2.0 / 1.0)
