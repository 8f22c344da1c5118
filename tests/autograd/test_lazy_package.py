"""seqlab.autograd loads its public names on first use: light submodules stay light, and the
names are the same objects as before."""

import subprocess
import sys
import textwrap

import pytest

import seqlab.autograd as ag


def _run(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_atomic_and_mapped_pages_do_not_import_numba():
    _run("""
        import sys
        import seqlab.autograd.atomic, seqlab.autograd.mapped_pages
        heavy = [m for m in ("numba", "seqlab.autograd.tensor", "seqlab.autograd.threads")
                 if m in sys.modules]
        assert not heavy, heavy
    """)


def test_names_that_are_also_submodules_stay_the_functions():
    _run("""
        import importlib
        import seqlab.autograd as ag
        importlib.import_module("seqlab.autograd.tensor")  # before anyone asked for ag.tensor
        importlib.import_module("seqlab.autograd.gradcheck")
        from seqlab.autograd.creation import tensor
        from seqlab.autograd.gradcheck import gradcheck
        assert ag.tensor is tensor and ag.gradcheck is gradcheck
        assert ag.tensor([1.0, 2.0]).shape == (2,)
    """)


def test_every_public_name_resolves_to_its_definition():
    import numpy as np

    from seqlab.autograd import nn, optim
    from seqlab.autograd.creation import zeros
    from seqlab.autograd.io import save
    from seqlab.autograd.tensor import Tensor

    for name in ag.__all__:
        assert getattr(ag, name) is not None
    assert ag.Tensor is Tensor and ag.zeros is zeros and ag.save is save
    assert ag.nn is nn and ag.optim is optim and ag.float32 is np.float32
    assert set(ag.__all__) <= set(dir(ag))


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'tensr'"):
        ag.tensr  # noqa: B018
