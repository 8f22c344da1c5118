"""seqmodels.rows_hh_grad.shifted_share: the shifted h_prev rows laid out share by share equal
the whole layout (`around_products.recurrent_weight_grad`'s), forward and reverse, for shares
that cut a step anywhere (plain NumPy: runs with and without the JIT)."""

import numpy as np
import pytest

from seqlab.seqmodels.rows_hh_grad import shifted_share


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_shares_lay_out_the_whole_shifted_rows(reverse, parts):
    steps, batch, hidden = 5, 3, 4
    rng = np.random.default_rng(parts)
    out = rng.standard_normal((steps, batch, hidden))
    h0 = rng.standard_normal((batch, hidden))
    later = out[1:] if reverse else out[:-1]
    expected = np.concatenate([later, h0[None]] if reverse else [h0[None], later])
    rows = np.full((steps * batch, hidden), np.nan)
    total = steps * batch
    for part in range(parts):
        shifted_share(rows, out.reshape(total, hidden), h0, batch, reverse,
                      total * part // parts, total * (part + 1) // parts)
    np.testing.assert_array_equal(rows, expected.reshape(total, hidden))
