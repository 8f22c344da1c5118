"""Waiting on a cluster count's futures without hanging when a worker leaves.

After the shards are tokenized, every task of an n-gram count on a Dask cluster is pinned to
the worker whose disk holds its shard (`workers=[address], allow_other_workers=False`). When
that worker dies or is retired, Dask keeps such a task in the `no-worker` state until a worker
of the same address joins again, which may be never (dask/distributed#7346; the scheduler's
`no-workers-timeout` fails it, but it is off by default and belongs to whoever runs the
scheduler). So the client never blocks on a future for long: `ShardWatch.gather` waits a
moment at a time and, between waits, checks that every worker holding a shard is still there,
told at once by the scheduler's `remove-worker` event on that worker's topic
(`Client.subscribe_topic`) and, should an event be missed, by the scheduler's list of workers
(asked of the scheduler itself, its `ncores` handler: addresses and thread counts only, within
`answer_seconds`; the client's `scheduler_info()` is a copy refreshed every few seconds that
may list no worker).
A lost holder, a shard that kept killing its workers (`KilledWorker`), a cluster left without
any worker or a scheduler that stopped answering becomes one `WorkerLostError` naming the
worker and the shard; an OSError a task raised itself (a corpus file a worker cannot see, a
full disk) becomes one `ShardTaskError` naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import time
from collections.abc import Sequence
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any


class WorkerLostError(RuntimeError):
    """A worker holding a shard's files left the cluster (or the shard kept killing workers,
    or no worker is left, or the scheduler stopped answering): the count cannot go on, and
    running it again is the remedy."""


class ShardTaskError(RuntimeError):
    """A shard's task failed on its worker with an OSError of its own (a corpus file the
    worker cannot see, a full disk): one line saying what, where and what to do."""


# Attempts at broadcasting one value before giving up (each broken by a worker's departure).
SCATTER_ATTEMPTS = 5


def one_line(text: str) -> str:
    """`text` with every run of white space (newlines too) made one space."""
    return " ".join(str(text).split())


def task_error(error: OSError, stage: str) -> ShardTaskError:
    """The one-line error for an OSError a task raised on its worker while `stage`."""
    name = getattr(error, "filename", None)
    reason = one_line(error.strerror or error)
    if isinstance(error, (FileNotFoundError, PermissionError, IsADirectoryError,
                          NotADirectoryError)) and name:
        return ShardTaskError(f"a worker could not read {name} ({reason}) while {stage}: "
                              "every worker must see the corpus at the same path (and may "
                              "read it); nothing was written")
    where = f" ({name})" if name else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return ShardTaskError(f"a worker's disk is full{where} while {stage}: free space in "
                              "its temporary folder (or start it with TMPDIR elsewhere), then "
                              "rerun the command; nothing was written")
    return ShardTaskError(f"a worker failed while {stage}: {type(error).__name__}: "
                          f"{reason}{where}; fix that on the worker, then rerun the command; "
                          "nothing was written")


def describe_shard(pieces: Sequence[Any]) -> str:
    """'a.txt bytes 0..1200, b.txt bytes 0..80' for a shard's byte ranges (`FileRange`s)."""
    named = [f"{Path(piece.path).name} bytes {piece.start}..{piece.stop}" for piece in pieces]
    if len(named) > 2:
        named = [*named[:2], f"{len(named) - 2} more files"]
    return ", ".join(named) or "no bytes"


