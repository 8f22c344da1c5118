"""seqlab's own threads: the spinning barrier, LSTM time loops split by hidden unit, and GEMMs
split by rows, each against the one-thread result; and `set_num_threads`."""

import itertools
import os
import subprocess
import sys
import threading

import numba
import numpy as np
import pytest
from numba import njit

from seqlab.autograd import Tensor
from seqlab.autograd import threads as thread_team
from seqlab.autograd.kernels import recurrent_reference as reference
from seqlab.autograd.kernels.spin_barrier import arrive_and_wait, new_flags
from seqlab.autograd.kernels.unit_blocks import gate_rows, line_aligned, max_parts, unit_block
from seqlab.autograd.nn import Module
from seqlab.seqmodels import recurrent_ops as ops


@njit(nogil=True)
def _exchange(flags, slots, part, steps):
    """Each step: write this part's slot, meet, check the other part's slot holds this step."""
    for step in range(steps):
        slots[part] = step
        arrive_and_wait(flags, part, 2, 2 * step + 1)
        if slots[1 - part] != step:
            return step + 1  # saw a stale or future value: the barrier let it through early
        arrive_and_wait(flags, part, 2, 2 * step + 2)
    return 0


@pytest.mark.kernels
def test_spin_barrier_keeps_two_threads_in_step():
    flags, slots, steps = new_flags(2), np.full(2, -1, np.int64), 300
    results = [None, None]
    other = threading.Thread(target=lambda: results.__setitem__(1, _exchange(flags, slots, 1,
                                                                             steps)))
    other.start()
    results[0] = _exchange(flags, slots, 0, steps)
    other.join()
    assert results == [0, 0]


@pytest.mark.parametrize("hidden, parts", [(64, 2), (40, 2), (80, 3), (16, 1), (130, 4)])
def test_unit_blocks_tile_the_hidden_units(hidden, parts):
    assert parts <= max_parts(hidden)
    blocks = [unit_block(hidden, part, parts) for part in range(parts)]
    assert blocks[0][0] == 0 and blocks[-1][1] == hidden
    for (_, stop), (start, _) in itertools.pairwise(blocks):
        assert stop == start and start % 16 == 0
    assert all(stop > start for start, stop in blocks)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_line_aligned_arrays_start_on_a_cache_line(dtype):
    for shape in [(3, 5), (2, 32, 128), (0, 7)]:
        for _ in range(20):  # whatever offset malloc happens to give
            array = line_aligned(shape, dtype)
            assert array.shape == shape and array.dtype == dtype
            assert array.flags.c_contiguous and array.flags.writeable
            assert array.ctypes.data % 64 == 0 or array.size == 0
    source = np.arange(15).reshape(3, 5).astype(dtype)
    np.testing.assert_array_equal(line_aligned((3, 5), dtype, source), source)
    assert (line_aligned((4, 2), dtype, 0) == 0).all()


def test_gate_rows_takes_each_gates_rows_for_the_units():
    weight = np.arange(4 * 6 * 2).reshape(24, 2)
    rows = gate_rows(weight, 4, 2, 5)
    expected = np.concatenate([weight[g * 6 + 2:g * 6 + 5] for g in range(4)])
    np.testing.assert_array_equal(rows, expected)
    assert rows.flags.c_contiguous


def _lstm_case(dtype, steps=5, batch=3, hidden=40, seed=0):
    rng = np.random.default_rng(seed)

    def draw(*shape):
        return (0.5 * rng.standard_normal(shape)).astype(dtype)

    return draw(steps, batch, 4 * hidden), draw(batch, hidden), draw(batch, hidden), \
        draw(4 * hidden, hidden), draw(steps, batch, hidden), draw(batch, hidden), \
        draw(batch, hidden)


class _Saved:
    def __init__(self, w_hh, lengths, reverse):
        self.w_hh, self.lengths, self.reverse = w_hh, lengths, reverse


