"""The cells a series CSV leaves empty: a value read as missing (interpolated), a time stamp
skipped by the order check."""

from __future__ import annotations

MISSING = ("", "na", "nan", "null", "none", "?")  # compared after strip() and lower()


def is_missing(cell: str) -> bool:
    """Whether a CSV cell stands for a missing value (any case, surrounding space ignored)."""
    return cell.strip().lower() in MISSING
