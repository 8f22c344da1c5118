"""Memory sizes on the command line: 2G, 512M, 64K or a plain number of bytes."""

from __future__ import annotations

import re

from seqlab.cli.errors import CliError

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?", re.IGNORECASE)
_FACTORS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(option: str, text: str) -> int:
    """Bytes of a size like '2G' (binary units, as lmplz -S); a CliError naming the option."""
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise CliError(f"{option} must be a size such as 2G, 512M or 100000 (bytes), "
                       f"got {text!r}", code=2)
    size = int(float(match.group(1)) * _FACTORS[match.group(2).lower()])
    if size < 1 << 12:
        raise CliError(f"{option} must be at least 4K, got {text!r}", code=2)
    return size
