"""Numba's runtime functions loaded from object code cached on disk, not compiled in every process.

`cache=True` keeps a kernel's machine code on disk, but the first kernel a process calls (cached
or not) makes Numba initialise its runtime (NRT): `rtsys.initialize` builds a small LLVM module
(reference counting, atomics, `MemInfo` access) from IR and compiles it with the full optimiser
and code generator. That one compilation pulls ~30 MB of LLVM's code into the resident set
(clean pages of `libllvmlite.so`, 5 December: 67.9 MB resident after it against 36.2 after
`import numba`) and ~0.1 s, in every process, even when every kernel comes from its cache.

`use_cached_runtime()` replaces `numba.core.runtime.nrtdynmod.compile_nrt_functions` (the one
function `rtsys.initialize` calls to build that library) by one that loads the same library from
its object code, written the first time it is compiled, through Numba's own object-code
serialisation (`CodeLibrary.serialize_using_object_code` / `unserialize_library`, which the
kernel caches use). Measured: `libllvmlite.so` 49.8 MB resident after initialising instead of
67.9, the runtime's functions the same, later compilations in the process link against it
as before (the library keeps its bitcode for linking).

The file is keyed by everything that decides the module's code: Numba's and llvmlite's
versions, the source of `nrtdynmod`, the code generator's target (triple, CPU, features) and the
NRT debug settings; its payload is checked against a SHA-256 before use. Any miss or failure
compiles as Numba does. A no-op under `NUMBA_DISABLE_JIT`, when the runtime is already
initialised, or when no cache folder is writable.

It replaces a function of Numba's for the whole process, so importing seqlab never does it: the
`seqlab` commands own their process and ask for it (`CACHED_RUNTIME.request()`, a
`DeferredRequest` the kernel modules' cache guards apply just before the first kernel loads, so
a command that loads no kernel never imports Numba); a library user may call
`use_cached_runtime()` for their own.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from seqlab.autograd.atomic import atomic_write
from seqlab.autograd.deferred_requests import DeferredRequest

CACHE_PREFIX = "numba-runtime-"
CACHE_SUFFIX = ".nrto"
_MAGIC = b"seqlab-nrt-object-1\n"
_HEADER = struct.Struct("<QQ32s")  # object code length, bitcode length, SHA-256 of both

# why the runtime was not loaded from the cache and what was done instead, for tests and
# benchmarks ("" when it was loaded)
last_miss = "not called"


def use_cached_runtime(folder: str | os.PathLike[str] | None = None) -> bool:
    """Make Numba's runtime initialisation load cached object code (see the module docs).

    `folder`: where the cache file lives (default: Numba's cache folder for this package, as
    its kernels' caches). Returns True when the hook is installed (now or before).
    """
    from numba.core import config

    if config.DISABLE_JIT:
        return False
    try:
        from numba.core.runtime import nrtdynmod, rtsys
    except ImportError:  # another Numba's internals
        return False
    if getattr(nrtdynmod.compile_nrt_functions, "_seqlab_cached", False):
        return True
    if getattr(rtsys, "_init", True):  # already initialised, or unknown internals
        return False
    compile_original = nrtdynmod.compile_nrt_functions
    cache_folder = Path(folder) if folder is not None else _default_folder()
    if cache_folder is None:
        return False

    def compile_nrt_functions(ctx):
        global last_miss
        try:
            codegen = ctx.codegen()
            path = cache_folder / f"{CACHE_PREFIX}{_key(codegen)}{CACHE_SUFFIX}"
        except Exception as error:  # internals not as expected: compile
            last_miss = f"no key: {error!r}"
            return compile_original(ctx)
        library = _load(codegen, path)
        if library is not None:
            last_miss = ""
            return library
        return _compile_and_store(ctx, path, why=last_miss)

    compile_nrt_functions._seqlab_cached = True
    compile_nrt_functions.__wrapped__ = compile_original
    nrtdynmod.compile_nrt_functions = compile_nrt_functions
    return True


def _default_folder() -> Path | None:
    from seqlab.autograd.kernel_caches import numba_cache_folders

    for folder in numba_cache_folders(Path(__file__).parent):
        probe = folder if folder.is_dir() else folder.parent
        if os.access(probe, os.W_OK):
            return folder
    return None


def _sha256(data: bytes):
    """hashlib's SHA-256 object of `data`. hashlib is imported here, when a kernel loads, not
    with this module: it loads OpenSSL's libcrypto (~3.5 MB resident), and every command
    imports this module to ask for the cached runtime, most of them never loading a kernel
    (`tokenize train` below the kernel threshold, `tokenize encode`, `info`)."""
    import hashlib

    return hashlib.sha256(data)


def _key(codegen) -> str:
    """Hex digest of everything that decides the runtime module's machine code."""
    import llvmlite
    import numba
    from numba.core import config
    from numba.core.runtime import nrtdynmod

    parts = [numba.__version__, llvmlite.__version__, repr(codegen.magic_tuple()),
             repr((config.DEBUG_NRT, config.DEBUG_NRT_STACK_LIMIT, config.MACHINE_BITS)),
             _sha256(Path(nrtdynmod.__file__).read_bytes()).hexdigest()]
    return _sha256("\0".join(parts).encode()).hexdigest()[:24]


def _load(codegen, path: Path):
    """The runtime library from `path`, or None (with `last_miss` saying why)."""
    global last_miss
    try:
        data = path.read_bytes()
    except OSError:
        last_miss = "no cache file"
        return None
    body = data[len(_MAGIC):]
    if not data.startswith(_MAGIC) or len(body) < _HEADER.size:
        last_miss = "not a runtime cache file"
        return None
    object_size, bitcode_size, digest = _HEADER.unpack_from(body)
    payload = body[_HEADER.size:]
    if len(payload) != object_size + bitcode_size or _sha256(payload).digest() != digest:
        last_miss = "damaged cache file"
        return None
    state = ("nrt", "object", (payload[:object_size], payload[object_size:]))
    try:
        return codegen.unserialize_library(state)
    except Exception as error:  # LLVM refused it: compile instead
        last_miss = f"not loadable: {error!r}"
        return None


def _compile_and_store(ctx, path: Path, why: str):
    """Compile the runtime as Numba does, keeping its object code, and write it to `path`
    (`why`: the reason the cache was not used, kept in `last_miss`)."""
    global last_miss
    from numba.core.runtime import nrtdynmod

    ir_module, library = nrtdynmod.create_nrt_module(ctx)
    library.enable_object_caching()
    library.add_ir_module(ir_module)
    library.finalize()
    last_miss = f"{why}: compiled"
    try:
        _name, _kind, (object_code, bitcode) = library.serialize_using_object_code()
        payload = bytes(object_code) + bytes(bitcode)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "wb") as stream:
            stream.write(_MAGIC)
            stream.write(_HEADER.pack(len(object_code), len(bitcode),
                                      _sha256(payload).digest()))
            stream.write(payload)
        for old in path.parent.glob(f"{CACHE_PREFIX}*{CACHE_SUFFIX}"):
            if old != path:
                old.unlink(missing_ok=True)
    except (OSError, ValueError) as error:  # read-only folder, full disk: compiled anyway
        last_miss = f"{why}: compiled, not stored: {error!r}"
    return library


# what the `seqlab` commands ask for (`CACHED_RUNTIME.request()`, importing nothing)
CACHED_RUNTIME = DeferredRequest(use_cached_runtime)
