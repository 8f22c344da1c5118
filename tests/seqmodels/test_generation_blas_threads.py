"""Generation's own products run with BLAS on one thread: a BLAS team woken before the
one-thread token loop spun beside it for nothing (a second core burnt at OMP_NUM_THREADS=2)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from seqlab.seqmodels import LanguageModel


class RecordingArray(np.ndarray):
    """An ndarray that records BLAS's thread counts whenever it is multiplied."""

    seen: ClassVar[list] = []

    def __matmul__(self, other):
        RecordingArray.seen.append(max(info["num_threads"] for info in threadpool_info()
                                       if info["user_api"] == "blas"))
        return np.asarray(self) @ np.asarray(other)


def test_the_plans_table_uses_one_blas_thread():
    """Vocabulary 11 <= 4 x 8 embedding dims: the plan builds layer 0's table E @ W_ih^T."""
    model = LanguageModel(11, 8, 16, 2, cell="lstm", generator=0)
    weight = model.embedding.weight
    weight.data = weight.data.view(RecordingArray)
    RecordingArray.seen = []
    with threadpool_limits(limits=2, user_api="blas"):
        state = model.initial_state()  # GenerationPlan.from_model, then initial_logprobs
        after = max(info["num_threads"] for info in threadpool_info()
                    if info["user_api"] == "blas")
    assert RecordingArray.seen == [1]
    assert after == 2  # the user's setting is back once the plan is built
    assert np.isfinite(state.next_logprobs).all()
