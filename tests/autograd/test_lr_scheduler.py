"""Learning-rate schedules against their closed forms and hand-worked plateau scenarios."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from seqlab.autograd import Tensor
from seqlab.autograd.optim import SGD, Adam, lr_scheduler
from seqlab.autograd.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    ReduceLROnPlateau,
    StepLR,
)

BASE_LRS = (0.5, 0.03)


def make_optimizer(lrs=BASE_LRS):
    groups = [{"params": [Tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return SGD(groups)


def trajectory(scheduler, epochs):
    """get_last_lr() after construction (epoch 0) and after each of `epochs` steps."""
    lrs = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
    return np.array(lrs)


def closed_form(formula, epochs):
    return np.array([[formula(base, epoch) for base in BASE_LRS] for epoch in range(epochs + 1)])


def test_step_lr_is_gamma_to_the_epoch_over_step_size():
    scheduler = StepLR(make_optimizer(), step_size=3, gamma=0.5)
    expected = closed_form(lambda base, epoch: base * 0.5 ** (epoch // 3), 20)
    np.testing.assert_allclose(trajectory(scheduler, 20), expected, rtol=1e-12)


def test_exponential_lr_is_gamma_to_the_epoch():
    scheduler = ExponentialLR(make_optimizer(), gamma=0.9)
    expected = closed_form(lambda base, epoch: base * 0.9**epoch, 20)
    np.testing.assert_allclose(trajectory(scheduler, 20), expected, rtol=1e-12)


@pytest.mark.parametrize(("period", "eta_min"), [(10, 0.0), (7, 0.01), (1, 0.001)])
def test_cosine_annealing_follows_the_cosine_formula_over_several_periods(period, eta_min):
    scheduler = CosineAnnealingLR(make_optimizer(), T_max=period, eta_min=eta_min)
    def cosine(base, epoch):
        return eta_min + (base - eta_min) * (1 + math.cos(math.pi * epoch / period)) / 2

    expected = closed_form(cosine, 3 * period + 2)
    np.testing.assert_allclose(trajectory(scheduler, 3 * period + 2), expected, rtol=1e-9,
                               atol=1e-15)


@pytest.mark.parametrize(
    ("start_factor", "end_factor", "total_iters"), [(0.1, 1.0, 6), (1 / 3, 1.0, 5), (0.5, 0.2, 4)]
)
def test_linear_lr_interpolates_then_holds(start_factor, end_factor, total_iters):
    scheduler = LinearLR(make_optimizer(), start_factor, end_factor, total_iters)
    expected = closed_form(
        lambda base, epoch: base
        * (start_factor + (end_factor - start_factor) * min(total_iters, epoch) / total_iters),
        total_iters + 4,
    )
    np.testing.assert_allclose(trajectory(scheduler, total_iters + 4), expected, rtol=1e-12)


def test_scheduled_lr_is_the_one_the_optimizer_uses():
    optimizer = make_optimizer(lrs=(1.0,))
    weight = optimizer.param_groups[0]["params"][0]
    scheduler = LinearLR(optimizer, start_factor=0.25, total_iters=3)
    weight.grad = np.ones(2)
    moved = []
    for _ in range(5):
        before = weight.data.copy()
        optimizer.step()
        moved.append(float(before[0] - weight.data[0]))
        scheduler.step()
    np.testing.assert_allclose(moved, [0.25, 0.5, 0.75, 1.0, 1.0], rtol=1e-12)


# --------------------------------------------------------------------- ReduceLROnPlateau
def plateau_lrs(metrics, lr=1.0, **options):
    optimizer = make_optimizer(lrs=(lr,))
    scheduler = ReduceLROnPlateau(optimizer, **options)
    lrs = []
    for metric in metrics:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


def test_plateau_reduces_after_more_than_patience_bad_epochs():
    # best=1 at epoch 1; epochs 2, 3, 4 are bad; the third bad one exceeds patience=2.
    lrs = plateau_lrs([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], patience=2, factor=0.5)
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]


def test_plateau_improvement_resets_the_count():
    lrs = plateau_lrs([1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5], patience=2, factor=0.5)
    assert lrs == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]


def test_plateau_relative_threshold():
    # 0.99995 is not below 1 * (1 - 1e-4), so it is a bad epoch; 0.9998 is an improvement.
    assert plateau_lrs([1.0, 0.99995], patience=0, factor=0.5) == [1.0, 0.5]
    assert plateau_lrs([1.0, 0.9998], patience=0, factor=0.5) == [1.0, 1.0]


def test_plateau_absolute_threshold_and_max_mode():
    assert plateau_lrs([1.0, 0.95], patience=0, threshold=0.1, threshold_mode="abs") == [1.0, 0.1]
    assert plateau_lrs([1.0, 0.85], patience=0, threshold=0.1, threshold_mode="abs") == [1.0, 1.0]
    assert plateau_lrs([1.0, 1.2, 1.1], mode="max", patience=0, factor=0.5) == [1.0, 1.0, 0.5]
    assert plateau_lrs([1.0, 1.05], mode="max", patience=0, threshold=0.1,
                       threshold_mode="abs", factor=0.5) == [1.0, 0.5]


def test_plateau_cooldown_ignores_bad_epochs():
    # Reduction at epoch 2, then 2 cooldown epochs whose bad results do not count.
    lrs = plateau_lrs([1.0] * 8, patience=0, cooldown=2, factor=0.5)
    assert lrs == [1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_plateau_min_lr_and_eps():
    assert plateau_lrs([1.0] * 5, patience=0, factor=0.1, min_lr=0.05) == [1.0, 0.1, 0.05, 0.05,
                                                                           0.05]
    # A reduction smaller than eps is skipped.
    assert plateau_lrs([1.0, 1.0], lr=1e-9, patience=0, factor=0.5) == [1e-9, 1e-9]
    optimizer = make_optimizer()
    scheduler = ReduceLROnPlateau(optimizer, patience=0, min_lr=[0.4, 0.0], factor=0.5)
    for metric in (1.0, 1.0):
        scheduler.step(metric)
    assert scheduler.get_last_lr() == [0.4, 0.015]


def test_plateau_accepts_a_scalar_tensor_metric():
    lrs = plateau_lrs([Tensor(np.array(2.0)), Tensor(np.array(3.0))], patience=0, factor=0.5)
    assert lrs == [1.0, 0.5]


# --------------------------------------------------------------------- resume and errors
@pytest.mark.parametrize(
    "make",
    [
        lambda o: StepLR(o, step_size=2, gamma=0.5),
        lambda o: CosineAnnealingLR(o, T_max=5, eta_min=0.001),
        lambda o: LinearLR(o, start_factor=0.2, total_iters=6),
        lambda o: ExponentialLR(o, gamma=0.8),
    ],
)
def test_state_dict_round_trip_through_json_resumes_the_schedule(make):
    optimizer = make_optimizer()
    scheduler = make(optimizer)
    trajectory(scheduler, 4)
    saved_scheduler = json.loads(json.dumps(scheduler.state_dict()))
    saved_groups = json.loads(json.dumps(optimizer.state_dict()["param_groups"]))
    expected_rest = trajectory(scheduler, 6)[1:]

    # PyTorch's order: build both, then load the optimizer's state, then the scheduler's.
    resumed_optimizer = make_optimizer(lrs=(9.0, 9.0))
    resumed = make(resumed_optimizer)
    resumed_optimizer.load_state_dict({"state": {}, "param_groups": saved_groups})
    resumed.load_state_dict(saved_scheduler)
    np.testing.assert_allclose(trajectory(resumed, 6)[1:], expected_rest, rtol=1e-12)


def test_plateau_state_dict_round_trip():
    optimizer = make_optimizer(lrs=(1.0,))
    scheduler = ReduceLROnPlateau(optimizer, patience=1, factor=0.5)
    for metric in (3.0, 3.0):
        scheduler.step(metric)
    saved = json.loads(json.dumps(scheduler.state_dict()))
    resumed = ReduceLROnPlateau(make_optimizer(lrs=(1.0,)), patience=1, factor=0.5)
    resumed.load_state_dict(saved)
    assert (resumed.best, resumed.num_bad_epochs, resumed.last_epoch) == (3.0, 1, 2)
    resumed.step(3.0)  # the second bad epoch in a row: reduce
    assert resumed.get_last_lr() == [0.5]


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(make_optimizer(), step_size=2, last_epoch=3)
    optimizer = make_optimizer()
    StepLR(optimizer, step_size=2)
    assert [group["initial_lr"] for group in optimizer.param_groups] == list(BASE_LRS)
    StepLR(optimizer, step_size=2, last_epoch=3)  # fine once initial_lr is set


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda o: StepLR(object(), step_size=2), TypeError, "is not an Optimizer"),
        (lambda o: StepLR(o, step_size=0), ValueError, "step_size"),
        (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
        (lambda o: LinearLR(o, start_factor=0.0), ValueError, "start_factor"),
        (lambda o: LinearLR(o, end_factor=1.5), ValueError, "end_factor"),
        (lambda o: ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
        (lambda o: ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode"),
        (lambda o: ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold_mode"),
        (lambda o: ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs"),
        (lambda o: ReduceLROnPlateau(object()), TypeError, "is not an Optimizer"),
    ],
)
def test_invalid_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make(make_optimizer())


def test_module_exports_and_works_with_adam():
    optimizer = Adam([Tensor(np.zeros(2), requires_grad=True)], lr=0.1)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == 0.05
    assert isinstance(scheduler, lr_scheduler.LRScheduler)


@pytest.mark.parametrize("shape", ["constant", "linear", "cosine"])
def test_run_decay_follows_its_closed_form_against_the_run_fraction(shape):
    warmup, final, total = 3, 0.1, 10
    scheduler = lr_scheduler.RunDecayLR(make_optimizer(), shape, warmup_steps=warmup,
                                        final_factor=final)
    decays = {"constant": lambda p: 1.0, "linear": lambda p: 1 - (1 - final) * p,
              "cosine": lambda p: final + (1 - final) * (1 + math.cos(math.pi * p)) / 2}
    lrs = [scheduler.get_last_lr()]
    for step in range(1, total + 1):
        scheduler.optimizer.step()
        scheduler.step(step / total)
        lrs.append(scheduler.get_last_lr())
    expected = closed_form(lambda base, k: base * min(1, (k + 1) / warmup)
                           * decays[shape](k / total), total)
    np.testing.assert_allclose(np.array(lrs), expected, rtol=1e-12)
    if shape != "constant":
        np.testing.assert_allclose(lrs[-1], [final * base for base in BASE_LRS], rtol=1e-12)


def test_run_decay_keeps_its_progress_through_state_dict_and_checks_its_settings():
    scheduler = lr_scheduler.RunDecayLR(make_optimizer(), "linear")
    scheduler.step(0.5)
    state = json.loads(json.dumps(scheduler.state_dict()))
    restored = lr_scheduler.RunDecayLR(make_optimizer(), "linear")
    restored.load_state_dict(state)
    restored.step()  # no progress given: the last one holds
    assert restored.get_last_lr() == pytest.approx([0.5 * base for base in BASE_LRS])
    for kwargs in ({"shape": "step"}, {"warmup_steps": -1}, {"final_factor": 1.5}):
        with pytest.raises(ValueError):
            lr_scheduler.RunDecayLR(make_optimizer(), **kwargs)
