"""Plain-NumPy LSTM / GRU / RNN layers written straight from the equations, with explicit BPTT.

These are the references the fused kernels are tested against: one time step at a time over the
whole batch, no precomputed projections, padding handled with masks. Conventions are PyTorch's
(LSTM rows [i, f, g, o]; GRU rows [r, z, n] with the reset gate applied to W_hn h + b_hn).
Each `*_reference` returns (out, final states..., grads(d_out, d_final...)) where grads is a
function returning (dx, d_state0..., dw_ih, dw_hh, db_ih, db_hh); a missing bias gives None.
"""

import numpy as np


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _step_times(lengths, step, reverse):
    """Time index each sequence reads at `step`, and whether that step is inside the sequence."""
    valid = step < lengths
    times = lengths - 1 - step if reverse else np.full_like(lengths, step)
    return np.where(valid, times, 0), valid


def _bias_or_zero(bias, size, dtype):
    return np.zeros(size, dtype) if bias is None else bias


def lstm_reference(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
    """LSTM layer forward; return out, h_n, c_n and a function computing all gradients."""
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    rows = np.arange(batch)
    b = _bias_or_zero(b_ih, 4 * hidden, x.dtype) + _bias_or_zero(b_hh, 4 * hidden, x.dtype)
    h, c = h0.copy(), c0.copy()
    out = np.zeros((steps, batch, hidden), x.dtype)
    tape = []
    for step in range(steps):
        times, valid = _step_times(lengths, step, reverse)
        x_step = x[times, rows]
        a = x_step @ w_ih.T + h @ w_hh.T + b
        i = _sigmoid(a[:, :hidden])
        f = _sigmoid(a[:, hidden : 2 * hidden])
        g = np.tanh(a[:, 2 * hidden : 3 * hidden])
        o = _sigmoid(a[:, 3 * hidden :])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        tape.append((times, valid, x_step, h, c, i, f, g, o, c_new))
        out[times[valid], rows[valid]] = h_new[valid]
        h = np.where(valid[:, None], h_new, h)
        c = np.where(valid[:, None], c_new, c)

    def grads(d_out, d_hn, d_cn):
        dx = np.zeros_like(x)
        dw_ih, dw_hh = np.zeros_like(w_ih), np.zeros_like(w_hh)
        db = np.zeros(4 * hidden, x.dtype)
        dh, dc = d_hn.copy(), d_cn.copy()
        for times, valid, x_step, h_prev, c_prev, i, f, g, o, c_new in reversed(tape):
            mask = valid[:, None]
            dh_total = dh + np.where(mask, d_out[times, rows], 0.0)
            tanh_c = np.tanh(c_new)
            dc_total = dc + dh_total * o * (1.0 - tanh_c**2)
            da = np.concatenate(
                [
                    dc_total * g * i * (1.0 - i),
                    dc_total * c_prev * f * (1.0 - f),
                    dc_total * i * (1.0 - g**2),
                    dh_total * tanh_c * o * (1.0 - o),
                ],
                axis=1,
            )
            da = np.where(mask, da, 0.0)
            dw_ih += da.T @ x_step
            dw_hh += da.T @ h_prev
            db += da.sum(axis=0)
            dx[times[valid], rows[valid]] += (da @ w_ih)[valid]
            dh = np.where(mask, da @ w_hh, dh)
            dc = np.where(mask, dc_total * f, dc)
        db_ih = None if b_ih is None else db
        db_hh = None if b_hh is None else db.copy()
        return dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh

    return out, h, c, grads


def gru_reference(x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
    """GRU layer forward; return out, h_n and a function computing all gradients."""
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    rows = np.arange(batch)
    bi = _bias_or_zero(b_ih, 3 * hidden, x.dtype)
    bh = _bias_or_zero(b_hh, 3 * hidden, x.dtype)
    h = h0.copy()
    out = np.zeros((steps, batch, hidden), x.dtype)
    tape = []
    for step in range(steps):
        times, valid = _step_times(lengths, step, reverse)
        x_step = x[times, rows]
        gi = x_step @ w_ih.T + bi
        gh = h @ w_hh.T + bh
        r = _sigmoid(gi[:, :hidden] + gh[:, :hidden])
        z = _sigmoid(gi[:, hidden : 2 * hidden] + gh[:, hidden : 2 * hidden])
        gh_n = gh[:, 2 * hidden :]
        n = np.tanh(gi[:, 2 * hidden :] + r * gh_n)
        h_new = (1.0 - z) * n + z * h
        tape.append((times, valid, x_step, h, r, z, n, gh_n))
        out[times[valid], rows[valid]] = h_new[valid]
        h = np.where(valid[:, None], h_new, h)

    def grads(d_out, d_hn):
        dx = np.zeros_like(x)
        dw_ih, dw_hh = np.zeros_like(w_ih), np.zeros_like(w_hh)
        dbi, dbh = np.zeros(3 * hidden, x.dtype), np.zeros(3 * hidden, x.dtype)
        dh = d_hn.copy()
        for times, valid, x_step, h_prev, r, z, n, gh_n in reversed(tape):
            mask = valid[:, None]
            dh_total = dh + np.where(mask, d_out[times, rows], 0.0)
            dn_pre = dh_total * (1.0 - z) * (1.0 - n**2)
            dr_pre = dn_pre * gh_n * r * (1.0 - r)
            dz_pre = dh_total * (h_prev - n) * z * (1.0 - z)
            d_gi = np.where(mask, np.concatenate([dr_pre, dz_pre, dn_pre], axis=1), 0.0)
            d_gh = np.where(mask, np.concatenate([dr_pre, dz_pre, dn_pre * r], axis=1), 0.0)
            dw_ih += d_gi.T @ x_step
            dw_hh += d_gh.T @ h_prev
            dbi += d_gi.sum(axis=0)
            dbh += d_gh.sum(axis=0)
            dx[times[valid], rows[valid]] += (d_gi @ w_ih)[valid]
            dh = np.where(mask, dh_total * z + d_gh @ w_hh, dh)
        db_ih = None if b_ih is None else dbi
        db_hh = None if b_hh is None else dbh
        return dx, dh, dw_ih, dw_hh, db_ih, db_hh

    return out, h, grads


def rnn_reference(x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse, nonlinearity="tanh"):
    """Elman RNN layer forward (tanh or relu); return out, h_n and a gradient function."""
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    rows = np.arange(batch)
    b = _bias_or_zero(b_ih, hidden, x.dtype) + _bias_or_zero(b_hh, hidden, x.dtype)
    h = h0.copy()
    out = np.zeros((steps, batch, hidden), x.dtype)
    tape = []
    for step in range(steps):
        times, valid = _step_times(lengths, step, reverse)
        x_step = x[times, rows]
        a = x_step @ w_ih.T + h @ w_hh.T + b
        if nonlinearity == "relu":
            h_new, slope = np.maximum(a, 0.0), (a > 0).astype(x.dtype)
        else:
            h_new = np.tanh(a)
            slope = 1.0 - h_new**2
        tape.append((times, valid, x_step, h, slope))
        out[times[valid], rows[valid]] = h_new[valid]
        h = np.where(valid[:, None], h_new, h)

    def grads(d_out, d_hn):
        dx = np.zeros_like(x)
        dw_ih, dw_hh = np.zeros_like(w_ih), np.zeros_like(w_hh)
        db = np.zeros(hidden, x.dtype)
        dh = d_hn.copy()
        for times, valid, x_step, h_prev, slope in reversed(tape):
            mask = valid[:, None]
            dh_total = dh + np.where(mask, d_out[times, rows], 0.0)
            da = np.where(mask, dh_total * slope, 0.0)
            dw_ih += da.T @ x_step
            dw_hh += da.T @ h_prev
            db += da.sum(axis=0)
            dx[times[valid], rows[valid]] += (da @ w_ih)[valid]
            dh = np.where(mask, da @ w_hh, dh)
        db_ih = None if b_ih is None else db
        db_hh = None if b_hh is None else db.copy()
        return dx, dh, dw_ih, dw_hh, db_ih, db_hh

    return out, h, grads
