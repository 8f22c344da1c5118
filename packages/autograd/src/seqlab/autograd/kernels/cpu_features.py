"""What the host CPU's vector registers hold, as LLVM (and so every jitted kernel) sees it."""

import functools

from llvmlite import binding


@functools.cache
def vector_bytes() -> int:
    """Bytes of the widest vector register LLVM targets here: 64 with AVX-512, else 32."""
    try:
        features = binding.get_host_cpu_features()
    except RuntimeError:  # a host LLVM cannot describe: assume AVX2-sized vectors
        return 32
    return 64 if features.get("avx512f", False) else 32