@pytest.mark.kernels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden, parts", [(40, 2), (80, 3)])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [None, [5, 2, 4]])
def test_lstm_team_equals_one_part(dtype, hidden, parts, reverse, lengths):
    xg, h0, c0, w_hh, d_out, d_hn, d_cn = _lstm_case(dtype, hidden=hidden)
    lengths = ops.check_lengths(None if lengths is None else np.array(lengths), 5, 3)
    results = {}
    for team in (1, parts):
        forward = ops._lstm_forward(xg, h0, c0, w_hh, lengths, reverse, team)
        backward = ops._lstm_backward(forward[3:], _Saved(w_hh, lengths, reverse), d_out, d_hn,
                                      d_cn, team)
        assert backward[4] is None  # no table was read
        results[team] = forward + backward[:4]
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    for one, split in zip(results[1], results[parts]):
        if one is None:  # h_prev, not saved when out and h0 give it
            assert split is None and (not reverse or (lengths == 5).all())
            continue
        np.testing.assert_allclose(split, one, rtol=tolerance, atol=tolerance)


@pytest.mark.kernels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("parts", [1, 2, 3])
@pytest.mark.parametrize("reverse, lengths", [(False, None), (True, None), (True, [5, 2, 4]),
                                              (False, [5, 2, 4])])
def test_lstm_reading_a_table_at_ids_equals_the_gathered_projection(dtype, parts, reverse,
                                                                    lengths):
    _, h0, c0, w_hh, d_out, d_hn, d_cn = _lstm_case(dtype, hidden=80)
    rng = np.random.default_rng(5)
    table = (0.5 * rng.standard_normal((7, 4 * 80))).astype(dtype)
    ids = rng.integers(0, 7, (5, 3))
    ids[:, 0] = 2  # a row read many times: its gradient adds up
    lengths = ops.check_lengths(None if lengths is None else np.array(lengths), 5, 3)
    saved = _Saved(w_hh, lengths, reverse)
    gathered = ops._lstm_forward(table[ids], h0, c0, w_hh, lengths, reverse, 1)
    d_xg, *grads = ops._lstm_backward(gathered[3:], saved, d_out, d_hn, d_cn, 1)[:4]
    read = ops._lstm_forward(table, h0, c0, w_hh, lengths, reverse, parts, ids)
    backward = ops._lstm_backward(read[3:], saved, d_out, d_hn, d_cn, parts, ids, len(table))
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    for got, want in zip(read, gathered):
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)
    for got, want in zip(backward[1:4], grads):
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)
    d_table = np.zeros_like(table)
    np.add.at(d_table, ids.reshape(-1), d_xg.reshape(-1, 4 * 80))  # padded steps: zero rows
    np.testing.assert_allclose(backward[4], d_table, rtol=tolerance, atol=tolerance)


@pytest.mark.kernels
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_layer_on_a_team_matches_the_reference_and_one_thread(monkeypatch, reverse):
    rng = np.random.default_rng(1)
    steps, batch, features, hidden = 4, 3, 5, 64
    x = rng.standard_normal((steps, batch, features))
    h0, c0 = rng.standard_normal((2, batch, hidden))
    w_ih, w_hh = (0.3 * rng.standard_normal((4 * hidden, n)) for n in (features, hidden))
    b_ih, b_hh = 0.1 * rng.standard_normal((2, 4 * hidden))
    lengths = np.array([4, 1, 3])
    d_out, d_hn, d_cn = rng.standard_normal((steps, batch, hidden)), *rng.standard_normal(
        (2, batch, hidden))

    def run():
        out, h_n, c_n, saved = ops.lstm_layer_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                      lengths, reverse)
        return (out, h_n, c_n), ops.lstm_layer_backward(saved, d_out, d_hn, d_cn)

    alone = run()
    monkeypatch.setattr(thread_team, "_threads", 2)
    monkeypatch.setattr(thread_team, "usable_cores", lambda: 2)
    monkeypatch.setattr(thread_team.numba.config, "DISABLE_JIT", False)
    assert thread_team.team_size(hidden) == 2
    outputs, grads = run()
    expected = reference.lstm_reference(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse)
    for got, want in zip(outputs, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    for got, want in zip(grads, alone[1]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _split_small_gemms(monkeypatch, threads: int) -> list:
    """seqlab on `threads` threads (and cores) splitting even tiny GEMMs; the returned list
    records every task handed to the pool."""
    monkeypatch.setattr(thread_team, "_threads", threads)
    monkeypatch.setattr(thread_team, "usable_cores", lambda: threads)
    monkeypatch.setattr(thread_team, "MIN_PARALLEL_MACS", 1)
    monkeypatch.setattr(thread_team, "MIN_ROWS_PER_BLOCK", 8)
    pool, submitted = thread_team._pool(), []

    class CountingPool:
        def submit(self, *args):
            submitted.append(args)
            return pool.submit(*args)

    monkeypatch.setattr(thread_team, "_pool", CountingPool)
    return submitted


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transpose_a, transpose_b", [(False, False), (True, False),
                                                      (False, True)])
