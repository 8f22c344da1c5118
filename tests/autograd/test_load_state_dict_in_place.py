"""`load_state_dict` copies into each parameter's array, as PyTorch's `param.copy_`: views taken
before (`detach()`, `.numpy()`, an earlier `state_dict()`'s entries) see the loaded values, and a
no-grad call's kept panels and tables (compared bit for bit) follow the copy."""

import numpy as np

import seqlab.autograd as ag
from seqlab.autograd import aligned, nn
from seqlab.seqmodels import LanguageModel


def test_views_taken_before_see_the_loaded_values():
    linear = nn.Linear(3, 2, generator=0)
    view, array = linear.weight.detach(), linear.weight.detach().numpy()
    held = linear.state_dict()
    weight_before = linear.weight.data
    new = {key: np.full_like(value, 7.0) for key, value in linear.state_dict().items()}
    linear.load_state_dict(new)
    assert linear.weight.data is weight_before
    for seen in (view.data, array, held["weight"], held["bias"]):
        assert np.all(seen == 7.0)
    assert aligned.is_on_line(linear.weight.data)
    new["weight"][0, 0] = 8.0  # the loaded state stays the caller's own
    assert linear.weight.data[0, 0] == 7.0


def test_a_float64_state_is_cast_into_the_float32_parameter():
    linear = nn.Linear(3, 2, generator=0)
    weight_before = linear.weight.data
    linear.load_state_dict({"weight": np.ones((2, 3)), "bias": np.ones(2)})
    assert linear.weight.data is weight_before and linear.weight.dtype == np.float32
    assert np.all(linear.weight.data == 1.0)


def test_a_read_only_parameter_array_is_replaced():
    linear = nn.Linear(3, 2, generator=0)
    linear.weight.data.flags.writeable = False
    linear.load_state_dict({"weight": np.ones((2, 3)), "bias": np.ones(2)})
    assert np.all(linear.weight.data == 1.0)


def test_weights_loaded_between_no_grad_calls_give_the_loaded_models_output():
    def model(seed):
        return LanguageModel(vocab_size=12, embedding_dim=16, hidden_size=64, num_layers=2,
                             generator=seed).eval()

    ids = np.random.default_rng(0).integers(0, 12, size=(20, 32))
    served, fresh = model(1), model(2)
    with ag.no_grad():
        for batch in (1, 32):
            served(ids[:, :batch])  # builds its kept tables and panels
        served.load_state_dict(fresh.state_dict())
        for batch in (1, 32):
            np.testing.assert_array_equal(served(ids[:, :batch])[0].data,
                                          fresh(ids[:, :batch])[0].data)
