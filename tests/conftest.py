"""Fixtures for every test directory."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_units_team_watches():
    """Every test starts with the batch-1 unit team allowed: an earlier test's calls on a
    loaded machine (in any test directory: cli and nlp run no-grad stacks too) must not send
    this one's to the one-part path (`TeamWatch`)."""
    from seqlab.seqmodels.recurrent_units_team import UNITS_TEAM_WATCHES

    UNITS_TEAM_WATCHES.reset()
    yield
    UNITS_TEAM_WATCHES.reset()
