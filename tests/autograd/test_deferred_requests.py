"""`DeferredRequest`: a process-wide change asked for now, made when the kernels prepare."""

from seqlab.autograd import deferred_requests
from seqlab.autograd.deferred_requests import DeferredRequest, requested_changes


def test_a_request_is_made_only_once_asked_for_and_listed_for_workers(monkeypatch):
    monkeypatch.setattr(deferred_requests, "_ALL", [])  # this test's requests only
    made = []
    first, second = DeferredRequest(lambda: made.append("first")), \
        DeferredRequest(lambda: made.append("second"))
    first.apply_if_requested()
    second.apply_if_requested()
    assert made == [] and requested_changes() == []
    second.request()
    first.apply_if_requested()
    second.apply_if_requested()
    assert made == ["second"]
    assert requested_changes() == [second.apply]


def test_the_commands_request_the_runtime_cache_locked_saves_and_released_llvm_pages():
    """`seqlab` (any command, --help included) asks for all three; importing asks for none."""
    import subprocess
    import sys

    code = ("from seqlab.autograd.kernel_cache_lock import LOCKED_SAVES\n"
            "from seqlab.autograd.llvm_pages import RELEASED_LLVM_PAGES\n"
            "from seqlab.autograd.runtime_cache import CACHED_RUNTIME\n"
            "asked = lambda: tuple(r.requested for r in\n"
            "                      (LOCKED_SAVES, CACHED_RUNTIME, RELEASED_LLVM_PAGES))\n"
            "before = asked()\n"
            "from seqlab.cli.app import main\n"
            "try:\n    main(['info', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(before, asked())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.splitlines()[-1] == "(False, False, False) (True, True, True)"


def test_a_request_forwarded_from_another_process_waits_for_numba(monkeypatch):
    """`request_change` (a Dask worker given its command's requests): made at the first kernel
    load, or at once where Numba is imported already."""
    import sys
    import types

    monkeypatch.setattr(deferred_requests, "_ALL", [])
    made = []

    def change():
        made.append(1)

    request = DeferredRequest(change)
    monkeypatch.delitem(sys.modules, "numba", raising=False)
    deferred_requests.request_change(change)
    assert request.requested and made == []
    request.apply_if_requested()  # the first kernel's cache guard
    assert made == [1]
    monkeypatch.setitem(sys.modules, "numba", types.ModuleType("numba"))  # loaded already
    deferred_requests.request_change(change)
    assert made == [1, 1]

