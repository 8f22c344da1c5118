"""What the vector registers of Numba's compile target hold: the target every jitted kernel
(and its on-disk cache) is built for, which is the host CPU unless NUMBA_CPU_NAME /
NUMBA_CPU_FEATURES choose another (a cache shared across machines) or NUMBA_ENABLE_AVX=0."""

import functools


@functools.cache
def target_features() -> frozenset[str]:
    """The features Numba compiles for (`+avx2`, `+fma`, ...): the same string its cache key
    holds, so a value derived from it can never disagree with cached machine code. Empty for a
    named CPU without explicit features (e.g. NUMBA_CPU_NAME=generic)."""
    from numba.core.registry import cpu_target

    _, _, features = cpu_target.target_context.codegen().magic_tuple()
    return frozenset(f[1:] for f in features.split(",") if f.startswith("+"))


@functools.cache
def target_cpu_name() -> str:
    """The CPU name Numba compiles for (`znver4`, `haswell`, ...: NUMBA_CPU_NAME or the host's)."""
    from numba.core.registry import cpu_target

    return cpu_target.target_context.codegen().magic_tuple()[1]


def vector_bytes() -> int:
    """Bytes of the widest float vector register of the target: 64 with AVX-512, else 32 (a
    narrower target still runs 32-byte vectors correctly, as pairs of registers)."""
    return 64 if "avx512f" in target_features() else 32


def has_fma() -> bool:
    """Whether the target has fused multiply-add instructions (without them a vector FMA
    becomes a libm call per lane, 30-70x slower than BLAS)."""
    return "fma" in target_features()
