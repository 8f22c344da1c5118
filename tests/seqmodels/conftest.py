import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def two_threads():
    """seqlab computes on 2 threads inside the test (the count before comes back after)."""
    from seqlab.autograd import threads

    before = threads.get_num_threads()
    threads.set_num_threads(2)
    yield
    threads.set_num_threads(before)
