"""Loss modules: thin wrappers around `nn.functional`, as `torch.nn.CrossEntropyLoss` etc."""

from __future__ import annotations

from typing import Any

from seqlab.autograd.nn import functional
from seqlab.autograd.nn.module import Module
from seqlab.autograd.tensor import Tensor


class CrossEntropyLoss(Module):
    """`functional.cross_entropy` with its options fixed at construction."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.weight, self.ignore_index = weight, ignore_index
        self.reduction, self.label_smoothing = reduction, label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return functional.cross_entropy(input, target, self.weight, self.ignore_index,
                                        self.reduction, self.label_smoothing)


class NLLLoss(Module):
    """`functional.nll_loss` with its options fixed at construction."""

    def __init__(self, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return functional.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class MSELoss(Module):
    """`functional.mse_loss` with its reduction fixed at construction."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return functional.mse_loss(input, target, self.reduction)


class BCEWithLogitsLoss(Module):
    """`functional.binary_cross_entropy_with_logits` with its options fixed at construction."""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__()
        self.weight, self.reduction, self.pos_weight = weight, reduction, pos_weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return functional.binary_cross_entropy_with_logits(input, target, self.weight,
                                                           self.reduction, self.pos_weight)


class L1Loss(Module):
    """`functional.l1_loss` with its reduction fixed at construction."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return functional.l1_loss(input, target, self.reduction)


class SmoothL1Loss(Module):
    """`functional.smooth_l1_loss` with reduction and beta fixed at construction."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__()
        self.reduction, self.beta = reduction, beta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return functional.smooth_l1_loss(input, target, self.reduction, self.beta)


class HuberLoss(Module):
    """`functional.huber_loss` with reduction and delta fixed at construction."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__()
        self.reduction, self.delta = reduction, delta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return functional.huber_loss(input, target, self.reduction, self.delta)


class BCELoss(Module):
    """`functional.binary_cross_entropy` (on probabilities) with its options fixed."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__()
        self.weight, self.reduction = weight, reduction

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return functional.binary_cross_entropy(input, target, self.weight, self.reduction)
