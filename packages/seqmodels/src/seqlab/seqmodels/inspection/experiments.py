"""The vanishing / exploding gradient lesson as measurements on real language models.

`decay_curve` measures how ||dL/dh_k|| of a loss at the last step falls back through time;
`compare_cells` builds a small char LM of each cell, measures it, trains it for a fixed number
of steps and measures it again; `exploding` scales a recurrent weight up and measures what
clipping by norm does to one update. Nothing is asserted from theory: the numbers are whatever
the models give.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqlab.autograd import Tensor, no_grad
from seqlab.autograd.nn.functional import cross_entropy
from seqlab.autograd.nn.utils import clip_grad_norm_
from seqlab.autograd.optim import Adam
from seqlab.seqmodels.data import TokenStreams
from seqlab.seqmodels.inspection.gradient_flow import language_model_flow
from seqlab.seqmodels.inspection.kinds import kind_of
from seqlab.seqmodels.language_model import LanguageModel
from seqlab.seqmodels.trainer import Callback, Trainer

VANISHED = 1e-6  # "vanished": below this fraction of the gradient's norm at the last step


def steps_until_below(norms_back: list[float], ratio: float = VANISHED) -> int | None:
    """The first k (steps back from the last) where norms_back[k] < ratio * norms_back[0];
    None when it never does within the window."""
    if not norms_back or not norms_back[0] > 0:
        return None
    limit = ratio * norms_back[0]
    return next((k for k, value in enumerate(norms_back) if value < limit), None)


@dataclass
class DecayCurve:
    """||dL/dh_k|| of one layer (the top unless asked) from the last step (index 0) back to
    the first, the spectral norms of the step-Jacobian products over the same steps, and the
    norm of each step's share of dL/dW_hh (None where not measured)."""

    norms: list[float]
    jacobian_norms: list[float] | None
    loss: float
    weight_hh_norms: list[float] | None = None  # each step's share of dL/dW_hh, same order

    @property
    def vanished_at(self) -> int | None:
        """Steps back until the norm is below VANISHED of its value at the last step."""
        return steps_until_below(self.norms)


def decay_curve(model: LanguageModel, token_ids: Any, layer: int = -1) -> DecayCurve:
    """The gradient of the cross-entropy at the last step of `token_ids` with respect to
    `layer`'s hidden states (default: the top layer's), back through time."""
    layers = model.rnn.num_layers
    if not -layers <= layer < layers:
        raise ValueError(f"layer must lie in [-{layers}, {layers}) for a {layers}-layer "
                         f"model, got {layer}")
    flow = language_model_flow(model, token_ids)
    top = flow.layers[layer]
    jacobian = None if top.jacobian_norms is None else \
        [float(value) for value in top.jacobian_norms[0][::-1]]
    weights = None if top.weight_hh_norms is None else \
        [float(value) for value in top.weight_hh_norms[0][::-1]]
    return DecayCurve(flow.norms_back(layer), jacobian, flow.loss, weights)


@dataclass
class CellExperiment:
    """One cell: its curve before and after `steps` training steps, and the training loss."""

    cell: str
    initial: DecayCurve
    trained: DecayCurve
    steps: int
    losses: list[float] = field(default_factory=list)
    model: LanguageModel | None = field(default=None, repr=False)  # the trained model


class _Losses(Callback):
    def __init__(self) -> None:
        self.values: list[float] = []

    def on_step(self, metrics: dict[str, Any]) -> None:
        self.values.append(float(metrics["loss"]))


def small_language_model(cell: str, vocab_size: int, seed: int = 0, hidden_size: int = 64,
                         embedding_dim: int = 16) -> LanguageModel:
    """The small char-level model the experiments use."""
    return LanguageModel(vocab_size, embedding_dim, hidden_size, cell=cell, generator=seed)


def train_language_model(model: LanguageModel, token_ids: Any, steps: int, *,
                         batch_size: int = 16, seq_len: int = 32, lr: float = 3e-3,
                         clip_norm: float = 1.0) -> list[float]:
    """`steps` Adam steps of truncated BPTT over `token_ids`; returns the training losses."""
    if steps <= 0:
        return []
    losses = _Losses()
    data = TokenStreams(np.asarray(token_ids), batch_size, seq_len)
    trainer = Trainer(model, Adam(model.parameters(), lr=lr), data, clip_norm=clip_norm,
                      max_steps=steps, callbacks=[losses])
    trainer.fit()
    model.eval()
    return losses.values


def compare_cells(cells: list[str], train_ids: Any, probe_ids: Any, vocab_size: int,
                  steps: int, seed: int = 0, **model_options: Any) -> list[CellExperiment]:
    """For each cell: build a small LM, measure the decay on `probe_ids`, train it `steps`
    steps on `train_ids`, measure again."""
    results = []
    for cell in cells:
        model = small_language_model(cell, vocab_size, seed, **model_options)
        model.eval()
        initial = decay_curve(model, probe_ids)
        losses = train_language_model(model, train_ids, steps)
        results.append(CellExperiment(cell, initial, decay_curve(model, probe_ids), steps,
                                      losses, model))
    return results


