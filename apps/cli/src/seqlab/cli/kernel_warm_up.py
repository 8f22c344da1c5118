"""One training step's kernels, called before a run's clock starts.

Numba compiles (or loads from its cache) a kernel the first time a process calls it, and which
kernels a step calls depends on the batch's shape, the thread count and the training mode (a
batch split over threads takes the rows kernels, dropout stops the embedding table read, ...).
`warm_up_step` therefore runs the step the Trainer will run (any head: language model,
classifier, regressor, seq2seq), on the run's own first batch and in train mode, plus one
validation chunk in eval mode and one optimizer update, and leaves the model, its dropout
generator, the optimizer and the data where they were: a `--time-budget` measures training,
not compilation. `warm_up_run` is what every training command calls
(through `training.run_trainer`): the warm-up with the "Compiling Numba kernels" status line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from seqlab.autograd import no_grad
from seqlab.autograd.nn.parameter import Parameter
from seqlab.autograd.nn.utils import clip_grad_norm_, clip_grad_value_

if TYPE_CHECKING:
    from seqlab.cli.console import Output

WARM_UP_LR = 1e-3  # the throwaway update's rate: any finite float calls the same kernel


def warm_up_run(trainer: Any, output: Output) -> None:
    """Compile (or load) every kernel of `trainer`'s step before its bar and --time-budget
    clock start, showing the status line when Numba has to compile."""
    from seqlab.cli.numba_status import compile_while_showing

    compile_while_showing(output, lambda: warm_up_step(trainer))


def warm_up_step(trainer: Any) -> None:
    """Call every kernel `trainer.train_step()` and `trainer.evaluate()` will call, changing no
    weight, gradient, optimizer state, data position or random state of the run."""
    model = trainer.model
    generator = getattr(model, "generator", None)
    saved_random = generator.bit_generator.state if generator is not None else None
    was_training = model.training
    try:
        model.train()
        batch = _first_batch(trainer.train_data)
        loss, _, _ = model.training_loss(batch, None)
        loss.backward()
        if trainer.clip_norm is not None:
            clip_grad_norm_(trainer.parameters, trainer.clip_norm)
        elif trainer.clip_value is not None:
            clip_grad_value_(trainer.parameters, trainer.clip_value)
        model.zero_grad()
        _warm_up_optimizer(trainer.optimizer, trainer.parameters)
        if trainer.valid_data is not None and len(trainer.valid_data):
            model.eval()
            # twice: a second no-grad call compares the weights' bits with the panels the
            # first one kept
            with no_grad():
                chunk = next(iter(trainer.valid_data.batches()))
                model.evaluation_metrics([chunk])
                model.evaluation_metrics([chunk])
    finally:
        model.zero_grad()
        model.train(was_training)
        if saved_random is not None:
            generator.bit_generator.state = saved_random


def _first_batch(data: Any) -> Any:
    """The batch the run will train on first, leaving `data` where it was: a token stream reads
    it without moving (`chunk`); a shuffled example source is read and put back with its
    `state_dict` (position and shuffling generator), as a resumed run restores it."""
    if hasattr(data, "chunk"):
        return data.chunk(data.position)
    state = data.state_dict()
    batch, _ = data.next_batch()
    data.load_state_dict(state)
    return batch


def _warm_up_optimizer(optimizer: Any, parameters: list[Any]) -> None:
    """One update of a throwaway optimizer of the run's kind over a small parameter of each
    dtype the run trains (its kernel's types depend on the dtype, not on the size, nor on the
    learning rate: a fixed small one, so a huge --lr overflows nothing here)."""
    if optimizer is None:
        return
    dtypes = {parameter.data.dtype for parameter in parameters}
    stand_ins = []
    for dtype in sorted(dtypes, key=str):
        stand_in = Parameter(np.zeros(8, dtype))
        stand_in.grad = np.ones(8, dtype)
        stand_ins.append(stand_in)
    if stand_ins:
        type(optimizer)(stand_ins, lr=WARM_UP_LR).step()
