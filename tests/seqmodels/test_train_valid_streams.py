"""`train_valid_streams`: the held-out tail of a token array, laid into streams."""

import numpy as np
import pytest

from seqlab.seqmodels.data import TooFewTokensError, train_valid_streams


def test_the_last_fraction_is_held_out_and_both_parts_keep_their_order():
    tokens = np.arange(1000, dtype=np.uint16)
    train, valid = train_valid_streams(tokens, 0.1, 4, 8)
    # stream j is the j-th contiguous slice; read back stream by stream it is the text again
    assert np.array_equal(train.grid.T.reshape(-1), np.arange(900))
    assert valid.batch_size == 4 and np.array_equal(valid.grid.T.reshape(-1), np.arange(900, 1000))
    assert train.grid.dtype == np.uint16  # no copy into int64


def test_a_short_tail_gets_fewer_streams_or_none():
    tokens = np.arange(1000)
    _, valid = train_valid_streams(tokens, 0.01, 4, 8)  # 10 tokens: one stream of 10
    assert valid.batch_size == 1 and valid.steps_per_stream == 10
    _, none = train_valid_streams(tokens, 0.003, 4, 8)  # 3 tokens: not one input and target
    assert none is None
    train, nothing = train_valid_streams(tokens, 0.0, 4, 8)
    assert nothing is None and train.tokens_per_epoch > 0


def test_too_few_tokens_for_one_batch():
    with pytest.raises(TooFewTokensError) as raised:
        train_valid_streams(np.arange(9), 0.1, 4, 8)
    assert (raised.value.tokens, raised.value.needed) == (9, 10)
