"""safetensors files from PyTorch hold dtypes NumPy lacks: bfloat16 loads as float32 (exactly,
bfloat16 being float32's top half), any other is one clear error naming tensor and dtype."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from seqlab.autograd.io import load


def write_safetensors(path, tensors: dict[str, tuple[str, tuple[int, ...], bytes]]) -> None:
    """A safetensors file from raw parts, as the format's specification lays it out: an
    8-byte little-endian header length, the JSON header, then the tensors' bytes."""
    header, offset, body = {}, 0, b""
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        body += data
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)


def test_bfloat16_tensors_load_as_float32_with_their_exact_values(tmp_path):
    values = np.array([[1.5, -2.0, 0.0078125], [2.0**127, -0.0, 65280.0]], dtype=np.float32)
    top_halves = (values.view(np.uint32) >> 16).astype("<u2")
    assert np.array_equal((top_halves.astype(np.uint32) << 16).view(np.float32), values)
    other = np.arange(3, dtype="<f4")
    path = tmp_path / "from_torch.safetensors"
    write_safetensors(path, {"weight": ("BF16", values.shape, top_halves.tobytes()),
                             "bias": ("F32", other.shape, other.tobytes())})
    state, metadata = load(path)
    assert metadata == {}
    assert state["weight"].dtype == np.float32
    assert np.array_equal(state["weight"], values)
    assert np.array_equal(state["bias"], other)
    state["weight"][0, 0] = 7.0  # writable, as every loaded array


def test_a_dtype_numpy_cannot_hold_is_one_clear_error(tmp_path):
    path = tmp_path / "fp8.safetensors"
    write_safetensors(path, {"scale": ("F8_E4M3", (2,), b"\x38\x40")})
    with pytest.raises(ValueError, match=r"'scale' has dtype F8_E4M3.*convert it"):
        load(path)
