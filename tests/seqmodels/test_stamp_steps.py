"""Next time stamps for a forecast's rows (qaA s20 LOW 11): a regular step continues, anything
else gives None (the forecast rows are then numbered)."""

from __future__ import annotations

import pytest

from seqlab.seqmodels.stamp_steps import next_stamps


@pytest.mark.parametrize("stamps, expected", [
    (["2006", "2007", "2008"], ["2009", "2010", "2011"]),
    (["1985", "1990", "1995"], ["2000", "2005", "2010"]),
    (["2023-10", "2023-11", "2023-12"], ["2024-01", "2024-02", "2024-03"]),
    (["2023-10-01", "2023-11-01", "2023-12-01"], ["2024-01-01", "2024-02-01", "2024-03-01"]),
    (["2024-02-26", "2024-02-27", "2024-02-28"], ["2024-02-29", "2024-03-01", "2024-03-02"]),
    (["2023-12-25", "2024-01-01", "2024-01-08"], ["2024-01-15", "2024-01-22", "2024-01-29"]),
    (["2024-01-01 21:00:00", "2024-01-01 22:00:00", "2024-01-01 23:00:00"],
     ["2024-01-02 00:00:00", "2024-01-02 01:00:00", "2024-01-02 02:00:00"]),
    (["2024-01-01T09:30:00+00:00", "2024-01-01T10:00:00+00:00",
      "2024-01-01T10:30:00+00:00"],
     ["2024-01-01T11:00:00+00:00", "2024-01-01T11:30:00+00:00", "2024-01-01T12:00:00+00:00"]),
])
def test_a_regular_step_continues(stamps, expected):
    assert next_stamps(stamps, 3) == expected


@pytest.mark.parametrize("stamps", [
    ["2006", "2007", "2009"],            # a gap
    ["20240130", "20240131", "20240201"],  # YYYYMMDD numbers: no constant difference
    ["2024-01-31", "2024-02-29", "2024-03-31"],  # month ends: no day step, no month starts
    ["2024-01-31", "2024-02-29"],        # two stamps: one gap shows no regular step
    ["2005", "2006", ""],                      # a missing stamp
    ["1.5", "2.5"],                      # floats are not continued
    ["Jan", "Feb"],                      # a form seqlab does not read
    ["2008"],                            # one stamp has no step
    ["2008", "2008", "2008"],                  # no progress
])
def test_anything_else_has_none(stamps):
    assert next_stamps(stamps, 3) is None