@dataclass
class ExplodingResult:
    """A model whose recurrent weights were multiplied by `scale`, and one SGD update of its
    mean cross-entropy on a text with and without clipping the gradient to `max_norm`."""

    scale: float
    # largest |eigenvalue| of the scaled W_hh of layer 0; for LSTM / GRU, whose W_hh stacks one
    # H x H block per gate, the largest over those blocks (see `block_spectral_radii`)
    spectral_radius: float
    curve: DecayCurve
    grad_norm: float
    max_norm: float
    lr: float
    update_norm: float
    clipped_update_norm: float
    loss_before: float
    loss_after: float
    loss_after_clipped: float
    # largest |eigenvalue| of each H x H block of the scaled W_hh of layer 0, by gate name
    # (LSTM i, f, g, o; GRU r, z, n; "h" for a plain RNN, whose W_hh is one block)
    block_spectral_radii: dict[str, float] = field(default_factory=dict)


def block_spectral_radii(w_hh: np.ndarray, gate_names: tuple[str, ...]) -> dict[str, float]:
    """Largest |eigenvalue| of each square H x H block of a recurrent weight, by gate name.

    A plain RNN's W_hh is (H, H): one block, named "h". An LSTM's is (4H, H) and a GRU's (3H, H),
    gate rows stacked as PyTorch does, so each gate's recurrent matrix is one H x H block; each
    is the linear map from h_{t-1} into that gate's pre-activation, and the largest of them is
    what "the spectral radius of W_hh" means for the gated cells.
    """
    hidden = w_hh.shape[1]
    names = gate_names or ("h",)
    if w_hh.shape[0] != hidden * len(names):
        raise ValueError(f"W_hh of shape {w_hh.shape} does not hold {len(names)} blocks of "
                         f"{hidden} x {hidden}")
    blocks = np.asarray(w_hh, np.float64).reshape(len(names), hidden, hidden)
    return {name: float(np.abs(np.linalg.eigvals(block)).max())
            for name, block in zip(names, blocks, strict=True)}


def _mean_loss(model: LanguageModel, inputs: np.ndarray, targets: np.ndarray) -> Tensor:
    logits, _ = model(inputs[:, None], None)
    return cross_entropy(logits.reshape(-1, logits.shape[-1]), targets)


def _copy(model: LanguageModel) -> LanguageModel:
    twin = LanguageModel.from_config(model.config)
    twin.load_state_dict(model.state_dict())
    twin.eval()
    return twin


def _loss_after_update(model: LanguageModel, grads: list[np.ndarray], step_size: float,
                       inputs: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
    """(update norm, loss) after theta -= step_size * grads on a copy of the model."""
    twin = _copy(model)
    update_sq = 0.0
    for parameter, grad in zip(twin.parameters(), grads, strict=True):
        update = step_size * grad
        update_sq += float((update.astype(np.float64) ** 2).sum())
        parameter.data = parameter.data - update.astype(parameter.data.dtype)
    with no_grad():
        loss = float(_mean_loss(twin, inputs, targets).item())
    return math.sqrt(update_sq), loss


def exploding(model: LanguageModel, token_ids: Any, scale: float = 4.0, max_norm: float = 1.0,
              lr: float = 0.1, layer: int = -1) -> ExplodingResult:
    """Multiply every W_hh of a copy of `model` by `scale`, measure the decay curve of `layer`
    (now a growth curve where the scaled Jacobians exceed 1) and one SGD step on the text's
    mean cross-entropy, unclipped and clipped by norm to `max_norm`."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is what is measured here
        return _exploding(model, token_ids, scale, max_norm, lr, layer)


def _exploding(model, token_ids, scale, max_norm, lr, layer) -> ExplodingResult:
    scaled = _copy(model)
    for index in range(scaled.rnn.num_layers):
        w_hh = scaled.rnn.layer_weights(index, 0)[1]
        w_hh.data = w_hh.data * np.asarray(scale, w_hh.data.dtype)
    radii = block_spectral_radii(scaled.rnn.layer_weights(0, 0)[1].data,
                                 kind_of(scaled.rnn).gate_names)
    radius = max(radii.values())
    curve = decay_curve(scaled, token_ids, layer)
    ids = np.asarray(token_ids)
    inputs, targets = ids[:-1], ids[1:]
    loss = _mean_loss(scaled, inputs, targets)
    scaled.zero_grad()
    loss.backward()
    parameters = list(scaled.parameters())
    grads = [np.zeros_like(p.data) if p.grad is None else p.grad.copy() for p in parameters]
    grad_norm = clip_grad_norm_(parameters, max_norm)  # scales .grad in place
    clipped = [np.zeros_like(p.data) if p.grad is None else p.grad.copy() for p in parameters]
    update_norm, loss_after = _loss_after_update(scaled, grads, lr, inputs, targets)
    clipped_norm, loss_after_clipped = _loss_after_update(scaled, clipped, lr, inputs, targets)
    return ExplodingResult(scale, radius, curve, float(grad_norm), max_norm, lr, update_norm,
                           clipped_norm, float(loss.item()), loss_after, loss_after_clipped,
                           radii)
