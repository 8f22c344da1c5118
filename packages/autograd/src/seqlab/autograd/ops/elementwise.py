"""Elementwise Functions. Broadcasting is undone by the engine, never here."""

from __future__ import annotations

import numpy as np

from seqlab.autograd.function import Context, Function


class Add(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return grad, grad


class Sub(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                              b if ctx.needs_input_grad[0] else None)
        return a * b

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, b = ctx.saved_tensors
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class Div(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # x / 0 and 0 / 0 give inf and nan without a warning, as in PyTorch (every forward
        # runs with NumPy's float warnings off: `float_warnings`)
        out = a / b
        # The quotient only for the divisor's gradient (a write into it is then allowed).
        ctx.save_for_backward(b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        b, out = ctx.saved_tensors
        grad_a = grad / b
        return (grad_a if ctx.needs_input_grad[0] else None,
                -grad_a * out if ctx.needs_input_grad[1] else None)


class Pow(Function):
    """a ** b for tensors a and b (b may be a broadcast scalar array)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = a**b  # inf and nan as PyTorch, without a warning (`float_warnings`)
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        # PyTorch's formulas, masks included (the engine silences NumPy's warnings).
        a, b = ctx.saved_tensors[:2]
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            # d/da = b * a**(b-1), taken as 0 where b == 0 (a**-1 would give 0 * inf at a = 0).
            grad_a = grad * b * a ** (b - 1)
            if np.ndim(b) or b == 0:
                grad_a = np.where(b == 0, 0, grad_a).astype(grad.dtype, copy=False)
        if ctx.needs_input_grad[1]:
            # d/db = a**b * log(a), taken as 0 where a == 0 and b >= 0 (0 * -inf); a = 0 with
            # b < 0 gives inf * -inf = -inf, and a < 0 gives nan, as in PyTorch.
            out = ctx.saved_tensors[2]
            grad_b = np.where((a == 0) & (b >= 0), 0, grad * out * np.log(a))
            grad_b = grad_b.astype(grad.dtype, copy=False)
        return grad_a, grad_b


class Maximum(Function):
    """Elementwise max of two tensors; at ties each input gets half the gradient."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, b = ctx.saved_tensors
        share_a = (a > b) + (a == b) * grad.dtype.type(0.5)
        return (grad * share_a if ctx.needs_input_grad[0] else None,
                grad * (1 - share_a) if ctx.needs_input_grad[1] else None)


class Minimum(Function):
    """Elementwise min of two tensors; at ties each input gets half the gradient."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        a, b = ctx.saved_tensors
        share_a = (a < b) + (a == b) * grad.dtype.type(0.5)
        return (grad * share_a if ctx.needs_input_grad[0] else None,
                grad * (1 - share_a) if ctx.needs_input_grad[1] else None)


class Neg(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return -a

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return -grad


class Exp(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (a,) = ctx.saved_tensors
        return grad / a


class Sqrt(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        return grad / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (a,) = ctx.saved_tensors
        return grad * np.sign(a)


class Tanh(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


def _exp_limit(dtype: np.dtype) -> np.ndarray:
    """Largest x with a finite exp(x) in `dtype`, as a 0-d array of that dtype."""
    limit = _EXP_LIMITS.get(dtype)
    if limit is None:
        # A hair below log(max): rounding the bound into `dtype` must not push exp past max.
        limit = float(np.log(np.finfo(dtype).max)) - 0.01
        limit = _EXP_LIMITS[dtype] = np.asarray(limit, dtype)
    return limit


_EXP_LIMITS: dict[np.dtype, np.ndarray] = {}


def stable_sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)) without overflow: exp's argument is capped where it would overflow,
    which only changes results already below the dtype's smallest normal number."""
    if a.dtype.kind != "f":
        a = a.astype(np.float32)
    out = np.negative(a, out=np.empty_like(a))  # out= keeps 0-d results arrays
    np.minimum(out, _exp_limit(a.dtype), out=out)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = stable_sigmoid(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Relu(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (out,) = ctx.saved_tensors
        # zero where out <= 0, so a NaN input passes its gradient through, as PyTorch's
        # (a multiply by the mask: np.where with a scalar is about 4x slower here)
        return grad * ~(out <= 0)


class Clamp(Function):
    """Clip to [low, high]; the gradient passes where the input was inside the range."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
        inside = np.ones(a.shape, dtype=bool)
        if low is not None:
            inside &= a >= low
        if high is not None:
            inside &= a <= high
        ctx.save_for_backward(inside)
        return np.clip(a, low, high).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (inside,) = ctx.saved_tensors
        return grad * inside, None, None


class Where(Function):
    """`condition ? a : b`; the condition gets no gradient."""

    @staticmethod
    def forward(ctx: Context, condition: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        condition = np.asarray(condition, dtype=bool)
        ctx.save_for_backward(condition)
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        (condition,) = ctx.saved_tensors
        zero = np.zeros((), dtype=grad.dtype)
        return (None,
                np.where(condition, grad, zero) if ctx.needs_input_grad[1] else None,
                np.where(condition, zero, grad) if ctx.needs_input_grad[2] else None)


class FloorDivide(Function):
    """`a // b` (floor of the quotient). Like PyTorch, it has no derivative: backward through
    it raises."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        integers = np.result_type(a, b).kind in "biu"
        if integers and not np.all(b):
            raise RuntimeError("ZeroDivisionError: integer floor division (//) by zero")
        return np.floor_divide(a, b)  # float x // 0: inf or nan, silently (`float_warnings`)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        raise RuntimeError(
            "the derivative of floor_divide (//) is not implemented (it is zero almost "
            "everywhere; PyTorch raises too): detach() its inputs, x.detach() // y"
        )


class Clone(Function):
    """A copy of the data that stays in the graph."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return a.copy()

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return grad


class Cast(Function):
    """Change dtype; the gradient is cast back to the input's dtype."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        ctx.source = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray):
        return grad.astype(ctx.source), None
