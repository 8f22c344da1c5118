"""`seqlab.autograd.nn.utils.rnn`: the parts of `torch.nn.utils.rnn` that fit seqlab.

seqlab's recurrent layers take a padded batch and its lengths (`lstm(x, lengths=lengths)`)
instead of a PackedSequence, so `pad_sequence` (a list of sequences to one padded batch) and
`unpad_sequence` (back to the list) are here, and the packing functions are not: there is no
PackedSequence for a layer to read, and a packed batch gives the same results as the padded
batch plus lengths. Asking for one of them says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seqlab.autograd.creation import stack
from seqlab.autograd.nn.functional import pad
from seqlab.autograd.tensor import Tensor

__all__ = ["pad_sequence", "unpad_sequence"]

_PACKING = ("PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
            "unpack_sequence")


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences of shape (L_i, *) into (max L, B, *), or (B, max L, *) with
    batch_first, filling with padding_value on the `padding_side` ('right' or 'left').

    Gradients flow back to every sequence. The lengths for a recurrent layer are
    `[len(s) for s in sequences]` (right padding).
    """
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got "
                         f"{padding_side!r}")
    if len(sequences) == 0:
        raise ValueError("pad_sequence: needs at least one sequence")
    longest = max(sequence.shape[0] for sequence in sequences)
    padded = []
    for sequence in sequences:
        if sequence.shape[1:] != sequences[0].shape[1:]:
            raise ValueError(
                f"pad_sequence: every sequence needs the trailing shape "
                f"{sequences[0].shape[1:]}, got {sequence.shape[1:]}"
            )
        missing = longest - sequence.shape[0]
        before, after = (0, missing) if padding_side == "right" else (missing, 0)
        widths = (0, 0) * (sequence.ndim - 1) + (before, after)
        padded.append(pad(sequence, widths, value=padding_value))
    return stack(padded, dim=0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Any,
                   batch_first: bool = False) -> list[Tensor]:
    """The inverse of right-padding `pad_sequence`: the first lengths[i] steps of sequence i."""
    batch = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [batch[index, : int(length)] for index, length in enumerate(lengths)]


def __getattr__(name: str) -> Any:
    if name in _PACKING:
        raise AttributeError(
            f"seqlab.autograd.nn.utils.rnn has no {name}: seqlab's recurrent layers take the "
            "padded batch and its lengths instead of a PackedSequence: call "
            "layer(padded, lengths=lengths) (pad_sequence builds the padded batch)"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
