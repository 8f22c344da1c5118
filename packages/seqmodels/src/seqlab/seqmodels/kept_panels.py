"""An LSTM layer's stacked panels ([W_ih | W_hh | b]^T packed for `lstm_stacked_forward`),
kept across no-grad calls while the layer's weights stay bitwise the same (`kept_tables`).

Packing costs about as much as 15 steps of the stacked loop at batch 1 (one thread, AMD EPYC
Zen 4, LSTM(40, 128): 74 us against 223 us for the loop's 64 steps), where checking the
weights' bits costs ~25 us a MiB: kept, the stacked loop pays at every batch, not only from
the panels' batch (`panels_pay`), and a batch split's parts need no team to pack them first.
A stack whose weights change between calls (an optimizer step between no-grad evaluations)
stops keeping after two such calls (`ChangeWatch`, its own per stack: the embedding table's
watch counts the table's calls) and packs per call: the same stacked loop over the same
panels, so the outputs' bits never depend on whether they were kept. Every layer's panels of a
stack are one kept entry (`kept_in`: an 8-layer stack's 8 layers never evict each other).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seqlab.seqmodels.kept_tables import ChangeWatch, kept_in, kept_one, kept_room

# Panels of one layer are kept up to this size (LSTM(H, H) to H = 1024 in float32: 16.8 MiB):
# a kept layer holds its panels and a copy of its weights, twice the weights' memory.
KEPT_PANELS_BYTES = 24 << 20


def stacked_bytes(features: int, hidden: int, dtype, gates: int = 4) -> int:
    """The bytes of a layer's stacked panels over `features` inputs (about: the last panel's
    columns rounded up aside); `gates` 4 for an LSTM, 1 for an Elman RNN."""
    return (features + hidden + 1) * gates * hidden * np.dtype(dtype).itemsize


def panels_watch(stack) -> ChangeWatch:
    """`stack`'s watch of whether its kept panels' weights change between calls."""
    return kept_one(stack, ("stacked panels watch",), ChangeWatch)


def panels_room(stack, dtype) -> dict:
    """The dict of `stack`'s kept panels of `dtype`, by layer (or (layer, 1): a reverse
    direction's), made now if it has none: call it on one thread before two threads (a
    bidirectional layer's directions) look it up at once, or both would make one."""
    return kept_room(stack, ("stacked panels", np.dtype(dtype).str), dict)


def kept_stacked_panels(stack, layer: int | tuple[int, int], weights: tuple, dtype,
                        pack: Callable[[], np.ndarray]) -> tuple[np.ndarray, bool]:
    """(layer `layer`'s stacked panels, whether they were packed now by `pack`): kept on
    `stack` while `weights` (w_ih, w_hh, b_ih, b_hh) stay bitwise what they were."""
    return kept_in(panels_room(stack, dtype), layer, weights, pack)
