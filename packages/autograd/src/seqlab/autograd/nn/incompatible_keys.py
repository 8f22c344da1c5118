"""What `Module.load_state_dict` returns: PyTorch's `_IncompatibleKeys`, by its fields' names."""

from __future__ import annotations

from typing import NamedTuple


class IncompatibleKeys(NamedTuple):
    """The keys `load_state_dict(strict=False)` left alone: the model's keys the state lacked
    and the state's keys the model lacks (`r.missing_keys`, or `missing, unexpected = r`)."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"IncompatibleKeys(missing_keys={self.missing_keys!r}, "
                f"unexpected_keys={self.unexpected_keys!r})")
