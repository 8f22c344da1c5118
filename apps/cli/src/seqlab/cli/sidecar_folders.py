"""The folders a training run writes beside `--out`, checked before any work starts.

`NAME.checkpoints/` gets numbered checkpoints (`step-00000500.safetensors` and its
`.train.safetensors`) and `best.safetensors`; `NAME.cache/` gets the token-id cache (language
model, classifier and seq2seq runs). A file there that seqlab did not write is refused as a
foreign `--out` is (qaA s22 findings 1 and 2): a user's `best.safetensors` would be replaced by
a checkpoint, a user's `settings.json` in `NAME.cache` sits where seqlab's cache prunes. With
`--force` a checkpoint name is overwritten, as `--out` is; the cache folder is used, and its
pruning still removes only seqlab's entries (`seqlab.nlp.corpora.cache_folder`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from seqlab.cli.errors import CliError

_SHOWN = 3  # foreign names listed in a refusal


def cache_dir(out: Path) -> Path:
    """Where a run writing `out` keeps its token-id cache: NAME.cache beside it."""
    return out.parent / f"{out.stem}.cache"


def check_checkpoint_names(folder: Path, force: bool, inputs: Sequence[Path] = ()) -> None:
    """Refuse (CliError) a file in `folder` named as a checkpoint this run may write
    (best.safetensors, step-N.safetensors, step-N.train.safetensors) that is one of the run's
    `inputs` (a link to it: writes go through links), or, unless `force`, that seqlab did not
    write as that kind."""
    from seqlab.cli.outputs import CHECKPOINT, TRAINING_STATE, refuse_foreign, refuse_input
    from seqlab.seqmodels.checkpoint import SUFFIX, TRAINING_SUFFIX

    if not folder.is_dir():
        return
    numbered = re.compile(r"step-\d{8,}")
    for path in sorted(folder.iterdir()):
        name = path.name
        if name == f"best{SUFFIX}" or (name.endswith(SUFFIX) and not
                                       name.endswith(TRAINING_SUFFIX) and
                                       numbered.fullmatch(name[: -len(SUFFIX)])):
            kind = CHECKPOINT
        elif name.endswith(TRAINING_SUFFIX) and \
                numbered.fullmatch(name[: -len(TRAINING_SUFFIX)]):
            kind = TRAINING_STATE
        else:
            continue
        refuse_input(path, inputs, f"(in {folder})")
        refuse_foreign(path, kind, force, "")


def check_cache_folder(out: Path, force: bool) -> None:
    """Refuse (CliError) a NAME.cache beside `out` that is not a folder, or, unless `force`,
    one holding files seqlab's cache did not write."""
    from seqlab.nlp.corpora.cache_folder import foreign_entries

    folder = cache_dir(out)
    if not folder.exists() and not folder.is_symlink():
        return
    if folder.is_symlink() and not folder.exists():
        raise CliError(f"{folder} is a link to {os.readlink(folder)}, which is not there; this "
                       "run keeps its token-id cache there: create that folder, or remove the "
                       "link")
    if not folder.is_dir():
        raise CliError(f"{folder} exists and is not a folder; this run keeps its token-id cache "
                       "there: move it away or choose another --out")
    if force:
        return
    foreign = foreign_entries(folder)
    if not foreign:
        return
    names = ", ".join(path.name for path in foreign[:_SHOWN])
    more = f" and {len(foreign) - _SHOWN} more" if len(foreign) > _SHOWN else ""
    raise CliError(f"{folder} holds files seqlab did not write ({names}{more}); this run keeps "
                   "its token-id cache there: move them away or choose another --out, or pass "
                   "--force to use the folder anyway (seqlab removes only its own cache files)")
