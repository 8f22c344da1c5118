"""The CLI's size check spells each cell's gate count without importing the models (start-up
floor): it must agree with the cell-kind table, and its parameter count with the stack built."""

from __future__ import annotations

import pytest

from seqlab.cli import model_memory
from seqlab.cli.option_values import CELLS
from seqlab.seqmodels.cell_kinds import cell_kind
from seqlab.seqmodels.recurrent import build_stack


@pytest.mark.parametrize("cell", CELLS)
def test_gate_counts_agree_with_the_cell_kind_table(cell):
    assert model_memory.GATES[cell] == cell_kind(cell).gates


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_parameters_count_the_built_stack(cell):
    stack = build_stack(cell, 7, 5, num_layers=2)
    built = sum(parameter.data.size for parameter in stack.parameters())
    assert model_memory.recurrent_parameters(cell, 7, 5, 2) == built
