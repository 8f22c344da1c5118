"""`Function` and `Context`: an op is a pair of static forward/backward methods on ndarrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.autograd import float_warnings, grad_mode, versions

FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or to reach a part of it that an "
    "earlier backward already freed): its saved arrays were released after that backward. "
    "Pass retain_graph=True to the first backward() if you need to backward twice."
)

_grad_state = grad_mode._state
_clock = versions.clock
_errors_get = float_warnings.STATE.get
_errors_set = float_warnings.STATE.set
_errors_reset = float_warnings.STATE.reset


class Context:
    """What one application of a `Function` keeps for its backward pass.

    `save_for_backward(*arrays)` stores arrays that `saved_tensors` hands back in backward;
    `needs_input_grad[i]` says whether input `i` wants a gradient. Other attributes may be
    set freely in forward (shapes, axes, options).
    """

    # Slots for what Function.apply and the engine touch on every op (fast, and no per-op
    # dict unless an op stores attributes of its own).
    # __weakref__: in_place counts the live nodes that have a write history.
    __slots__ = ("__dict__", "__weakref__", "_saved", "_saved_at", "function", "inputs",
                 "needs_input_grad",
                 "output_meta", "released")

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple[Any, ...] = ()
        self._saved_at = 0
        self.released = False
        # Set by Function.apply when a graph is recorded: the op, its inputs (None for an
        # input that needs no gradient) and each output's (shape, dtype), which the engine
        # needs to build zero gradients for outputs nobody used.
        self.function: type[Function] | None = None
        self.inputs: tuple[Any, ...] = ()
        self.output_meta: tuple[tuple[Any, Any], ...] = ()

    def _copy(self) -> Context:
        """A new node holding this one's slots and attributes (but `rebased_from` and
        `written_at`, which belong to one node's write history): `in_place.refresh_view`'s."""
        new = object.__new__(Context)
        new.__dict__.update(
            (key, value) for key, value in self.__dict__.items()
            if key not in ("rebased_from", "written_at")
        )
        new.needs_input_grad = self.needs_input_grad
        new._saved = self._saved
        new._saved_at = self._saved_at
        new.function = self.function
        new.inputs = self.inputs
        new.output_meta = self.output_meta
        new.released = self.released
        return new

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays (or None) for the backward pass.

        Backward refuses them if an in-place operation changes their memory in between
        (Function.apply noted the write clock in `_saved_at` when it recorded the op).
        """
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The arrays given to `save_for_backward`."""
        if self.released:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        saved = self._saved
        if saved and self._saved_at != _clock.now:  # some in-place write happened since
            for array in saved:
                if versions.written_since(array, self._saved_at):
                    raise RuntimeError(_modified_message(self, array))
        return saved

    def release(self) -> None:
        """Free saved arrays and inputs once backward has used them."""
        self._saved = ()
        self.inputs = ()
        self.released = True


def _modified_message(ctx: Context, array: np.ndarray) -> str:
    op = ctx.function.__name__ if ctx.function is not None else "an op"
    return (
        "one of the arrays needed for gradient computation has been modified by an in-place "
        f"operation: {op} saved an array of shape {array.shape} and dtype {array.dtype} in the "
        "forward pass, and it was written into (item assignment, copy_, fill_, zero_, +=, ...) "
        "before backward; clone() the tensor before changing it, or change it before using it"
    )


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
        # This runs once per op of every training step: no comprehensions (a call each in
        # Python 3.11), no __init__, only the attribute writes that are needed.
        arrays = []
        needs = []
        inputs = []
        record = False
        for arg in args:
            if isinstance(arg, Tensor):
                if arg.requires_grad:
                    node = arg._ctx
                    if (node is not None and node._saved_at != _clock.now
                            and node.function in VIEW_FUNCTIONS):
                        refresh_view(arg)  # its base may have been written since it was taken
                    arrays.append(arg.data)
                    needs.append(True)
                    inputs.append(arg)
                    record = True
                    continue
                if unrecorded_bases and arg.data.base is not None:
                    check_view_without_history(arg)
                arrays.append(arg.data)
            else:
                arrays.append(arg)
            needs.append(False)
            inputs.append(None)
        ctx = _new_object(Context)
        ctx._saved = ()
        if record and _grad_state.enabled:
            ctx.needs_input_grad = tuple(needs)
            # When it took its inputs and saved arrays (saved_tensors, in_place.as_seen_by).
            ctx._saved_at = _clock.now
        else:
            record = False
            ctx.needs_input_grad = _no_grads(len(args))
        # inf and nan as in PyTorch, without NumPy's warnings (`float_warnings`; inline: this
        # runs once per op)
        errors = _errors_get()
        seen, quiet = float_warnings.last
        if errors is not seen:
            quiet = float_warnings.quiet_state(errors)
        errors = _errors_set(quiet)
        try:
            result = cls.forward(ctx, *arrays)
        finally:
            _errors_reset(errors)

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
                ctx.released = False
                ctx.function = cls
                ctx.inputs = tuple(inputs)
                ctx.output_meta = _SINGLE_OUTPUT  # its gradient always exists in backward
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
            ctx.released = False
            ctx.function = cls
            ctx.inputs = tuple(inputs)
            ctx.output_meta = tuple(meta)
        return tuple(outputs)


_SINGLE_OUTPUT = ((None, None),)
_NO_GRADS: dict[int, tuple[bool, ...]] = {}


def _no_grads(count: int) -> tuple[bool, ...]:
    """A cached all-False needs_input_grad tuple."""
    needs = _NO_GRADS.get(count)
    if needs is None:
        needs = _NO_GRADS[count] = (False,) * count
    return needs


# Set by in_place.py (which imports this module): the ops whose output views their input's
# memory, how to bring such a view up to date with writes into its base, and the storages
# that a recorded write gave a history while views without one were possibly taken of them.
VIEW_FUNCTIONS: set[type[Function]] = set()
refresh_view: Any = None
check_view_without_history: Any = None
unrecorded_bases: set[int] = set()

# Bound at the end of tensor.py (which imports this module) to avoid an import cycle.
Tensor: Any = None
_new_object = object.__new__
