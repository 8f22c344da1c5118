"""Optimizers and clip_grad_norm_ against PyTorch's numbers (tests/fixtures/torch_parity/).

Six steps of SGD (momentum, dampening, Nesterov, weight decay, maximize), Adam (weight decay,
AMSGrad, maximize, decoupled), AdamW, RMSprop (centered, momentum) and Adagrad (lr_decay,
initial accumulator), float32 and float64, one parameter skipping two steps without a gradient;
clip_grad_norm_'s returned norm and clipped gradients for norms 1, 2, 3 and inf, with inf or nan
among the gradients.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from seqlab.autograd import optim
from seqlab.autograd.nn import Parameter
from seqlab.autograd.nn.utils import clip_grad_norm_

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "torch_parity"))
from parity_cases import load_cases  # the stored results' reader, beside them

FIXTURES = Path(__file__).parents[1] / "fixtures" / "torch_parity"
CONFIGS = json.loads((FIXTURES / "configs.json").read_text())


def optim_id(index: int) -> str:
    name, options, dtype = CONFIGS["optim"][index]
    return f"{name}-{'-'.join(sorted(options))}-{dtype}"


@pytest.mark.parametrize("index", range(len(CONFIGS["optim"])), ids=optim_id)
def test_optimizer_steps_match_pytorch(index):
    name, options, dtype = CONFIGS["optim"][index]
    theirs = load_cases(FIXTURES / "optim.safetensors")[str(index)]
    if "betas" in options:
        options = {**options, "betas": tuple(options["betas"])}
    parameters = [Parameter(theirs[f"start.{k}"].copy()) for k in range(3)]
    optimizer = getattr(optim, name)(parameters, **options)
    tolerance = ({"rtol": 1e-12, "atol": 1e-14} if dtype == "float64"
                 else {"rtol": 2e-6, "atol": 2e-7})
    for step in range(6):
        for k, parameter in enumerate(parameters):
            skipped = k == 2 and step in (1, 4)
            parameter.grad = None if skipped else theirs[f"grads.{k}"][step].copy()
        optimizer.step()
        for k, parameter in enumerate(parameters):
            assert parameter.data.dtype == np.dtype(dtype)
            np.testing.assert_allclose(parameter.data, theirs[f"after.{k}"][step], **tolerance,
                                       err_msg=f"step {step} parameter {k}")


@pytest.mark.parametrize("index", range(len(CONFIGS["clip"])))
def test_clip_grad_norm_matches_pytorch(index):
    _, options = CONFIGS["clip"][index]
    if options.get("norm_type") == "inf":
        options = {**options, "norm_type": math.inf}
    theirs = load_cases(FIXTURES / "clip.safetensors")[str(index)]
    parameters = [Parameter(np.zeros_like(theirs[f"grad.{k}"])) for k in range(2)]
    for k, parameter in enumerate(parameters):
        parameter.grad = theirs[f"grad.{k}"].copy()
    norm = clip_grad_norm_(parameters, **options)
    np.testing.assert_allclose(float(norm), float(theirs["norm"]), rtol=1e-12)
    for k, parameter in enumerate(parameters):
        np.testing.assert_allclose(parameter.grad, theirs[f"clipped.{k}"], rtol=1e-12,
                                   atol=1e-15, err_msg=f"gradient {k}")
