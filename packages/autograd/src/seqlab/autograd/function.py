"""`Function` and `Context`: an op is a pair of static forward/backward methods on ndarrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd.grad_mode import is_grad_enabled


class Context:
    """What one application of a `Function` keeps for its backward pass.

    `save_for_backward(*arrays)` stores arrays that `saved_tensors` hands back in backward;
    `needs_input_grad[i]` says whether input `i` wants a gradient. Other attributes may be
    set freely in forward (shapes, axes, options).
    """

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple[Any, ...] = ()
        self.released = False
        # Filled by Function.apply when a graph is recorded.
        self.function: type[Function] | None = None
        self.inputs: tuple[Any, ...] = ()
        self.output_meta: tuple[tuple[tuple[int, ...], np.dtype], ...] = ()

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays (or None) for the backward pass."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The arrays given to `save_for_backward`."""
        if self.released:
            raise RuntimeError(
                "Trying to backward through the graph a second time: its saved arrays were "
                "freed after the first backward. Pass retain_graph=True to the first backward()."
            )
        return self._saved

    def release(self) -> None:
        """Free saved arrays once backward has used them."""
        self._saved = ()
        self.released = True


class Function:
    """Base class of differentiable ops.

    Subclasses define `forward(ctx, *args)` returning an ndarray or a tuple of ndarrays, and
    `backward(ctx, *grad_outputs)` returning one gradient (or None) per forward argument.
    Tensor arguments arrive in forward as ndarrays; other arguments pass through unchanged.
    Every output's gradient is given to backward (zeros for outputs nobody used).
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
        from seqlab.autograd.tensor import Tensor

        arrays = []
        needs = []
        for arg in args:
            if isinstance(arg, Tensor):
                arrays.append(arg.data)
                needs.append(arg.requires_grad)
            else:
                arrays.append(arg)
                needs.append(False)
        record = any(needs) and is_grad_enabled()
        ctx = Context(tuple(needs) if record else (False,) * len(args))
        result = cls.forward(ctx, *arrays)
        multiple = isinstance(result, tuple)
        outputs = result if multiple else (result,)
        tensors = tuple(Tensor._from_array(np.asarray(out), record) for out in outputs)
        if record:
            ctx.function = cls
            ctx.inputs = tuple(
                arg if need else None for arg, need in zip(args, needs, strict=True)
            )
            ctx.output_meta = tuple((t.data.shape, t.data.dtype) for t in tensors)
            for index, tensor in enumerate(tensors):
                tensor._ctx = ctx
                tensor._output_index = index
        return tensors if multiple else tensors[0]
