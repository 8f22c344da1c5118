"""The workspace keeps no more freed blocks than its arrays ever held at once since the last
`release()` (a run's own peak; the limit caps it): a run whose shapes change (bucketed lengths,
a validation batch) does not fill the cache up to the limit with sizes it never needed at once,
while a run of fixed shapes keeps every block its next step takes (stop 21's closing note)."""

import numpy as np
import pytest

from seqlab.autograd import workspace

BIG = (256, 512)  # 512 KiB of float32: over workspace.MIN_BYTES
BLOCK = BIG[0] * BIG[1] * 4 + workspace.LINE_BYTES  # what one BIG array's block holds


@pytest.fixture(autouse=True)
def _fresh_cache():
    limit = workspace.cache_limit()
    workspace.set_cache_limit(64 << 20)
    workspace.release()
    yield
    workspace.release()
    workspace.set_cache_limit(limit)


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def test_the_peak_is_the_most_bytes_in_use_at_once():
    first = [workspace.empty(BIG, np.float32) for _ in range(3)]
    del first
    second = [workspace.empty(BIG, np.float32) for _ in range(2)]
    assert workspace.peak_bytes() == 3 * BLOCK
    del second
    workspace.release()
    assert workspace.peak_bytes() == 0 and workspace.cached_bytes() == 0


def test_a_new_size_does_not_grow_the_cache_past_the_peak():
    step = [workspace.empty(BIG, np.float32) for _ in range(2)]
    del step
    assert workspace.cached_bytes() == 2 * BLOCK == workspace.peak_bytes()
    other = workspace.empty((BIG[0] // 2, BIG[1]), np.float32)  # one array of another size
    del other
    assert workspace.cached_bytes() <= workspace.peak_bytes() == 2 * BLOCK


def test_fixed_shapes_keep_every_block_their_next_step_takes():
    step = [workspace.empty(BIG, np.float32) for _ in range(3)]
    where = {_address(a) for a in step}
    del step
    for _ in range(3):
        step = [workspace.empty(BIG, np.float32) for _ in range(3)]
        assert {_address(a) for a in step} == where
        del step
    assert workspace.cached_bytes() == 3 * BLOCK


def test_the_limit_still_caps_what_is_kept():
    workspace.set_cache_limit(BLOCK)
    step = [workspace.empty(BIG, np.float32) for _ in range(3)]
    del step
    assert workspace.cached_bytes() == BLOCK


SMALL = (BIG[0] // 2, BIG[1])  # another size, half of BIG's bytes
SMALL_BLOCK = SMALL[0] * SMALL[1] * 4 + workspace.LINE_BYTES


def _step_of_sizes_never_held_at_once() -> set[int]:
    """A training step's shape: one BIG array saved through the step, two BIG ones made and
    freed, then three SMALL ones while the saved one is still held. The peak (3 BIG) is less
    than the blocks the step asks for by size (3 BIG + 3 SMALL)."""
    saved = workspace.empty(BIG, np.float32)
    forward = [workspace.empty(BIG, np.float32) for _ in range(2)]
    where = {_address(saved)} | {_address(a) for a in forward}
    del forward
    backward = [workspace.empty(SMALL, np.float32) for _ in range(3)]
    return where | {_address(a) for a in backward}


def test_a_repeating_step_reuses_every_block_from_its_second_step_on():
    first = _step_of_sizes_never_held_at_once()
    assert workspace.peak_bytes() == 3 * BLOCK < 3 * BLOCK + 3 * SMALL_BLOCK
    assert workspace.cached_bytes() == 3 * BLOCK + 3 * SMALL_BLOCK
    for _ in range(3):
        assert _step_of_sizes_never_held_at_once() == first
    assert workspace.bound_bytes() == 3 * BLOCK + 3 * SMALL_BLOCK


def test_a_shrinking_run_keeps_no_more_than_its_largest_step_asked_for():
    large = [workspace.empty(BIG, np.float32) for _ in range(4)]
    del large
    bound = workspace.bound_bytes()
    assert bound == 4 * BLOCK
    for rows in range(BIG[0] // 2, BIG[0] // 2 + 6):  # steps of sizes never seen before
        step = [workspace.empty((rows, BIG[1]), np.float32) for _ in range(3)]
        assert workspace.cached_bytes() + sum(a.nbytes for a in step) <= bound
        del step
        assert workspace.cached_bytes() <= bound == workspace.bound_bytes()


def test_the_bound_is_at_most_twice_the_peak_when_no_step_ends():
    held = workspace.empty(BIG, np.float32)  # alive throughout: no stretch ever ends
    for rows in range(BIG[0] // 2, BIG[0] // 2 + 8):
        step = workspace.empty((rows, BIG[1]), np.float32)
        del step
        assert workspace.bound_bytes() <= 2 * workspace.peak_bytes()
        assert workspace.cached_bytes() + BLOCK <= workspace.bound_bytes()
    del held
