"""A vectorizable float32 `exp` for the softmax kernels; exact libm `exp` for float64.

Numba here has no vector math library (no SVML), so `np.exp` in a jitted loop is a scalar libm
call (~4 ns per element) that dominates softmax cross-entropy. For float32 the kernels call
`exp` below, which jitted code replaces by Cephes' `expf` (range reduction to [-ln2/2, ln2/2],
degree-6 polynomial, scale by 2**n built from its bits; within 2 float32 ulps), written without
branches so that LLVM vectorizes the loop. float64 keeps libm so gradient checks hold to
round-off. Under NUMBA_DISABLE_JIT=1 the plain-Python body runs.

An edit here recompiles the kernels that inline it: `cache_guard` clears the folder's caches
when any of its sources changes.
"""

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload, register_jitable

_LOG2_E = 1.44269504088896341
_LN2_HIGH = 0.693359375  # ln 2 split in two so that n * ln2 subtracts exactly
_LN2_LOW = -2.12194440e-4
_LOWEST = -87.33654  # below this exp underflows float32's normal range: return 0
# Above 127.5 * ln 2, 2**n would need n = 128: return inf there (exp itself overflows float32 a
# little later, at 88.72; softmax only ever asks for exp of x <= 0).
_HIGHEST = 88.0296919


def exp(x):
    """e ** x of a scalar (plain-Python body; jitted callers get a typed version)."""
    return math.inf if x > 709.0 else math.exp(x)  # inf where math.exp would raise


@intrinsic
def _float32_from_bits(typingctx, bits):
    """Reinterpret an int32 bit pattern as a float32."""
    if bits != types.int32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


_FLAGS = {"contract", "afn", "reassoc", "nsz", "arcp"}  # no nnan/ninf: inf and nan are inputs


@register_jitable(fastmath=_FLAGS, error_model="numpy")
def _exp_f32(x):
    clamped = min(max(x, np.float32(_LOWEST)), np.float32(_HIGHEST))
    n = np.floor(clamped * np.float32(_LOG2_E) + np.float32(0.5))
    r = clamped - n * np.float32(_LN2_HIGH) - n * np.float32(_LN2_LOW)
    r2 = r * r
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    p = p * r2 + r + np.float32(1.0)
    # 2**n for n in [-126, 127] from its float32 bits (Numba widens int32 arithmetic to int64:
    # cast back before reinterpreting).
    scale = _float32_from_bits(np.int32((np.int32(n) + 127) << 23))
    result = p * scale
    result = np.float32(0.0) if x < np.float32(_LOWEST) else result
    result = np.float32(np.inf) if x >= np.float32(_HIGHEST) else result
    return x if x != x else result


@overload(exp, jit_options={"fastmath": _FLAGS, "error_model": "numpy", "inline": "always"})
def _exp_typed_f32(x):
    if x == types.float32:
        return _exp_f32
    return None


@overload(exp, jit_options={"error_model": "numpy", "inline": "always"})
def _exp_typed_f64(x):
    if x != types.float32:
        return lambda x: np.exp(x)
    return None
