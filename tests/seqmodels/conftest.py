import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _fresh_units_team_watch():
    """Every test starts with the batch-1 unit team allowed: an earlier test's calls on a
    loaded machine must not send this one's to the one-thread path (`TeamWatch`)."""
    from seqlab.seqmodels.recurrent_units_team import UNITS_TEAM_WATCH

    UNITS_TEAM_WATCH.reset()
    yield
    UNITS_TEAM_WATCH.reset()