def test_split_matmul_equals_numpy(monkeypatch, dtype, transpose_a, transpose_b):
    submitted = _split_small_gemms(monkeypatch, 3)
    rng = np.random.default_rng(2)
    # many rows (split by rows), then few rows and many columns (split by columns)
    for rows, cols in ((250, 30), (20, 90)):
        a = rng.standard_normal((70, rows) if transpose_a else (rows, 70)).astype(dtype)
        b = rng.standard_normal((cols, 70) if transpose_b else (70, cols)).astype(dtype)
        a, b = (a.T if transpose_a else a), (b.T if transpose_b else b)
        got = thread_team.matmul(a, b)
        tolerance = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, a @ b, rtol=tolerance, atol=tolerance)
        assert got.dtype == dtype and got.flags.c_contiguous
    assert len(submitted) == 4  # two of the three blocks of each product ran in the pool


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_matmuls_equal_numpy_and_run_side_by_side_on_two_threads(monkeypatch, threads):
    submitted = _split_small_gemms(monkeypatch, threads)
    rng = np.random.default_rng(3)
    d_out = rng.standard_normal((200, 30)).astype(np.float32)
    weight, x = rng.standard_normal((30, 40)), rng.standard_normal((200, 40))
    weight, x = weight.astype(np.float32), x.astype(np.float32)
    d_x, d_weight = thread_team.matmuls([(d_out, weight), (d_out.T, x)])
    np.testing.assert_allclose(d_x, d_out @ weight, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(d_weight, d_out.T @ x, rtol=1e-5, atol=1e-5)
    # 1 thread: nothing in the pool; 2: the second product whole in the pool; 4: each split
    assert len(submitted) == {1: 0, 2: 1, 4: 6}[threads]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtypes", [(np.float32, np.float32), (np.float64, np.float64),
                                    (np.float32, np.float64)])
def test_depth_one_products_equal_numpy_bit_for_bit(monkeypatch, threads, dtypes):
    """Products of depth 1 (outer products: a regression head's d_out, a one-feature input)
    run as a multiply: the same values and dtype as NumPy's GEMM, also inside `matmuls`."""
    _split_small_gemms(monkeypatch, threads)
    rng = np.random.default_rng(4)
    column = rng.standard_normal((300, 1)).astype(dtypes[0])
    row = rng.standard_normal((1, 70)).astype(dtypes[1])
    got = thread_team.matmul(column, row)
    np.testing.assert_array_equal(got, column @ row)
    assert got.dtype == (column @ row).dtype and got.flags.c_contiguous
    strided = rng.standard_normal((300, 3)).astype(dtypes[0])[:, 1:2]  # a column of a matrix
    np.testing.assert_array_equal(thread_team.matmul(strided, row), strided @ row)
    wide = rng.standard_normal((300, 70)).astype(dtypes[1])
    outer, product = thread_team.matmuls([(column, row), (column.T, wide)])
    np.testing.assert_array_equal(outer, column @ row)
    np.testing.assert_allclose(product, column.T @ wide, rtol=1e-5)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_set_num_threads_rejects_what_is_not_a_positive_integer(bad):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        thread_team.set_num_threads(bad)


def _fresh_process(code: str, environment: dict[str, str]) -> list[str]:
    """The words `code` prints, run by this Python in a fresh process with `environment` added
    to (or, for "", removed from) os.environ."""
    env = {key: value for key, value in os.environ.items() if key not in environment}
    env.update({key: value for key, value in environment.items() if value})
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


_DEFAULTS = (
    "from threadpoolctl import threadpool_info\n"
    "import seqlab.seqmodels\n"
    "from seqlab.autograd import get_num_threads\n"
    "from seqlab.autograd import threads\n"
    "blas = sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'})\n"
    "print(get_num_threads(), threads.team_size(128), threads.team_size(40), *blas)\n"
)


