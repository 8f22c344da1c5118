"""Gate nonlinearities for the recurrent kernels, vectorizable in float32 and in float64.

Numba has no vector `exp`/`tanh` here (no SVML), so the libm calls cost 2.5-11 ns per element and
dominate a small LSTM step. For float32 the kernels use a clamped rational approximation of tanh
(the one Eigen uses; max abs error 2.4e-7, a few float32 ulps) that LLVM vectorizes to ~0.2 ns per
element; float64 uses `activations_f64` (within 3 ulps of libm, so gradient checks hold to
float64 round-off; tanh 13.6 -> 2.5 ns an element, the logistic function ~11 -> 1.4 ns).

Under NUMBA_DISABLE_JIT=1 the kernels call the plain-Python `sigmoid`/`tanh` below (libm), so
their float64 results differ from the jitted ones in the last bits (both within float64
round-off of PyTorch's); `activations_f64` is tested on its own in both modes.

An edit here (or to `activations_f64`) recompiles the kernels that inline these: `cache_guard`
clears the folder's caches when any of its sources changes.
"""

import math

import numpy as np
from numba import types
from numba.extending import overload, register_jitable

from .activations_f64 import sigmoid_f64, tanh_f64

_TANH_CLAMP = 7.90531110763549805  # tanh(x) rounds to +-1 in float32 beyond this


def sigmoid(x):
    """Logistic function of a scalar (plain-Python body; jitted callers get a typed version)."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def tanh(x):
    """Hyperbolic tangent of a scalar (plain-Python body; jitted callers get a typed version)."""
    return math.tanh(x)


@register_jitable(fastmath=True, error_model="numpy")
def _tanh_rational_f32(x):
    lim = np.float32(_TANH_CLAMP)
    x = lim if x > lim else x
    x = -lim if x < -lim else x
    x2 = x * x
    p = np.float32(-2.76076847742355e-16)
    p = p * x2 + np.float32(2.00018790482477e-13)
    p = p * x2 + np.float32(-8.60467152213735e-11)
    p = p * x2 + np.float32(5.12229709037114e-08)
    p = p * x2 + np.float32(1.48572235717979e-05)
    p = p * x2 + np.float32(6.37261928875436e-04)
    p = p * x2 + np.float32(4.89352455891786e-03)
    p = p * x
    q = np.float32(1.19825839466702e-06)
    q = q * x2 + np.float32(1.18534705686654e-04)
    q = q * x2 + np.float32(2.26843463243900e-03)
    q = q * x2 + np.float32(4.89352518554385e-03)
    return p / q


_F32_OPTIONS = {"fastmath": True, "error_model": "numpy", "inline": "always"}
_F64_OPTIONS = {"error_model": "numpy"}
# float64: the overload itself inlined (IR level); `inline` in jit_options left the call to
# `activations_f64` in place, and the loops calling it unvectorized (18.6 against 2.5 ns)


@overload(tanh, jit_options=_F32_OPTIONS)
def _tanh_typed(x):
    if x == types.float32:
        return _tanh_rational_f32
    return None


@overload(tanh, jit_options=_F64_OPTIONS, inline="always")
def _tanh_typed_f64(x):
    if x != types.float32:
        return tanh_f64
    return None


@overload(sigmoid, jit_options=_F32_OPTIONS)
def _sigmoid_typed(x):
    if x == types.float32:
        return lambda x: np.float32(0.5) + np.float32(0.5) * _tanh_rational_f32(np.float32(0.5) * x)
    return None


@overload(sigmoid, jit_options=_F64_OPTIONS, inline="always")
def _sigmoid_typed_f64(x):
    if x != types.float32:
        return sigmoid_f64
    return None
