"""Errors for bad inputs that PyTorch reports as RuntimeError and seqlab as ValueError."""


class ShapeOrDtypeError(ValueError, RuntimeError):
    """An input of the wrong shape, size or dtype for a layer (a Linear's dtype, an RNN's
    empty sequence, hidden state size or feature count): catchable as ValueError (seqlab's
    convention) and as RuntimeError (what PyTorch raises there)."""