class ShardWatch:
    """Gathers a cluster count's futures, failing within about `poll_seconds` when a worker
    holding a shard leaves, and after `no_workers_seconds` when the cluster has no worker.

    `shards` describes each shard (for messages); `pin(holders)` records which worker holds
    each one once they are tokenized (before that, Dask reruns a lost task elsewhere);
    `close()` ends the subscriptions. Every question to the scheduler is given up on after
    `answer_seconds` (a scheduler that stops answering is one WorkerLostError, never a hang)."""

    def __init__(self, client, shards: Sequence[str], poll_seconds: float = 0.5,
                 no_workers_seconds: float = 60.0, comm_grace_seconds: float = 10.0,
                 answer_seconds: float = 10.0) -> None:
        self.client, self.shards = client, list(shards)
        self.poll_seconds, self.no_workers_seconds = poll_seconds, no_workers_seconds
        self.comm_grace_seconds, self.answer_seconds = comm_grace_seconds, answer_seconds
        self.holders: list[str] = []
        self.removed: set[str] = set()  # holders the scheduler reported removed
        self._empty_since: float | None = None
        self._listed: set[str] = set()  # the scheduler's workers, as last asked
        self._listed_at = -float("inf")
        # kept now: a closed client has forgotten it (`client.scheduler` is None after _close)
        self._scheduler_address = self._current_address()

    def pin(self, holders: Sequence[str]) -> None:
        """Shard i's files now live on the disk of worker holders[i]."""
        self.holders = list(holders)
        for address in set(self.holders):
            self.client.subscribe_topic(address, functools.partial(self._on_worker_event,
                                                                   address))
        self._listed_at = -float("inf")  # ask the scheduler now: one may be gone already
        self.check("tokenizing the shards")

    def close(self) -> None:
        """Stop listening to the holders' events (nothing to do once the client is closed)."""
        for address in set(self.holders):
            with contextlib.suppress(Exception):
                self.client.unsubscribe_topic(address)

    def cancel(self, futures: Sequence[Any]) -> None:
        """Cancel `futures`, if the client still can (a closed one cannot: nothing runs)."""
        with contextlib.suppress(Exception):
            self.client.cancel([future for future in futures if not future.done()])

    def _on_worker_event(self, address: str, event: tuple[float, Any]) -> None:
        # runs on the client's event loop: only note it; the waiting thread raises
        _, message = event
        if isinstance(message, dict) and message.get("action") == "remove-worker":
            self.removed.add(address)

    def _current_address(self) -> str | None:
        address = getattr(getattr(self.client, "scheduler", None), "address", None)
        return str(address) if address else None

    @property
    def scheduler_address(self) -> str:
        """The scheduler's address, as the client connected to it when the watch began (for
        messages; the client forgets it once closed)."""
        return self._scheduler_address or self._current_address() or "(address unknown)"

    def scheduler_lost(self, why: str) -> WorkerLostError:
        """The one-line error for a scheduler that went or stopped answering (`why`)."""
        return WorkerLostError(
            f"lost contact with the scheduler at {self.scheduler_address} ({why}): it has "
            "stopped or cannot be reached; start it again (with its workers) or mend the "
            "network to it, then rerun the command; nothing was written")

    def workers(self) -> list[str]:
        """The scheduler's workers now, asked of it (its `ncores` handler: each worker's
        address and thread count, the least it can say; not `identity`, which sends every
        worker's metrics, nor the client's `scheduler_info()`, a copy refreshed every few
        seconds that may list no worker)."""
        status = self.client.status
        if status != "running":  # closed, or reconnecting to a scheduler that went
            raise self.scheduler_lost(f"the client is {status}")
        try:
            threads = self.client.sync(self.client.scheduler.ncores,
                                       callback_timeout=self.answer_seconds)
        except TimeoutError as error:  # (an OSError: before the next clause)
            raise self.scheduler_lost(f"it did not answer within {self.answer_seconds:g} s"
                                      ) from error
        except Exception as error:  # a broken connection, a client closed meanwhile
            raise self.scheduler_lost(one_line(error)) from error
        return list(threads)

    def check(self, stage: str, shards: Sequence[int] | None = None) -> None:
        """WorkerLostError if a worker holding one of `shards` (by default every shard) is
        gone, or no worker has been left for `no_workers_seconds`."""
        now = time.monotonic()
        if now - self._listed_at >= self.poll_seconds:  # one call to the scheduler a poll
            self._listed, self._listed_at = set(self.workers()), now
        workers = self._listed
        needed = range(len(self.holders)) if shards is None else shards
        lost = [self.holders[i] for i in needed if i < len(self.holders)
                and (self.holders[i] in self.removed or self.holders[i] not in workers)]
        if lost:
            address = lost[0]
            held = [i for i, holder in enumerate(self.holders) if holder == address]
            which = ", ".join(f"shard {i + 1} of {len(self.holders)} ({self.shards[i]})"
                              for i in held[:3])
            raise WorkerLostError(
                f"worker {address} left the cluster while {stage}; it held {which} on its "
                "disk, so the count cannot go on: rerun the command (on workers that stay "
                "up); nothing was written, and the other workers' shard folders were removed")
        if workers:
            self._empty_since = None
        elif self._empty_since is None:
            self._empty_since = now
        elif now - self._empty_since > self.no_workers_seconds:
            raise WorkerLostError(
                f"the cluster has had no worker for {self.no_workers_seconds:.0f} s while "
                f"{stage}: start workers for the scheduler and rerun the command; nothing "
                "was written")

    def _check_or_cancel(self, futures: Sequence[Any], stage: str,
                         shards: Sequence[int] | None = None) -> None:
        try:
            self.check(stage, shards)
        except WorkerLostError:
            self.cancel(futures)  # pinned to a worker that is gone: never to run
            raise

    def _after_comm_error(self, error: OSError, futures: Sequence[Any], stage: str,
                          shards: Sequence[int]) -> None:
        """A connection broke: a worker most likely died, which the scheduler will soon say
        (WorkerLostError naming it); if it does not within `comm_grace_seconds`, still one
        WorkerLostError."""
        deadline = time.monotonic() + self.comm_grace_seconds
        while time.monotonic() < deadline:
            self._listed_at = -float("inf")
            self._check_or_cancel(futures, stage, self._pending(futures, shards))
            time.sleep(self.poll_seconds)
        self.cancel(futures)
        raise WorkerLostError(f"lost contact with the cluster while {stage} "
                              f"({one_line(error)}): rerun the command; nothing was written"
                              ) from error

    @staticmethod
    def _pending(futures: Sequence[Any], shards: Sequence[int]) -> list[int]:
        """The shards whose futures have not finished: only their holders still matter (one
        that retires after its last task is no loss)."""
        return [shards[k] for k, future in enumerate(futures) if not future.done()]

    def scatter(self, value: Any, stage: str):
        """A future of `value` on every worker (`Client.scatter(broadcast=True)`), run on the
        client's event loop while this thread checks the cluster: a scatter caught by a
        worker's death can wait for ever, so when a worker it was sending to goes it is
        cancelled and started again, at most `SCATTER_ATTEMPTS` times (or WorkerLostError,
        when that worker held a shard)."""
        import asyncio
        import concurrent.futures

        for _ in range(SCATTER_ATTEMPTS):
            self._listed_at = -float("inf")
            self.check(stage)
            receivers = set(self._listed)
            coroutine = self.client.scatter([value], broadcast=True, asynchronous=True)
            running = asyncio.run_coroutine_threadsafe(coroutine,
                                                       self.client.loop.asyncio_loop)
            while True:
                try:
                    [future] = running.result(timeout=self.poll_seconds)
                    return future
                except concurrent.futures.TimeoutError:
                    pass
                except OSError:  # CommClosedError: a receiver went; the scheduler will say
                    self._await_departure(receivers, stage)
                    break
                try:
                    self.check(stage)
                except WorkerLostError:
                    running.cancel()
                    raise
                if not receivers <= self._listed:  # one it was sending to is gone: again
                    running.cancel()
                    break
        raise WorkerLostError(f"sending data to the workers failed {SCATTER_ATTEMPTS} times "
                              f"while {stage} (workers kept leaving, or the scheduler stopped "
                              "answering): rerun the command on workers that stay up; nothing "
                              "was written")

    def _await_departure(self, receivers: set[str], stage: str) -> None:
        """After a broadcast broke: wait, checking the cluster, until the scheduler no longer
        lists one of `receivers` (WorkerLostError if it held a shard), at most
        `comm_grace_seconds`, so that the next attempt goes to the workers left."""
        deadline = time.monotonic() + self.comm_grace_seconds
        while time.monotonic() < deadline:
            time.sleep(self.poll_seconds)
            self._listed_at = -float("inf")
            self.check(stage)
            if not receivers <= self._listed:
                return

    def gather(self, futures: Sequence[Any], stage: str,
               shards: Sequence[int] | None = None) -> list:
        """The results of `futures` (shard `shards[k]`'s for futures[k]; by default
        futures[k] is shard k's), each waited for and fetched a moment at a time
        (`Future.result(timeout)`), the cluster checked in between."""
        from dask.distributed import KilledWorker

        futures = list(futures)
        shards = list(range(len(futures))) if shards is None else list(shards)
        results = []
        for k, future in enumerate(futures):
            while True:
                self._check_or_cancel(futures, stage, self._pending(futures, shards))
                try:
                    results.append(future.result(timeout=self.poll_seconds))
                    break
                except KilledWorker as error:
                    self.cancel(futures)
                    raise self._killed(error, shards[k], stage) from error
                except CancelledError as error:  # not by us: the scheduler forgot the task
                    if self.client.status != "running":  # or the client lost it
                        raise self.scheduler_lost(f"the client is {self.client.status} while "
                                                  f"{stage}") from error
                    raise WorkerLostError(
                        f"the cluster cancelled shard {shards[k] + 1}'s task while {stage} "
                        f"({one_line(error)}): the scheduler may have restarted or gone; "
                        "rerun the command; nothing was written") from error
                except OSError as error:
                    if future.status == "error":  # the task's own (a TimeoutError too)
                        self.cancel(futures)
                        # (the error caught may be our wait's timeout, just as it failed)
                        own = future.exception(timeout=self.answer_seconds)
                        if not isinstance(own, OSError):
                            raise own from None
                        raise task_error(own, stage) from own
                    if isinstance(error, TimeoutError):  # our wait's (the task may have
                        continue  # finished since): check the cluster, wait again
                    self._after_comm_error(error, futures, stage, shards)
        return results

    def _killed(self, error, index: int, stage: str) -> WorkerLostError:
        last = getattr(error.last_worker, "address", error.last_worker)
        return WorkerLostError(
            f"shard {index + 1} of {len(self.shards)} ({self.shards[index]}) made its "
            f"workers die, the last {last}, while {stage}: a worker may need more memory "
            "(lower --memory, or give workers more), then rerun the command; nothing was "
            "written")
