"""seqlab.autograd.workspace: reused buffers never shared while any array still uses them."""

import gc

import numpy as np
import pytest

from seqlab.autograd import workspace
from seqlab.autograd.threads import matmul, matmuls

BIG = (256, 512)  # 512 KiB of float32: over workspace.MIN_BYTES


@pytest.fixture(autouse=True)
def _fresh_cache():
    limit = workspace.cache_limit()
    workspace.set_cache_limit(0)
    workspace.set_cache_limit(64 << 20)
    yield
    workspace.set_cache_limit(0)
    workspace.set_cache_limit(limit)


def address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


@pytest.mark.parametrize("shape", [(3, 5), BIG, (2, 64, 1024)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_arrays_are_c_contiguous_writable_and_start_on_a_line(shape, dtype):
    array = workspace.empty(shape, dtype)
    assert array.shape == shape and array.dtype == dtype
    assert array.flags.c_contiguous and array.flags.writeable
    assert address(array) % workspace.LINE_BYTES == 0
    array[...] = 1.5
    assert float(array.sum()) == 1.5 * array.size


def test_a_freed_block_serves_the_next_array_of_its_size():
    first = workspace.empty(BIG, np.float32)
    where = address(first)
    del first
    assert workspace.cached_bytes() >= BIG[0] * BIG[1] * 4
    again = workspace.empty((BIG[1], BIG[0]), np.float32)  # same bytes, other shape
    assert address(again) == where
    assert workspace.cached_bytes() == 0


def test_a_block_stays_out_of_the_cache_while_a_view_of_it_lives():
    first = workspace.empty(BIG, np.float32)
    first[...] = 7.0
    view = first[10:20].reshape(-1)[::3]  # a view of a view keeps the block too
    where = address(first)
    del first
    gc.collect()
    assert workspace.cached_bytes() == 0
    other = workspace.empty(BIG, np.float32)
    assert address(other) != where
    other[...] = -1.0
    assert (view == 7.0).all()
    del view
    assert workspace.empty(BIG, np.float32).__array_interface__["data"][0] == where


def test_small_arrays_bypass_the_cache():
    small = workspace.empty((4, 4), np.float64)
    del small
    assert workspace.cached_bytes() == 0


def test_the_limit_bounds_what_is_kept_and_zero_frees_it():
    arrays = [workspace.empty(BIG, np.float32) for _ in range(4)]
    block = BIG[0] * BIG[1] * 4
    workspace.set_cache_limit(2 * block + 2 * workspace.LINE_BYTES)
    del arrays
    assert workspace.cached_bytes() == 2 * (block + workspace.LINE_BYTES)
    workspace.set_cache_limit(0)
    assert workspace.cached_bytes() == 0
    with pytest.raises(ValueError, match="byte count"):
        workspace.set_cache_limit(-1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_results_from_the_workspace_equal_numpy(dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 200)).astype(dtype)
    b = rng.standard_normal((200, 400)).astype(dtype)
    for _ in range(3):  # the second and third reuse the first's freed block
        np.testing.assert_allclose(matmul(a, b), a @ b, rtol=1e-5)
        first, second = matmuls([(a, b), (a.T.copy().T, b)])
        np.testing.assert_allclose(first, a @ b, rtol=1e-5)
        np.testing.assert_allclose(second, a @ b, rtol=1e-5)


def test_sizes_freed_long_ago_make_room_for_the_ones_a_run_uses_now():
    """A run whose shapes change (the last short batch, bucketed lengths) must not leave the
    cache full of sizes that never come back: the oldest give way to the newest."""
    block = BIG[0] * BIG[1] * 4 + workspace.LINE_BYTES
    workspace.set_cache_limit(2 * block)
    old = [workspace.empty(BIG, np.float32) for _ in range(2)]
    del old  # the cache is now full of BIG blocks
    new_shape = (BIG[0] + 16, BIG[1])
    for _ in range(3):  # two arrays of a new size each step: both come back from the cache
        step = [workspace.empty(new_shape, np.float32) for _ in range(2)]
        where = {address(a) for a in step}
        del step
    again = [workspace.empty(new_shape, np.float32) for _ in range(2)]
    assert {address(a) for a in again} == where
    assert workspace.cached_bytes() == 0
    too_big = workspace.empty((4 * BIG[0], BIG[1]), np.float32)  # larger than the whole cache
    del too_big
    assert workspace.cached_bytes() == 0


def test_release_frees_what_is_kept_and_keeps_the_limit():
    arrays = [workspace.empty(BIG, np.float32) for _ in range(3)]
    del arrays
    assert workspace.cached_bytes() > 0
    limit = workspace.cache_limit()
    workspace.release()
    assert workspace.cached_bytes() == 0 and workspace.cache_limit() == limit
    workspace.empty(BIG, np.float32)  # freed at once: still cached after a release
    assert workspace.cached_bytes() > 0