@pytest.mark.parametrize("omp", ["", "1", "2", "3,1", "zero"])
def test_threads_come_from_the_environment_and_blas_is_left_as_found(omp):
    # in a fresh process: the default is read at import, as PyTorch does
    cores = thread_team.usable_cores()
    threads = int(omp.split(",")[0]) if omp[:1].isdigit() else cores
    # OpenBLAS reads OMP_NUM_THREADS itself (at most one thread per core), as it found it
    blas = min(threads, cores)
    words = _fresh_process(_DEFAULTS, {"OMP_NUM_THREADS": omp, "OPENBLAS_NUM_THREADS": ""})
    # the child inherits NUMBA_DISABLE_JIT: without the JIT a time loop runs as one part
    # (plain-Python parts would spin on the GIL), whatever the threads
    team = 1 if numba.config.DISABLE_JIT else min(threads, cores, 4)
    assert words == [str(threads), str(team), "1", str(blas)]


@pytest.mark.parametrize("jit_off", ["", "1"])
def test_a_time_loop_is_one_part_without_the_jit_and_several_with_it(jit_off):
    """`team_size` follows NUMBA_DISABLE_JIT as the process found it, not the threads alone."""
    words = _fresh_process(_DEFAULTS, {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "",
                                       "NUMBA_DISABLE_JIT": jit_off})
    team = 1 if jit_off else min(2, thread_team.usable_cores(), 4)
    assert words[:3] == ["2", str(team), "1"]


def test_set_num_threads_overrides_the_environment():
    code = "from seqlab.autograd import set_num_threads\nset_num_threads(1)\n" + _DEFAULTS
    words = _fresh_process(code, {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": ""})
    assert words[:3] == ["1", "1", "1"]


def test_blas_has_one_thread_while_seqlab_computes_and_the_users_setting_after():
    libraries = thread_team._blas_libraries()
    if not libraries:
        pytest.skip("no BLAS found by threadpoolctl")
    before = [library.num_threads for library in libraries]
    seen = []

    class Probe(Module):
        def forward(self, x):
            seen.append([library.num_threads for library in libraries])
            return x * 2.0

    try:
        for library in libraries:
            library.set_num_threads(2)
        with thread_team.seqlab_computing():
            with thread_team.seqlab_computing():  # nested (another Python thread's call)
                assert [library.num_threads for library in libraries] == [1] * len(libraries)
            assert [library.num_threads for library in libraries] == [1] * len(libraries)
        assert [library.num_threads for library in libraries] == [2] * len(libraries)
        x = Tensor(np.ones(3), requires_grad=True)
        Probe()(x).sum().backward()
        assert seen == [[1] * len(libraries)]
        assert [library.num_threads for library in libraries] == [2] * len(libraries)
    finally:
        for library, threads in zip(libraries, before):
            library.set_num_threads(threads)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("sizes", [[10], [3, 0, 17, 5], [1, 1, 1, 1, 1, 1, 1]])
def test_for_ranges_covers_every_position_once(monkeypatch, threads, sizes):
    monkeypatch.setattr(thread_team, "_threads", threads)
    monkeypatch.setattr(thread_team, "usable_cores", lambda: 3)
    counts = [np.zeros(size, int) for size in sizes]
    lock = threading.Lock()

    def visit(item, start, stop):
        with lock:
            counts[item][start:stop] += 1

    thread_team.for_ranges(sizes, visit, min_block=2)
    for count in counts:
        np.testing.assert_array_equal(count, 1)


def test_work_split_inside_a_team_task_stays_in_its_thread(monkeypatch):
    """A task of a team (a seq2seq loop job, a block of a product) that splits work again gets
    one thread: the pool's threads are its partners, busy, and a nested split could wait on a
    pool its callers fill."""
    monkeypatch.setattr(thread_team, "usable_cores", lambda: 4)
    monkeypatch.setattr(thread_team, "_threads", 4)
    assert thread_team.threads_for(8) == 4
    seen = [None] * 3

    def part(index, parts, flags):
        seen[index] = thread_team.threads_for(8)

    thread_team.run_team(3, part)
    assert seen == [1, 1, 1]
    assert thread_team.threads_for(8) == 4  # and outside again
