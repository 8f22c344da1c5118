"""`save` / `load`: arrays in a safetensors file with JSON metadata, written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy

from seqlab.autograd.atomic import atomic_write

# safetensors metadata is str -> str: our JSON lives under this one key.
METADATA_KEY = "seqlab"
# A seqlab header (config, a 200k-word vocabulary, the metrics history) stays far below this.
MAX_HEADER_BYTES = 32 * 1024 * 1024
# The dtypes safetensors.numpy reads back.
SUPPORTED_DTYPES = frozenset(
    np.dtype(name)
    for name in (
        *("float16", "float32", "float64", "complex64", "bool"),
        *("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"),
    )
)


def save(
    path: str | os.PathLike[str],
    state: dict[str, np.ndarray],
    metadata: dict[str, Any] | None = None,
) -> None:
    """Write `state` (name -> ndarray) and JSON-able `metadata` to a safetensors file at `path`."""
    path = Path(path)
    arrays = _checked_arrays(state, path)
    header = None if metadata is None else {METADATA_KEY: _metadata_json(metadata, path)}
    # Serialised here and written by Python, so a full disk or a permission problem is an
    # OSError naming the file (safetensors' own writer reports them as SafetensorError).
    data = safetensors.numpy.save(arrays, metadata=header)
    with atomic_write(path, "wb") as file:
        file.write(data)


def load(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a safetensors file: (name -> writable ndarray, metadata; {} when none was saved)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}; check the path (was it saved there?)")
    if not path.is_file():
        raise ValueError(f"{path} is not a file; pass the path of a .safetensors file")
    _check_header_size(path)
    try:
        with safetensors.safe_open(path, framework="np") as reader:
            header = reader.metadata() or {}
            # Copies: the reader's arrays may be read-only views of the file.
            state = {name: _read_tensor(reader, name, path) for name in reader.keys()}  # noqa: SIM118
    except (safetensors.SafetensorError, OSError, ValueError) as error:
        if isinstance(error, ForeignDtypeError):
            raise
        raise ValueError(
            f"{path} is not a valid safetensors file ({error}); it may be truncated or "
            "written by another program: write it again"
        ) from error
    return state, _parsed_metadata(header.get(METADATA_KEY), path)


def load_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON metadata of a safetensors file ({} when none was saved), without reading its
    tensors; ValueError for a file that is not safetensors."""
    path = Path(path)
    _check_header_size(path)
    try:
        with safetensors.safe_open(path, framework="np") as reader:
            header = reader.metadata() or {}
    except (safetensors.SafetensorError, OSError) as error:
        raise ValueError(f"{path} is not a valid safetensors file ({error})") from error
    return _parsed_metadata(header.get(METADATA_KEY), path)


def _parsed_metadata(text: str | None, path: Path) -> dict[str, Any]:
    """The seqlab JSON entry of a safetensors header as a dict ({} when there is none)."""
    if text is None:
        return {}
    try:
        metadata = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}: the '{METADATA_KEY}' metadata entry is not valid JSON ({error}); "
            "re-create the file with seqlab.autograd.save"
        ) from error
    if not isinstance(metadata, dict):
        raise ValueError(
            f"{path}: the '{METADATA_KEY}' metadata entry holds a {type(metadata).__name__}, "
            "expected a JSON object; re-create the file with seqlab.autograd.save"
        )
    return metadata


class ForeignDtypeError(ValueError):
    """A tensor of a dtype NumPy cannot hold (PyTorch's float8 kinds, ...)."""


def _read_tensor(reader: Any, name: str, path: Path) -> np.ndarray:
    """One tensor as a writable array; PyTorch's bfloat16 becomes float32 (exactly: a
    bfloat16 is the top half of the float32 of the same value)."""
    dtype = reader.get_slice(name).get_dtype()
    if dtype == "BF16":
        return _read_bfloat16(path, name)
    try:
        return np.array(reader.get_tensor(name))
    except (TypeError, AttributeError) as error:  # safetensors.numpy knows no such dtype
        raise ForeignDtypeError(
            f"{path}: tensor {name!r} has dtype {dtype}, which NumPy cannot hold; convert it "
            "to float32 where it was saved (in PyTorch: tensor.float()) and save it again"
        ) from error


def _read_bfloat16(path: Path, name: str) -> np.ndarray:
    """A BF16 tensor's bytes, from the offsets in the file's JSON header, widened to float32."""
    with path.open("rb") as file:
        length = int.from_bytes(file.read(8), "little")
        entry = json.loads(file.read(length))[name]
        begin, end = entry["data_offsets"]
        file.seek(8 + length + begin)
        raw = np.frombuffer(file.read(end - begin), dtype="<u2")
    return (raw.astype(np.uint32) << 16).view(np.float32).reshape(entry["shape"])


def _check_header_size(path: Path) -> None:
    """Refuse a header length beyond the file or beyond any seqlab header before reading it."""
    size = path.stat().st_size
    with path.open("rb") as file:
        head = file.read(8)
    if len(head) < 8:
        raise ValueError(f"{path} is not a valid safetensors file (it has only {size} bytes); "
                         "it may be truncated")
    length = int.from_bytes(head, "little")
    if length > size - 8 and head.isascii() and (head.decode().isprintable() or b"\n" in head):
        raise ValueError(f"{path} is not a valid safetensors file: it starts with text "
                         f"({head.decode(errors='replace')!r}...)")
    if length > size - 8:
        raise ValueError(f"{path} is not a valid safetensors file: its header claims {length:,} "
                         f"bytes but the file has {size:,}; it is truncated or not safetensors")
    if length > MAX_HEADER_BYTES:
        raise ValueError(f"{path}: its safetensors header is {length:,} bytes, more than the "
                         f"{MAX_HEADER_BYTES:,} any seqlab file needs; it was not written by "
                         "seqlab (or is damaged)")


def _checked_arrays(state: dict[str, np.ndarray], path: Path) -> dict[str, np.ndarray]:
    """Check names and values, returning C-contiguous arrays (safetensors copies raw memory)."""
    if not isinstance(state, dict):
        raise TypeError(f"cannot save {path}: state must be a dict of name -> ndarray")
    arrays = {}
    for name, value in state.items():
        if not isinstance(name, str):
            raise TypeError(f"cannot save {path}: key {name!r} is not a string")
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f"cannot save {path}: state[{name!r}] is a {type(value).__name__}, expected an "
                "ndarray (use tensor.data or tensor.numpy())"
            )
        if value.dtype.newbyteorder("=") not in SUPPORTED_DTYPES:
            raise TypeError(
                f"cannot save {path}: state[{name!r}] has dtype {value.dtype}, which safetensors "
                "cannot store; convert it to a float, integer or bool dtype"
            )
        # Not np.ascontiguousarray: it turns 0-d arrays into shape (1,).
        arrays[name] = value if value.flags.c_contiguous else value.copy(order="C")
    return arrays


def _metadata_json(metadata: dict[str, Any], path: Path) -> str:
    if not isinstance(metadata, dict):
        raise TypeError(f"cannot save {path}: metadata must be a dict, got {type(metadata)}")
    try:
        return json.dumps(metadata)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"cannot save {path}: metadata is not JSON-serialisable ({error}); "
            "use dicts, lists, strings, numbers, booleans and None"
        ) from error
