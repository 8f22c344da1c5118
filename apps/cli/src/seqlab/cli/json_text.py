"""The one JSON writer of every command's JSON output (--json results, streamed predictions,
metrics rows, the inspect page's data): strict JSON, which JavaScript's `JSON.parse`, Go,
serde and `json.loads(parse_constant=...)` all read.

JSON has no NaN or infinity; Python's `json.dumps` writes them as bare `NaN`/`Infinity`
tokens that other readers reject. Here a non-finite number becomes `null` (an undefined
metric, such as MAPE when every actual value is 0), as pandas' `to_json` writes it. NumPy
scalars and arrays become plain numbers and lists.
"""

from __future__ import annotations

import json
import math
from typing import Any


def jsonable(value: Any) -> Any:
    """`value` with NumPy values made plain and non-finite floats made None (recursively)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if hasattr(value, "tolist"):  # NumPy scalars and arrays
        return jsonable(value.tolist())
    return str(value)


def dumps(value: Any, **options: Any) -> str:
    """`json.dumps` of `jsonable(value)`: never a bare NaN or Infinity (`options`: separators,
    ensure_ascii ...)."""
    return json.dumps(jsonable(value), allow_nan=False, **options)
