"""`Tensor`: an ndarray with an optional gradient and the op that produced it."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from seqlab.autograd import engine
from seqlab.autograd.ops import elementwise as ew
from seqlab.autograd.ops import indexing, matmul, reduce, shape

DEFAULT_DTYPE = np.float32

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert data to an ndarray; Python floats become float32 unless a dtype is given."""
    if isinstance(data, Tensor):
        data = data.data
    array = np.asarray(data, dtype=dtype)
    if dtype is None and array.dtype == np.float64 and not isinstance(data, np.ndarray):
        array = array.astype(DEFAULT_DTYPE)
    return array


def _index_of(index: Any) -> Any:
    """Turn Tensors inside an index into ndarrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(_index_of(part) for part in index)
    return index


class Tensor:
    """An n-dimensional array that can record the ops applied to it for reverse-mode autodiff."""

    __slots__ = ("__weakref__", "_ctx", "_output_index", "data", "grad", "requires_grad")
    __array_priority__ = 1000.0

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = _as_array(data, dtype)
        if requires_grad and not np.issubdtype(self.data.dtype, np.floating):
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        self.grad: np.ndarray | None = None
        self._ctx = None
        self._output_index = 0

    @classmethod
    def _from_array(cls, array: np.ndarray, requires_grad: bool) -> Tensor:
        tensor = cls.__new__(cls)
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
        return len(self.data)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({np.array2string(self.data, separator=', ')}, dtype={self.dtype}{grad})"

    # ----------------------------------------------------------------- autograd
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d self / d leaf into every leaf's `.grad`."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a scalar output, got shape {self.shape}; "
                    "pass grad= with the output's shape"
                )
            grad_array = np.ones(self.shape, dtype=self.dtype)
        else:
            grad_array = _as_array(grad, self.dtype)
            if grad_array.shape != self.shape:
                raise RuntimeError(
                    f"grad of shape {grad_array.shape} does not match output shape {self.shape}"
                )
        engine.backward(self, grad_array, retain_graph=retain_graph)

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._from_array(self.data, False)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> float | int:
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def to(self, dtype: Any) -> Tensor:
        return self.type(dtype)

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
        return Tensor(self.data.astype(np.int64))

    def clone(self) -> Tensor:
        return self * 1 if self.requires_grad else Tensor(self.data.copy())

    # ----------------------------------------------------------------- arithmetic
    def _operand(self, other: Any) -> Tensor | np.ndarray:
        if isinstance(other, Tensor):
            return other
        array = np.asarray(other)
        if array.dtype.kind in "biuf" and array.ndim == 0 and self.dtype.kind == "f":
            return array.astype(self.dtype)
        return array

    def __add__(self, other: Any) -> Tensor:
        return ew.Add.apply(self, self._operand(other))

    def __radd__(self, other: Any) -> Tensor:
        return ew.Add.apply(self._operand(other), self)

    def __sub__(self, other: Any) -> Tensor:
        return ew.Sub.apply(self, self._operand(other))

    def __rsub__(self, other: Any) -> Tensor:
        return ew.Sub.apply(self._operand(other), self)

    def __mul__(self, other: Any) -> Tensor:
        return ew.Mul.apply(self, self._operand(other))

    def __rmul__(self, other: Any) -> Tensor:
        return ew.Mul.apply(self._operand(other), self)

    def __truediv__(self, other: Any) -> Tensor:
        return ew.Div.apply(self, self._operand(other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return ew.Div.apply(self._operand(other), self)

    def __pow__(self, other: Any) -> Tensor:
        return ew.Pow.apply(self, self._operand(other))

    def __rpow__(self, other: Any) -> Tensor:
        return ew.Pow.apply(self._operand(other), self)

    def __matmul__(self, other: Any) -> Tensor:
        return matmul.MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul.MatMul.apply(other, self)

    def __neg__(self) -> Tensor:
        return ew.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

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

    # comparisons give boolean tensors with no gradient
    def _compare(self, other: Any, op: Any) -> Tensor:
        other_data = other.data if isinstance(other, Tensor) else other
        return Tensor(op(self.data, other_data))

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

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return bool(self.data)

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

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        return ew.Clamp.apply(self, min, max)

    clip = clamp

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """Put `value` where `mask` is true; those positions get no gradient."""
        mask_array = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        return ew.Where.apply(mask_array, np.asarray(value, dtype=self.dtype), self)

    # ----------------------------------------------------------------- reductions
    def sum(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
        return reduce.Sum.apply(self, dim, keepdim)

    def mean(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
        return reduce.Mean.apply(self, dim, keepdim)

    def max(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """Full max, or (values, indices) along `dim` as PyTorch returns them."""
        if dim is None:
            return reduce.Extreme.apply(self, True)
        return ValuesIndices(*reduce.ExtremeAlongDim.apply(self, dim, keepdim, True))

    def min(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """Full min, or (values, indices) along `dim` as PyTorch returns them."""
        if dim is None:
            return reduce.Extreme.apply(self, False)
        return ValuesIndices(*reduce.ExtremeAlongDim.apply(self, dim, keepdim, False))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        if dim is None:
            return Tensor(np.argmax(self.data))
        out = np.argmax(self.data, axis=dim)
        return Tensor(np.expand_dims(out, dim) if keepdim else out)

    def logsumexp(self, dim: int | tuple[int, ...], keepdim: bool = False) -> Tensor:
        return reduce.LogSumExp.apply(self, dim, keepdim)

    def softmax(self, dim: int) -> Tensor:
        return reduce.Softmax.apply(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        return reduce.LogSoftmax.apply(self, dim)

    def var(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False,
            unbiased: bool = True) -> Tensor:
        centered = self - self.mean(dim, keepdim=True)
        axes = reduce.normalize_dims(dim, self.ndim)
        count = int(np.prod([self.shape[i] for i in axes]))
        return (centered * centered).sum(dim, keepdim) / max(count - int(unbiased), 1)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape: Any) -> Tensor:
        target = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], Sequence) else shape
        return shape_ops_reshape(self, target)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        middle = int(np.prod(self.shape[start : end + 1]))
        return self.reshape(self.shape[:start] + (middle,) + self.shape[end + 1 :])

    def permute(self, *dims: Any) -> Tensor:
        order = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], Sequence) else dims
        return shape.Permute.apply(self, order)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        order = list(range(self.ndim))
        order[dim0], order[dim1] = order[dim1], order[dim0]
        return shape.Permute.apply(self, tuple(order))

    def squeeze(self, dim: int | None = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dim = dim % max(self.ndim, 1)
        if self.ndim == 0 or self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1 :])

    def unsqueeze(self, dim: int) -> Tensor:
        dim = dim % (self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def expand(self, *sizes: Any) -> Tensor:
        target = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], Sequence) else sizes
        return shape.Expand.apply(self, target)

    def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple:
        length = self.shape[dim]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            sizes = tuple(min(step, length - start) for start in range(0, length, step))
        else:
            sizes = tuple(split_size_or_sections)
            if sum(sizes) != length:
                raise ValueError(f"split sizes {sizes} do not add up to dim {dim}'s size {length}")
        out = shape.Split.apply(self, sizes, dim)
        return out if isinstance(out, tuple) else (out,)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        step = -(-self.shape[dim] // chunks)
        return self.split(step, dim)

    def __getitem__(self, index: Any) -> Tensor:
        return indexing.GetItem.apply(self, _index_of(index))

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def shape_ops_reshape(tensor: Tensor, target: tuple[int, ...]) -> Tensor:
    if target == tensor.shape:
        return tensor
    return shape.Reshape.apply(tensor, target)

