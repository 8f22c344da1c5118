"""Vectorizable float64 `tanh` and `sigmoid` for the recurrent loops, within a few ulps of libm.

Numba here has no vector math library (no SVML): `np.tanh` / `np.exp` in a jitted loop are
scalar libm calls, 10-20 ns per element, and they were most of a float64 RNN's forward loop
(rnn-f64 of `benchmarks/config_sweep.py`: 6.2 of 12.9 ms CPU a training step, the loop's
GEMMs taking 1 ms; its backward, which calls none, 2.5 ms). These are written without
branches, so that LLVM vectorizes the loops that inline them:

- `exp_nonpositive(y)`, y <= 0: Cody-Waite reduction y = n ln2 + r, |r| <= ln2 / 2, exp(r) by
  its Taylor polynomial to degree 13 (truncation < 0.05 ulp), scaled by 2**n built from its
  bits (through 2**(n + 60) and 2**-60, so that results under 2**-1022 round once into
  subnormals); 0 below -745.14, where exp rounds to 0.
- `tanh_f64(x)` = sign(x) * -m / (2 + m) with m = expm1(-2|x|): for |x| < ln2 / 2 m is the
  Taylor polynomial of expm1 to degree 17 (no cancellation near 0), beyond it exp(-2|x|) - 1.
- `sigmoid_f64(x)` = 1 / (1 + e) for x >= 0, e / (1 + e) below, e = exp(-|x|).

Measured against libm over 2.3 * 10^6 points in [-800, 800] and near 0: within 3 ulps (tests
hold 4); NaN in, NaN out; +-inf give +-1 (tanh) and 1 / 0 (sigmoid). The plain-Python bodies
are their own NumPy references (they run under NUMBA_DISABLE_JIT=1 too).

Call them through `recurrent_activations.tanh` / `sigmoid`, whose float64 overloads are
inlined at Numba's IR level: a loop calling `tanh_f64` directly is left a call and runs at 19
ns an element (the helpers here are left to LLVM: inlining them at IR level too made a float64
GRU loop compile in 21 s instead of 6.5).
"""

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload, register_jitable

_LOG2_E = 1.44269504088896338700e00
_LN2_HIGH = 6.93147180369123816490e-01  # fdlibm's split of ln 2: n * _LN2_HIGH is exact
_LN2_LOW = 1.90821492927058770002e-10
_UNDERFLOW = -745.1332191019412  # below this exp(y) rounds to 0 in float64
_HALF_LN2 = 0.34657359027997264
_SCALE_SHIFT = 60  # 2**n is built as 2**(n + 60) * 2**-60: normal for every n >= -1082
_TANH_ONE = 19.1  # tanh(x) rounds to 1 in float64 from |x| ~ 19.06


@intrinsic
def _float64_from_bits(typingctx, bits):
    """Reinterpret an int64 bit pattern as a float64."""
    if bits != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


def _power_of_two(n):
    """2.0 ** n for an integral float64 n in [-1082, 963] (jitted: built from its bits)."""
    return 2.0**n


@overload(_power_of_two, inline="always")
def _power_of_two_typed(n):
    return lambda n: _float64_from_bits(np.int64((np.int64(n) + 1023) << 52))


@register_jitable(error_model="numpy")
def exp_nonpositive(y):
    """e ** y for a float64 y <= 0 (plain-Python body: the same steps with 2.0 ** n)."""
    clamped = np.maximum(y, -746.0)  # (NaN stays NaN, and comes out so)
    n = np.floor(clamped * _LOG2_E + 0.5)
    r = clamped - n * _LN2_HIGH - n * _LN2_LOW
    # n >= -1076 for every number; a NaN n becomes -1082 here, since its conversion to an
    # integer in _power_of_two is undefined (r, and so the result, stay NaN)
    n = np.fmax(n, -1082.0)
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    result = (p * _power_of_two(n + _SCALE_SHIFT)) * _power_of_two(-_SCALE_SHIFT)
    return result * np.float64(y >= _UNDERFLOW)


@register_jitable(error_model="numpy")
def _expm1_small(y):
    """e ** y - 1 for |y| <= ln 2: its Taylor polynomial to degree 17."""
    p = 1.0 / 355687428096000.0
    p = p * y + 1.0 / 20922789888000.0
    p = p * y + 1.0 / 1307674368000.0
    p = p * y + 1.0 / 87178291200.0
    p = p * y + 1.0 / 6227020800.0
    p = p * y + 1.0 / 479001600.0
    p = p * y + 1.0 / 39916800.0
    p = p * y + 1.0 / 3628800.0
    p = p * y + 1.0 / 362880.0
    p = p * y + 1.0 / 40320.0
    p = p * y + 1.0 / 5040.0
    p = p * y + 1.0 / 720.0
    p = p * y + 1.0 / 120.0
    p = p * y + 1.0 / 24.0
    p = p * y + 1.0 / 6.0
    p = p * y + 0.5
    p = p * y + 1.0
    return p * y


@register_jitable(error_model="numpy")
def tanh_f64(x):
    """tanh of a float64, within a few ulps, branch-free (vectorizable)."""
    a = np.minimum(abs(x), _TANH_ONE)  # (NaN stays NaN, and comes out so)
    y = -2.0 * a
    # both computed, then one picked by arithmetic (both are finite): a call inside a
    # conditional expression stays a branch and the loop does not vectorize (12.4 against 2.5
    # ns an element), and a conditional expression inlined into a kernel left Numba's SSA
    # pass a variable out of scope (NumbaIRAssumptionWarning)
    near_zero = _expm1_small(y)
    beyond = exp_nonpositive(y) - 1.0
    small = np.float64(a < _HALF_LN2)
    m = small * near_zero + (1.0 - small) * beyond
    t = -m / (2.0 + m)
    return math.copysign(t, x)


@register_jitable(error_model="numpy")
def sigmoid_f64(x):
    """The logistic function of a float64, within a few ulps, branch-free (vectorizable)."""
    e = exp_nonpositive(-abs(x))
    # the numerator, 1 from x = 0 up and e below, without a conditional expression (see
    # tanh_f64); NaN comes out through 1 + e
    numerator = np.minimum(e + np.float64(x >= 0.0), 1.0)
    return numerator / (1.0 + e)
