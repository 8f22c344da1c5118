"""A training run refused once it has started leaves nothing it created behind.

Some refusals come only when training starts (a first batch larger than memory, a
non-finite first loss): by then the run has written its metrics log and its id cache beside
--out. `removed_on_refusal` removes those of the given paths that the run created, when the
block ends in an error before the trainer completed a step; files that were there before are
left alone, and a run that trained and then failed keeps what it wrote (its checkpoints and
metrics say how far it got).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def removed_on_refusal(paths: list[Path], trained: Callable[[], bool]) -> Iterator[None]:
    """Remove the `paths` (files or folders) created inside the block if it raises while
    `trained()` is still False."""
    new = [path for path in paths if not path.exists()]
    try:
        yield
    except Exception:  # not Ctrl-C: an interrupted run saves a resumable model
        if not trained():
            for path in new:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        raise
