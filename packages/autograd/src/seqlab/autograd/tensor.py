"""`Tensor`: an ndarray with an optional gradient and the op that produced it."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from seqlab.autograd import (
    engine,
    float_warnings,
    function,
    grad_mode,
    gradient_hooks,
    in_place,
    promotion,
)
from seqlab.autograd.ops import along_axis, indexing, matmul, norms, reduce, shape
from seqlab.autograd.ops import elementwise as ew
from seqlab.autograd.threads import seqlab_computing

DEFAULT_DTYPE = np.float32

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])

_grad_state = grad_mode._state


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert data to an ndarray; Python floats become float32 unless a dtype is given."""
    if isinstance(data, Tensor):
        data = data.data
    array = np.asarray(data, dtype=dtype)
    from_python = not isinstance(data, np.ndarray | np.generic)
    if dtype is None and from_python and array.dtype == np.float64:
        array = array.astype(DEFAULT_DTYPE)
    return array


def _index_of(index: Any) -> Any:
    """Turn Tensors inside an index into ndarrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(part.data if isinstance(part, Tensor) else part for part in index)
    if isinstance(index, list) and any(isinstance(part, Tensor) for part in index):
        return [_index_of(part) for part in index]
    return index


def _sizes(args: tuple[Any, ...]) -> tuple[int, ...]:
    """Sizes given either as separate ints or as one sequence."""
    if len(args) == 1 and isinstance(args[0], Sequence):
        return tuple(args[0])
    return tuple(args)


class Tensor:
    """An n-dimensional array that can record the ops applied to it for reverse-mode autodiff."""

    __slots__ = ("__weakref__", "_ctx", "_output_index", "data", "grad", "requires_grad")
    # NumPy hands `ndarray <op> Tensor` to the Tensor's reflected method and refuses ufuncs on
    # Tensors (np.exp(t) would silently drop the graph).
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = _as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}; "
                "convert with .float() or .double() first"
            )
        self.requires_grad = bool(requires_grad)
        self.grad: np.ndarray | None = None
        self._ctx = None
        self._output_index = 0

    @classmethod
    def _from_array(cls, array: np.ndarray, requires_grad: bool = False) -> Tensor:
        """Wrap an ndarray without copying or checking it (internal fast path)."""
        tensor = _new_tensor(cls)
        tensor.data = array
        tensor.requires_grad = requires_grad
        tensor.grad = None
        tensor._ctx = None
        tensor._output_index = 0
        return tensor

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by a recorded op."""
        return self._ctx is None

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return self.permute(*reversed(range(self.ndim)))

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The shape, or the size of one dim."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({np.array2string(self.data, separator=', ')}, dtype={self.dtype}{grad})"

    def __format__(self, spec: str) -> str:
        if self.data.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None, *, grad: Any = None) -> None:
        """Accumulate d self / d leaf into every leaf's `.grad`, as PyTorch's.

        `gradient` (or `grad=`, seqlab's older name) is d loss / d self; it may be omitted only
        for a one-element tensor. `retain_graph=True` keeps the saved arrays so that backward
        can run again. `create_graph=True` (double backward) and `inputs=` (a backward to
        chosen leaves only) are not supported and are refused.
        """
        if gradient is not None and grad is not None:
            raise TypeError("backward() takes the gradient once: gradient= or grad=, not both")
        grad = gradient if gradient is not None else grad
        if create_graph:
            raise NotImplementedError(
                "backward(create_graph=True): double backward (a graph of the gradient) is not "
                "supported in seqlab")
        if inputs is not None:
            raise NotImplementedError(
                "backward(inputs=...): a backward to chosen inputs only is not supported in "
                "seqlab; it fills every leaf's .grad (set requires_grad=False on the others)")
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a one-element output, got shape "
                    f"{self.shape}; call .sum() or .mean() first, or pass gradient= with the "
                    "output's shape"
                )
            grad_array = np.ones(self.shape, dtype=self.dtype)
        else:
            grad_array = _as_array(grad, self.dtype)
            if grad_array.shape != self.shape:
                raise RuntimeError(
                    f"backward(gradient=...) got a gradient of shape {grad_array.shape} for an "
                    f"output of shape {self.shape}; they must be equal"
                )
        with seqlab_computing():  # BLAS on one thread while seqlab's own threads compute
            engine.backward(self, grad_array, retain_graph=bool(retain_graph))

    def retain_grad(self) -> None:
        """Keep this tensor's gradient in `.grad` on backward, as leaves do (a no-op on a
        leaf), as PyTorch's."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self._ctx is not None:
            engine.retain(self)

    def register_hook(self, hook: Any) -> Any:
        """Call hook(grad) with this tensor's gradient in each backward, as PyTorch's (grad
        an ndarray, as `.grad` is); a returned array replaces it (`gradient_hooks`). Returns
        a handle whose `remove()` takes the hook away."""
        return gradient_hooks.register(self, hook)

    @property
    def retains_grad(self) -> bool:
        """True once `retain_grad()` was called on this non-leaf tensor."""
        return self._ctx is not None and engine.is_retained(self)

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._from_array(self.data, False)

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place: it becomes a leaf that needs no gradient
        (as `torch.Tensor.detach_`); ops recorded before still send their gradients through
        its old history (`in_place.detach`). A view is refused, as in PyTorch. Returns
        itself."""
        in_place.detach(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place (on leaves; only floating-point tensors can need one)."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "requires_grad_(False) on a tensor computed by a recorded op: use .detach() to "
                "get a copy cut from the graph"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a one-element tensor, got shape {self.shape} ({self.data.size} "
                "elements)"
            )
        return self.data.reshape(()).item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """PyTorch's `x.to(device)`, `x.to(dtype)`, `x.to(device, dtype)`, `x.to(other)`
        (its dtype) and keywords device, dtype, non_blocking, copy: a cast, differentiable
        as `type`; "cpu" moves nothing (seqlab runs on the CPU), another device is refused."""
        from seqlab.autograd.devices import to_arguments

        dtype, copy = to_arguments("Tensor.to", args, kwargs)
        cast = self if dtype is None else self.type(dtype)
        return cast.clone() if copy and cast is self else cast

    def cpu(self) -> Tensor:
        """The tensor itself: seqlab runs on the CPU (PyTorch's `x.cpu()`)."""
        return self

    def type(self, dtype: Any) -> Tensor:
        """Cast to another dtype (differentiable for float-to-float casts)."""
        if np.dtype(dtype) == self.dtype:
            return self
        return ew.Cast.apply(self, np.dtype(dtype))

    def float(self) -> Tensor:
        return self.type(np.float32)

    def double(self) -> Tensor:
        return self.type(np.float64)

    def long(self) -> Tensor:
        return Tensor._from_array(_integer_cast(self.data, np.int64))

    def int(self) -> Tensor:
        return Tensor._from_array(_integer_cast(self.data, np.int32))

    def bool(self) -> Tensor:
        return Tensor._from_array(self.data.astype(bool))

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph."""
        return ew.Clone.apply(self)

    def contiguous(self) -> Tensor:
        return self

    # ----------------------------------------------------------------- in place
    # Recorded in the graph when it needs them, refused on leaves that require grad (outside
    # no_grad), and stamped for backward's check of saved arrays: see in_place.py.
    def __setitem__(self, index: Any, value: Any) -> None:
        in_place.write(self, _index_of(index), value, "item assignment")

    def zero_(self) -> Tensor:
        in_place.write(self, Ellipsis, 0, "zero_()")
        return self

    def fill_(self, value: Any) -> Tensor:
        in_place.write(self, Ellipsis, value, "fill_()")
        return self

    def copy_(self, source: Any) -> Tensor:
        in_place.write(self, Ellipsis, source, "copy_()")
        return self

    def add_(self, other: Any) -> Tensor:
        """Add `other` into this tensor in place (`+=`); returns this tensor."""
        return in_place.update(self, other, np.add, Tensor.__add__, "+=")

    def sub_(self, other: Any) -> Tensor:
        """Subtract `other` from this tensor in place (`-=`); returns this tensor."""
        return in_place.update(self, other, np.subtract, Tensor.__sub__, "-=")

    def mul_(self, other: Any) -> Tensor:
        """Multiply this tensor by `other` in place (`*=`); returns this tensor."""
        return in_place.update(self, other, np.multiply, Tensor.__mul__, "*=")

    def div_(self, other: Any) -> Tensor:
        """Divide this tensor by `other` in place (`/=`); returns this tensor."""
        return in_place.update(self, other, np.true_divide, Tensor.__truediv__, "/=")

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    # ----------------------------------------------------------------- arithmetic
    def _promoted(self, other: Any) -> tuple[Tensor, Any]:
        """This tensor and a non-tensor operand, typed as PyTorch types them.

        A Python scalar is weak: it keeps the tensor's dtype, except that a float scalar makes
        an integer or bool tensor the default float dtype, and an int scalar makes a bool
        tensor int64 (NumPy alone would give float64 and keep bool). An array or sequence
        takes a floating tensor's dtype. Another tensor of a different dtype follows PyTorch's
        tensor rule (`promotion.result_type`).
        """
        kind = type(other)
        if kind is float:
            if self.data.dtype.kind in "biu":
                return self.type(DEFAULT_DTYPE), other
            return self, other
        if kind is int or kind is bool:
            if kind is int and self.data.dtype.kind == "b":
                return self.type(np.int64), other
            return self, other
        if isinstance(other, Tensor):
            if other.data.dtype is self.data.dtype:
                return self, other
            return _tensor_pair(self, other)
        array = np.asarray(other)
        if self.data.dtype.kind == "f" and array.dtype.kind in "biuf":
            return self, array.astype(self.data.dtype, copy=False)
        return self, array

    def _operand(self, other: Any) -> Any:
        """An operand typed for this tensor (see `_promoted`): a plain Tensor as it is; a
        non-tensor, or a Tensor subclass such as Parameter, through `_promoted`."""
        if type(other) is Tensor:
            return other
        return self._promoted(other)[1]

    def __add__(self, other: Any) -> Tensor:
        if type(other) is Tensor:
            if other.data.dtype is self.data.dtype:
                return ew.Add.apply(self, other)
            return ew.Add.apply(*_tensor_pair(self, other))
        a, b = self._promoted(other)
        return ew.Add.apply(a, b)

    def __radd__(self, other: Any) -> Tensor:
        a, b = self._promoted(other)
        return ew.Add.apply(b, a)

    def __sub__(self, other: Any) -> Tensor:
        if type(other) is Tensor:
            if other.data.dtype is self.data.dtype:
                return ew.Sub.apply(self, other)
            return ew.Sub.apply(*_tensor_pair(self, other))
        a, b = self._promoted(other)
        return ew.Sub.apply(a, b)

    def __rsub__(self, other: Any) -> Tensor:
        a, b = self._promoted(other)
        return ew.Sub.apply(b, a)

    def __mul__(self, other: Any) -> Tensor:
        if type(other) is Tensor:
            if other.data.dtype is self.data.dtype:
                return ew.Mul.apply(self, other)
            return ew.Mul.apply(*_tensor_pair(self, other))
        a, b = self._promoted(other)
        return ew.Mul.apply(a, b)

    def __rmul__(self, other: Any) -> Tensor:
        a, b = self._promoted(other)
        return ew.Mul.apply(b, a)

    def __truediv__(self, other: Any) -> Tensor:
        if type(other) is Tensor and other.data.dtype is self.data.dtype:
            a, b = self, other
        else:
            a, b = self._promoted(other)
        if a.data.dtype.kind in "biu":
            a, b = _true_division_operands(a, b)
        return ew.Div.apply(a, b)

    def __rtruediv__(self, other: Any) -> Tensor:
        a, b = self._promoted(other)
        if a.data.dtype.kind in "biu":
            a, b = _true_division_operands(a, b)
        return ew.Div.apply(b, a)

    def __floordiv__(self, other: Any) -> Tensor:
        a, b = self._promoted(other)
        return ew.FloorDivide.apply(a, b)

    def __rfloordiv__(self, other: Any) -> Tensor:
        a, b = self._promoted(other)
        return ew.FloorDivide.apply(b, a)

    def floor_divide(self, other: Any) -> Tensor:
        """Elementwise floor(self / other), as `//` (it has no gradient, as in PyTorch)."""
        return self // other

    def __pow__(self, other: Any) -> Tensor:
        a, b = self._promoted(other)
        return ew.Pow.apply(a, b)

    def __rpow__(self, other: Any) -> Tensor:
        a, b = self._promoted(other)
        return ew.Pow.apply(b, a)

    def __matmul__(self, other: Any) -> Tensor:
        return matmul.MatMul.apply(self, self._operand(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul.MatMul.apply(self._operand(other), self)

    def __neg__(self) -> Tensor:
        return ew.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ew.Abs.apply(self)

    def bmm(self, mat2: Any) -> Tensor:
        """Batched matrix product of (B, n, m) and (B, m, p) into (B, n, p), as `torch.bmm`:
        both 3-D with the same batch (no broadcasting; `@` broadcasts)."""
        other = mat2 if isinstance(mat2, Tensor) else Tensor(mat2)
        if self.ndim != 3 or other.ndim != 3:
            raise ValueError(f"bmm: both operands must be 3-D, got {self.shape} and {other.shape}")
        if self.shape[0] != other.shape[0] or self.shape[2] != other.shape[1]:
            raise ValueError(f"bmm: expected (B, n, m) and (B, m, p), got {self.shape} and "
                             f"{other.shape}")
        return self @ other

    def matmul(self, other: Any) -> Tensor:
        return self @ other

    def add(self, other: Any) -> Tensor:
        return self + other

    def sub(self, other: Any) -> Tensor:
        return self - other

    def mul(self, other: Any) -> Tensor:
        return self * other

    def div(self, other: Any) -> Tensor:
        return self / other

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    def neg(self) -> Tensor:
        return ew.Neg.apply(self)

    def maximum(self, other: Any) -> Tensor:
        """Elementwise max with broadcasting (ties split the gradient)."""
        a, b = self._promoted(other)
        return ew.Maximum.apply(a, b)

    def minimum(self, other: Any) -> Tensor:
        """Elementwise min with broadcasting (ties split the gradient)."""
        a, b = self._promoted(other)
        return ew.Minimum.apply(a, b)

    # comparisons and logic give boolean tensors with no gradient
    def _compare(self, other: Any, op: Any) -> Tensor:
        other_data = other.data if isinstance(other, Tensor) else other
        return Tensor._from_array(np.asarray(op(self.data, other_data)))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __and__(self, other: Any) -> Tensor:
        return self._compare(other, np.logical_and)

    def __or__(self, other: Any) -> Tensor:
        return self._compare(other, np.logical_or)

    def __xor__(self, other: Any) -> Tensor:
        return self._compare(other, np.logical_xor)

    def __invert__(self) -> Tensor:
        return Tensor._from_array(np.asarray(~self.data))

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data.reshape(()))

    def any(self) -> Tensor:
        return Tensor._from_array(np.asarray(self.data.any()))

    def all(self) -> Tensor:
        return Tensor._from_array(np.asarray(self.data.all()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    # ----------------------------------------------------------------- elementwise
    def exp(self) -> Tensor:
        return ew.Exp.apply(self)

    def log(self) -> Tensor:
        return ew.Log.apply(self)

    def sqrt(self) -> Tensor:
        return ew.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return ew.Abs.apply(self)

    def tanh(self) -> Tensor:
        return ew.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return ew.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return ew.Relu.apply(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Clip into [min, max]; the gradient flows where the input was inside (bounds included)."""
        if min is None and max is None:
            raise ValueError("clamp() needs at least one of min= and max=")
        return ew.Clamp.apply(self, min, max)

    clip = clamp

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """Put `value` where `mask` is true; those positions get no gradient."""
        mask_array = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        if mask_array.dtype != np.bool_:
            raise TypeError(f"masked_fill needs a boolean mask, got dtype {mask_array.dtype}")
        return ew.Where.apply(mask_array, np.asarray(value, dtype=self.dtype), self)

    # ----------------------------------------------------------------- reductions
    def sum(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
        return reduce.Sum.apply(self, dim, keepdim)

    def mean(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
        return reduce.Mean.apply(self, dim, keepdim)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Full max; (values, indices) along `dim`; or elementwise max with another tensor."""
        if dim is None:
            return reduce.Extreme.apply(self, True, None, False)
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return ValuesIndices(*reduce.ExtremeAlongDim.apply(self, dim, keepdim, True))

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Full min; (values, indices) along `dim`; or elementwise min with another tensor."""
        if dim is None:
            return reduce.Extreme.apply(self, False, None, False)
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return ValuesIndices(*reduce.ExtremeAlongDim.apply(self, dim, keepdim, False))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the largest value (over the flattened tensor when dim is None)."""
        return self._arg_extreme(np.argmax, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the smallest value (over the flattened tensor when dim is None)."""
        return self._arg_extreme(np.argmin, dim, keepdim)

    def _arg_extreme(self, find: Any, dim: int | None, keepdim: bool) -> Tensor:
        if dim is None:
            return Tensor._from_array(np.asarray(find(self.data), dtype=np.int64))
        (axis,) = reduce.normalize_dims(dim, self.ndim)
        out = find(self.data, axis=axis).astype(np.int64, copy=False)
        return Tensor._from_array(np.expand_dims(out, axis) if keepdim else out)

    def logsumexp(self, dim: int | tuple[int, ...], keepdim: bool = False) -> Tensor:
        """log(sum(exp(x))) over `dim`, computed without overflow."""
        return reduce.LogSumExp.apply(self, dim, keepdim)

    def softmax(self, dim: int) -> Tensor:
        return reduce.Softmax.apply(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        return reduce.LogSoftmax.apply(self, dim)

    def var(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
            unbiased: bool = True, correction: int | None = None) -> Tensor:
        """Variance over `dim`, divided by N - correction (default 1, or 0 if not unbiased);
        nan when N <= correction, as in PyTorch."""
        reduce.refuse_non_float(self.data.dtype, "var()/std(): std and var only support "
                                "floating point and complex dtypes")
        if correction is None:
            correction = 1 if unbiased else 0
        centered = self - self.mean(dim, keepdim=True)
        axes = reduce.reduction_dims(dim, self.ndim)
        count = int(np.prod([self.shape[i] for i in axes]))
        with np.errstate(divide="ignore", invalid="ignore"):
            return (centered * centered).sum(dim, keepdim) / max(count - correction, 0)

    def std(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
            unbiased: bool = True, correction: int | None = None) -> Tensor:
        """Standard deviation over `dim` (see `var`); its gradient is 0 over a constant slice
        (std 0), as PyTorch's, not sqrt's inf times 0."""
        reduce.refuse_non_float(self.data.dtype, "var()/std(): std and var only support "
                                "floating point and complex dtypes")
        if correction is None:
            correction = 1 if unbiased else 0
        return norms.Std.apply(self, dim, keepdim, correction)

    def norm(self, p: float | str = "fro", dim: int | tuple[int, ...] | None = None,
             keepdim: bool = False) -> Tensor:
        """The p-norm over `dim` (all elements by default): p = 2 ('fro'), 1, inf, -inf, 0 or
        any other number; the gradient is 0 where the norm is 0, as PyTorch's."""
        reduce.refuse_non_float(self.data.dtype, "norm(): expected a floating point tensor")
        if p == "fro":
            p = 2.0
        if isinstance(p, str):
            raise ValueError(f"norm(): p must be a number or 'fro', got {p!r}")
        return norms.Norm.apply(self, float(p), dim, keepdim)

    def amax(self, dim: int | tuple[int, ...] = (), keepdim: bool = False) -> Tensor:
        """Largest values over `dim` (all dims when empty); ties share the gradient, and a
        slice whose largest value is NaN sends it to its NaNs, as `max()` (PyTorch's amax
        gives that slice NaN gradients)."""
        return reduce.Extreme.apply(self, True, dim, keepdim)

    def amin(self, dim: int | tuple[int, ...] = (), keepdim: bool = False) -> Tensor:
        """Smallest values over `dim` (all dims when empty); ties share the gradient."""
        return reduce.Extreme.apply(self, False, dim, keepdim)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape_args: Any) -> Tensor:
        """Same data in a new shape (one size may be -1)."""
        target = _sizes(shape_args)
        if target == self.data.shape:
            return self
        return shape.Reshape.apply(self, target)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dims start_dim..end_dim into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        middle = int(np.prod(self.shape[start : end + 1]))
        return self.reshape((*self.shape[:start], middle, *self.shape[end + 1:]))

    def permute(self, *dims: Any) -> Tensor:
        return shape.Permute.apply(self, _sizes(dims))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        order = list(range(self.ndim))
        order[dim0], order[dim1] = order[dim1], order[dim0]
        return shape.Permute.apply(self, tuple(order))

    def t(self) -> Tensor:
        """Transpose of a matrix (a 0-d or 1-d tensor is returned as it is)."""
        return self if self.ndim < 2 else self.transpose(0, 1)

    def squeeze(self, dim: int | tuple[int, ...] | None = None) -> Tensor:
        """Drop size-1 dims (all of them, or those among `dim` that have size 1)."""
        if dim is None:
            axes = {i for i, size in enumerate(self.shape) if size == 1}
        else:
            axes = {i for i in reduce.normalize_dims(dim, self.ndim)
                    if self.ndim and self.shape[i] == 1}
        return self.reshape(tuple(size for i, size in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a size-1 dim at `dim` (negative counts from the end of the new shape)."""
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(
                f"unsqueeze dim {dim} is out of range for a tensor with {self.ndim} dims "
                f"(allowed {-self.ndim - 1}..{self.ndim})"
            )
        dim = dim % (self.ndim + 1)
        return self.reshape((*self.shape[:dim], 1, *self.shape[dim:]))

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast size-1 dims to larger sizes (-1 keeps a size) without copying."""
        return shape.Expand.apply(self, _sizes(sizes))

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple:
        """Pieces of `split_size` along `dim` (the last may be shorter), or of the given sizes."""
        (axis,) = reduce.normalize_dims(dim, self.ndim)
        length = self.shape[axis]
        if isinstance(split_size_or_sections, int | np.integer):
            step = int(split_size_or_sections)
            if step <= 0:
                raise ValueError(f"split size must be a positive integer, got {step}")
            sizes = tuple(min(step, length - start) for start in range(0, length, step)) or (0,)
        else:
            sizes = tuple(int(size) for size in split_size_or_sections)
            if sum(sizes) != length or any(size < 0 for size in sizes):
                raise ValueError(
                    f"split sizes {sizes} must be non-negative and add up to {length}, the size "
                    f"of dim {dim}"
                )
        return shape.Split.apply(self, sizes, axis)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """At most `chunks` equal pieces along `dim` (the last may be smaller), like PyTorch."""
        if chunks <= 0:
            raise ValueError(f"chunk() needs a positive number of chunks, got {chunks}")
        (axis,) = reduce.normalize_dims(dim, self.ndim)
        step = max(-(-self.shape[axis] // chunks), 1)
        return self.split(step, axis)

    def gather(self, dim: int, index: Any) -> Tensor:
        """out[i][j] = self[i][index[i][j]] along `dim` (repeated indices accumulate)."""
        return indexing.Gather.apply(self, dim, _index_of(index))

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The entries of a 1-D integer `index` along `dim`, as `torch.index_select`."""
        return indexing.IndexSelect.apply(self, dim, _index_of(index))

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """A copy with src[i][j] added at [i][index[i][j]] along `dim` (out of place)."""
        return indexing.ScatterAdd.apply(self, dim, _index_of(index), self._operand(src))

    def masked_select(self, mask: Any) -> Tensor:
        """The entries where the boolean `mask` (broadcast with this tensor) is true, as a 1-D
        tensor in row-major order (`torch.masked_select`); the gradient goes back to them."""
        mask_array = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        if mask_array.dtype != np.bool_:
            raise TypeError(f"masked_select needs a boolean mask, got dtype {mask_array.dtype}")
        common = np.broadcast_shapes(self.shape, mask_array.shape)
        source = self if self.shape == common else self.expand(*common)
        return source.reshape(-1)[np.flatnonzero(np.broadcast_to(mask_array, common))]

    # ------------------------------------------------------------ along one axis
    def cumsum(self, dim: int) -> Tensor:
        """Cumulative sums along `dim` (`torch.cumsum`; integers and bools sum as int64)."""
        if self.ndim == 0:
            reduce.normalize_dims(dim, 0)  # 0 or -1, as PyTorch
            return self.reshape(1).cumsum(0).reshape(())
        (axis,) = reduce.normalize_dims(dim, self.ndim)
        return along_axis.Cumsum.apply(self, axis)

    def flip(self, *dims: Any) -> Tensor:
        """A copy with the order along `dims` reversed (`torch.flip`)."""
        axes = reduce.normalize_dims(_sizes(dims), self.ndim) if self.ndim else ()
        return along_axis.Flip.apply(self, axes) if axes else self.clone()

    def repeat(self, *sizes: Any) -> Tensor:
        """The tensor tiled `sizes` times along each dim (`torch.repeat`, NumPy's `tile`);
        more sizes than dims add leading dims. Built from reshape and expand, so the
        gradient sums the copies."""
        repeats = _sizes(sizes)
        if len(repeats) < self.ndim:
            raise ValueError(f"repeat: give at least one size per dim ({self.ndim}), got "
                             f"{len(repeats)}")
        if any(int(count) < 0 for count in repeats):
            raise ValueError(f"repeat: sizes must be >= 0, got {tuple(repeats)}")
        shape = (1,) * (len(repeats) - self.ndim) + self.shape
        spaced = [size for dim in shape for size in (1, dim)]
        expanded = [size for count, dim in zip(repeats, shape) for size in (int(count), dim)]
        tiled = [int(count) * dim for count, dim in zip(repeats, shape)]
        return self.reshape(spaced).expand(expanded).reshape(tiled)

    def topk(self, k: int, dim: int = -1, largest: bool = True,
             sorted: bool = True) -> ValuesIndices:
        """The `k` largest (`largest=False`: smallest) entries along `dim` and their indices
        (int64), best first (`torch.topk`; ties in index order, NaN larger than any number).
        The gradient goes to the picked entries only. `sorted=False` is accepted and gives them
        sorted too."""
        source = self.reshape(1) if self.ndim == 0 else self
        (axis,) = reduce.normalize_dims(dim, source.ndim)
        size = source.shape[axis]
        if not 0 <= k <= size:
            raise ValueError(f"topk: k ({k}) must lie in [0, {size}], the size of dim {dim}")
        keys = source.data
        nan = np.isnan(keys) if largest and keys.dtype.kind == "f" else None
        if nan is not None and nan.any():  # NaN first (PyTorch: larger than any number), then
            # the negated keys ascending; lexsort is stable: ties keep index order
            order = np.lexsort((-keys, ~nan), axis=axis)
        else:  # a stable ascending sort (of the negated keys for `largest`); NaN sorts last
            if largest:  # ~ reverses integers' order without overflow (uint64 >= 2^63,
                # int64's minimum: a negation wraps them)
                keys = ~keys if keys.dtype.kind in "biu" else -keys
            order = np.argsort(keys, axis=axis, kind="stable")
        indices = np.ascontiguousarray(np.take(order, np.arange(k), axis=axis), dtype=np.int64)
        values = source.gather(axis, indices)
        if self.ndim == 0:
            return ValuesIndices(values.reshape(()), Tensor._from_array(indices.reshape(())))
        return ValuesIndices(values, Tensor._from_array(indices))

    def __getitem__(self, index: Any) -> Tensor:
        return indexing.GetItem.apply(self, _index_of(index))

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))


def _tensor_pair(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Two tensors cast to the dtype PyTorch gives their op (themselves when they agree)."""
    if a.data.dtype == b.data.dtype:
        return a, b
    target = promotion.result_type(a.data, b.data)
    if target is None:
        return a, b
    return _cast(a, target), _cast(b, target)


def _integer_cast(array: np.ndarray, dtype: Any) -> np.ndarray:
    """`array` cast to an integer dtype; inf and NaN give an undefined value without NumPy's
    RuntimeWarning, as PyTorch's casts (and seqlab's ops: `float_warnings`) print none."""
    token = float_warnings.quiet()
    try:
        return array.astype(dtype)
    finally:
        float_warnings.restore(token)


def _cast(tensor: Tensor, dtype: np.dtype) -> Tensor:
    """`tensor.type(dtype)`, without an op in the graph when nothing needs its gradient."""
    if tensor.data.dtype == dtype:
        return tensor
    if tensor.requires_grad and _grad_state.enabled:
        return tensor.type(dtype)
    return Tensor._from_array(tensor.data.astype(dtype))


def _true_division_operands(a: Tensor, b: Any) -> tuple[Tensor, Any]:
    """Operands of `a / b` for an integer or bool `a`: true division of integers gives the
    default float dtype (float32), as in PyTorch, not NumPy's float64."""
    if isinstance(b, Tensor):
        if b.data.dtype.kind not in "biu":
            return a.type(b.dtype), b
        return a.type(DEFAULT_DTYPE), b.type(DEFAULT_DTYPE)
    if isinstance(b, np.ndarray) and b.dtype.kind in "biu":
        b = b.astype(DEFAULT_DTYPE)
    return a.type(DEFAULT_DTYPE), b


_new_tensor = object.__new__
# Function.apply builds output tensors itself (its hot path); give it the class here, where
# it exists, since function.py cannot import this module.
function.Tensor = Tensor
