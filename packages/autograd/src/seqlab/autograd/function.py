"""`Function` and `Context`: an op is a pair of static forward/backward methods on ndarrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd import grad_mode

FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or to reach a part of it that an "
    "earlier backward already freed): its saved arrays were released after that backward. "
    "Pass retain_graph=True to the first backward() if you need to backward twice."
)

_grad_state = grad_mode._state


class Context:
    """What one application of a `Function` keeps for its backward pass.

    `save_for_backward(*arrays)` stores arrays that `saved_tensors` hands back in backward;
    `needs_input_grad[i]` says whether input `i` wants a gradient. Other attributes may be
    set freely in forward (shapes, axes, options).
    """

    # Class-level defaults: Function.apply sets only what differs, once per op.
    _saved: tuple[Any, ...] = ()
    released = False
    # Set by Function.apply when a graph is recorded: the op, its inputs (None for an input
    # that needs no gradient) and each output's (shape, dtype).
    function: type[Function] | None = None
    inputs: tuple[Any, ...] = ()
    output_meta: tuple[tuple[tuple[int, ...], np.dtype], ...] = ()

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays (or None) for the backward pass."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The arrays given to `save_for_backward`."""
        if self.released:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        return self._saved

    def release(self) -> None:
        """Free saved arrays and inputs once backward has used them."""
        self._saved = ()
        self.inputs = ()
        self.released = True


class Function:
    """Base class of differentiable ops.

    Subclasses define `forward(ctx, *args)` returning an ndarray or a tuple of ndarrays, and
    `backward(ctx, *grad_outputs)` returning one gradient (or None) per forward argument.
    Tensor arguments arrive in forward as ndarrays; other arguments pass through unchanged.
    Every output's gradient is given to backward (zeros for outputs nobody used). Outputs that
    are not floating point (indices, masks) never require a gradient.
    """

    @staticmethod
    def forward(ctx: Context, *args: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grad_outputs: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run forward on the arguments and, when an input needs a gradient, record the graph."""
        # This runs once per op of every training step: keep it free of needless work.
        arrays = []
        inputs = []
        record = False
        for arg in args:
            if isinstance(arg, Tensor):
                arrays.append(arg.data)
                if arg.requires_grad:
                    inputs.append(arg)
                    record = True
                    continue
            else:
                arrays.append(arg)
            inputs.append(None)
        ctx = _new_object(Context)
        if record and _grad_state.enabled:
            ctx.needs_input_grad = tuple([tensor is not None for tensor in inputs])
        else:
            record = False
            ctx.needs_input_grad = _no_grads(len(args))
        result = cls.forward(ctx, *arrays)

        if type(result) is not tuple:
            if type(result) is not np.ndarray:
                result = np.asarray(result)
            output = _new_object(Tensor)
            output.data = result
            output.grad = None
            output._output_index = 0
            if record and result.dtype.kind == "f":
                output.requires_grad = True
                output._ctx = ctx
                ctx.function = cls
                ctx.inputs = tuple(inputs)
                ctx.output_meta = ((result.shape, result.dtype),)
            else:
                output.requires_grad = False
                output._ctx = None
            return output

        outputs = []
        meta = []
        for index, array in enumerate(result):
            if type(array) is not np.ndarray:
                array = np.asarray(array)
            output = _new_object(Tensor)
            output.data = array
            output.grad = None
            output._output_index = index
            differentiable = record and array.dtype.kind == "f"
            output.requires_grad = differentiable
            output._ctx = ctx if differentiable else None
            outputs.append(output)
            meta.append((array.shape, array.dtype))
        if record:
            ctx.function = cls
            ctx.inputs = tuple(inputs)
            ctx.output_meta = tuple(meta)
        return tuple(outputs)


_NO_GRADS: dict[int, tuple[bool, ...]] = {}


def _no_grads(count: int) -> tuple[bool, ...]:
    """A cached all-False needs_input_grad tuple."""
    needs = _NO_GRADS.get(count)
    if needs is None:
        needs = _NO_GRADS[count] = (False,) * count
    return needs


# Bound at the end of tensor.py (which imports this module) to avoid an import cycle.
Tensor: Any = None
_new_object = object.__new__
