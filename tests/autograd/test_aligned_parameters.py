"""Every Parameter's data and every optimizer state array starts on a 64-byte cache line
(`seqlab.autograd.aligned`), wherever it is made: construction, init, `load_state_dict`,
checkpoints, `Module.to`/`double`/`float`, `Module.apply`, pickling and deepcopy, optimizer
steps and `Optimizer.load_state_dict`. Arrays given off a line are copied onto one with the same
bits, and the copy is the only buffer (its `base`, at most 63 bytes longer)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from seqlab.autograd import Tensor, aligned, optim
from seqlab.autograd.nn import Embedding, LayerNorm, Linear, Parameter
from seqlab.seqmodels import LanguageModel
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN

LINE = aligned.LINE_BYTES


def _starting_at(array: np.ndarray, offset: int) -> np.ndarray:
    """A C-contiguous copy of `array` starting `offset` bytes past a 64-byte line."""
    raw = np.empty(array.nbytes + 2 * LINE, np.uint8)
    start = -raw.ctypes.data % LINE + offset
    placed = raw[start:start + array.nbytes].view(array.dtype).reshape(array.shape)
    placed[...] = array
    assert placed.ctypes.data % LINE == offset
    return placed


def _assert_on_a_line(array: np.ndarray, what: str = "") -> None:
    assert array.flags.c_contiguous, what
    assert array.size == 0 or array.ctypes.data % LINE == 0, what  # (empty: nothing to read)
    # one buffer: the array's own, or its base's (an unpickled array's may be the pickle's
    # bytes), at most a line's worth more than the data
    base = array.base
    if isinstance(base, np.ndarray):
        assert base.base is None, what
    if base is not None:
        assert memoryview(base).nbytes < array.nbytes + LINE, what


def _models():
    return {
        "linear": Linear(7, 5),
        "embedding": Embedding(11, 6),
        "layer_norm": LayerNorm(6),
        "lstm": LSTM(5, 8, num_layers=2, generator=0),
        "gru": GRU(5, 8, bidirectional=True, generator=0),
        "rnn": RNN(5, 8, generator=0),
        "language_model": LanguageModel(13, 6, 8, 2, cell="lstm", generator=0),
    }


def _assert_parameters_on_a_line(model) -> None:
    for name, parameter in model.named_parameters():
        _assert_on_a_line(parameter.data, name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint8])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (3, 5), (4, 2, 3), (1000, 17)])
def test_helpers_give_c_contiguous_arrays_on_a_line(shape, dtype):
    for array in (aligned.empty(shape, dtype), aligned.zeros(shape, dtype),
                  aligned.full(shape, 3, dtype)):
        assert array.shape == shape and array.dtype == dtype
        _assert_on_a_line(array)
    assert not aligned.zeros(shape, dtype).any()
    assert (aligned.full(shape, 3, dtype) == 3).all()
    source = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    copied = aligned.copy(source)
    _assert_on_a_line(copied)
    assert copied.tobytes() == source.tobytes()


def test_on_line_keeps_an_array_on_a_line_and_copies_any_other():
    w = np.random.default_rng(0).standard_normal((64, 48)).astype(np.float32)
    on = _starting_at(w, 0)
    assert aligned.on_line(on) is on
    for given in (_starting_at(w, 16), _starting_at(w, 48), np.asfortranarray(w), on[:, :40]):
        result = aligned.on_line(given)
        assert result is not given
        _assert_on_a_line(result)
        assert np.array_equal(result, given) and result.dtype == given.dtype


@pytest.mark.parametrize("offset", [0, 16, 32, 48])
def test_a_parameter_copies_an_array_off_a_line_onto_one_with_the_same_bits(offset):
    w = np.random.default_rng(1).standard_normal((33, 17))
    given = _starting_at(w, offset)
    parameter = Parameter(given)
    assert parameter.data.ctypes.data % LINE == 0
    assert (parameter.data is given) == (offset == 0)  # an array on a line is shared
    assert parameter.data.tobytes() == w.tobytes()
    from_tensor = Parameter(Tensor(_starting_at(w, offset)))
    assert from_tensor.data.ctypes.data % LINE == 0 and from_tensor.requires_grad
    parameter.data = _starting_at(w * 2, 16)  # assigning `.data` later too
    _assert_on_a_line(parameter.data)
    assert np.array_equal(parameter.data, w * 2)


def test_a_parameter_of_a_strided_array_gets_a_c_contiguous_copy():
    w = np.arange(60.0).reshape(6, 10)
    for given in (w.T, w[:, ::2], np.asfortranarray(w)):
        parameter = Parameter(given)
        _assert_on_a_line(parameter.data)
        assert np.array_equal(parameter.data, given)


def test_in_place_updates_keep_the_parameters_array():
    parameter = Parameter(np.ones((8, 8), np.float32))
    before = parameter.data
    parameter.data -= 0.5
    parameter.data *= 2
    assert parameter.data is before and (before == 1).all()


@pytest.mark.parametrize("name", list(_models()))
def test_every_layer_makes_its_parameters_on_a_line(name):
    _assert_parameters_on_a_line(_models()[name])


@pytest.mark.parametrize("name", list(_models()))
def test_casts_keep_parameters_on_a_line(name):
    model = _models()[name]
    model.double()
    _assert_parameters_on_a_line(model)
    assert all(p.dtype == np.float64 for p in model.parameters())
    model.float()
    _assert_parameters_on_a_line(model)
    model.to(np.float64)
    _assert_parameters_on_a_line(model)


@pytest.mark.parametrize("name", list(_models()))
def test_load_state_dict_from_arrays_off_a_line_keeps_the_bits(name):
    model, other = _models()[name], _models()[name]
    rng = np.random.default_rng(2)
    state = {key: _starting_at(rng.standard_normal(value.shape).astype(value.dtype), 16)
             for key, value in model.state_dict().items()}
    other.load_state_dict(state)
    _assert_parameters_on_a_line(other)
    for key, value in other.state_dict().items():
        assert np.asarray(value).tobytes() == state[key].tobytes(), key


@pytest.mark.parametrize("name", list(_models()))
def test_pickle_and_deepcopy_keep_parameters_on_a_line_with_the_same_bits(name):
    model = _models()[name]
    for twin in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        _assert_parameters_on_a_line(twin)
        for (key, a), (_, b) in zip(model.named_parameters(), twin.named_parameters()):
            assert a.data.tobytes() == b.data.tobytes(), key
            assert type(b) is Parameter and b.requires_grad == a.requires_grad


def test_module_apply_that_assigns_weights_puts_them_on_a_line():
    model = _models()["language_model"]

    def reassign(module):
        for name, parameter in list(module._parameters.items()):
            if parameter is None:
                continue
            if name.startswith("weight"):
                setattr(module, name, Parameter(_starting_at(parameter.data * 0.5, 16)))
            else:
                parameter.data = _starting_at(parameter.data + 1, 48)

    model.apply(reassign)
    _assert_parameters_on_a_line(model)


def test_a_checkpoint_loads_onto_a_line(tmp_path):
    from seqlab.seqmodels.checkpoint import load_model, save_checkpoint

    model = _models()["language_model"]
    save_checkpoint(tmp_path / "model.safetensors", model)
    loaded, _ = load_model(tmp_path / "model.safetensors")
    _assert_parameters_on_a_line(loaded)
    for (key, a), (_, b) in zip(model.named_parameters(), loaded.named_parameters()):
        assert a.data.tobytes() == b.data.tobytes(), key


OPTIMIZERS = {
    "sgd_momentum": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "adam_amsgrad": lambda params: optim.Adam(params, lr=0.01, amsgrad=True),
    "adamw": lambda params: optim.AdamW(params, lr=0.01),
    "rmsprop_centered": lambda params: optim.RMSprop(params, lr=0.01, momentum=0.5,
                                                     centered=True),
    "adagrad": lambda params: optim.Adagrad(params, lr=0.1),
}


def _train_step(model, optimizer, x) -> float:
    optimizer.zero_grad()
    out, _ = model(x)
    loss = (out * out).mean()
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_state_starts_on_a_line_and_survives_a_round_trip(name):
    model = LSTM(5, 8, num_layers=2, generator=0)
    optimizer = OPTIMIZERS[name](model.parameters())
    x = Tensor(np.random.default_rng(3).standard_normal((6, 2, 5)).astype(np.float32))
    _train_step(model, optimizer, x)
    arrays = [(key, value) for state in optimizer.state.values()
              for key, value in state.items() if isinstance(value, np.ndarray)]
    assert arrays
    for key, value in arrays:
        _assert_on_a_line(value, key)
    saved = optimizer.state_dict()
    for state in saved["state"].values():  # as a checkpoint's reader might hand them back
        for key, value in state.items():
            if isinstance(value, np.ndarray) and value.ndim:
                state[key] = _starting_at(value, 16)
    restored = OPTIMIZERS[name](model.parameters())
    restored.load_state_dict(saved)
    for state in restored.state.values():
        for key, value in state.items():
            if isinstance(value, np.ndarray) and value.ndim:
                _assert_on_a_line(value, key)


@pytest.mark.parametrize("name", ["sgd_momentum", "adam_amsgrad"])
def test_training_from_weights_off_a_line_gives_the_same_bits(name):
    """Values, gradients and updates do not depend on where the given arrays started."""
    x = Tensor(np.random.default_rng(4).standard_normal((12, 1, 5)).astype(np.float32))
    state = LSTM(5, 8, num_layers=2, generator=0).state_dict()
    runs = []
    for offset in (0, 16):
        model = LSTM(5, 8, num_layers=2, generator=1)
        model.load_state_dict({key: _starting_at(np.asarray(value), offset)
                               for key, value in state.items()})
        optimizer = OPTIMIZERS[name](model.parameters())
        losses = [_train_step(model, optimizer, x) for _ in range(3)]
        grads = [p.grad.tobytes() for p in model.parameters()]
        weights = [p.data.tobytes() for p in model.parameters()]
        runs.append((losses, grads, weights))
    assert runs[0] == runs[1]
