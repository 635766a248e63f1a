"""`SnapshotOutput`: a monitor's snapshots made and written off the training step.

A snapshot's TensorBoard event and JSON line are never needed at once.
Building them is pure Python (protocol buffers, one histogram per layer, JSON
encoding of every per-channel value): for the demo CNN about 0.5 ms of
TensorBoard and 1.7 ms of JSON a snapshot (`benchmarks/monitor.py`). Nor, most
of the time, are its statistics and findings (about 2.5 ms): only a finding
that could stop training is, and the monitor decides when none can. All of
them are made and written here, in order, by one background thread, while
training goes on; `close` waits for all of them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from kerascope.monitor._history import Snapshot

if TYPE_CHECKING:
    from kerascope.monitor._tensorboard import EventWriter

__all__ = ["SnapshotOutput"]

#: Snapshots queued or being made at most: the rest wait, so that the probe
#: outputs held for them stay bounded (a few MiB for a probe batch).
IN_FLIGHT = 2


class SnapshotOutput:
    """Makes and writes snapshots (TensorBoard event, JSON line) on a background thread.

    Snapshots are made and written in the order they are submitted or
    deferred. A job that fails (a full disk, a removed directory) raises its
    error from the next `submit` or `defer`, or from `wait` or `close`.

    Args:
        writer: The TensorBoard writer, or None. `close` closes it.
        history_file: The JSON-lines file to append each snapshot to, or None.
    """

    def __init__(
        self, writer: EventWriter | None, history_file: str | os.PathLike[str] | None
    ) -> None:
        self._writer = writer
        self._history_file = history_file
        self._executor: ThreadPoolExecutor | None = None
        if writer is not None or history_file is not None:
            self._start()
        self._futures: list[Future[None]] = []
        self._closed = False

    def submit(self, snapshot: Snapshot) -> None:
        """Queues `snapshot` for writing (nothing to do without a writer or file).

        Raises:
            ValueError: after `close`.
        """
        if self._closed:
            raise ValueError("Expected an open SnapshotOutput. Received: one closed")
        if self._executor is None:
            return
        self._check(wait=False)
        self._futures.append(self._executor.submit(self._write, snapshot))

    def defer(self, make: Callable[[], Snapshot], then: Callable[[Snapshot], None]) -> None:
        """Queues `make()` for the background thread: then `then(snapshot)`, and its writes.

        Waits first while `IN_FLIGHT` snapshots are queued or being made.

        Raises:
            ValueError: after `close`.
        """
        if self._closed:
            raise ValueError("Expected an open SnapshotOutput. Received: one closed")
        executor = self._start()
        self._check(wait=False)
        while len(self._futures) >= IN_FLIGHT:
            self._futures.pop(0).result()

        def job() -> None:
            snapshot = make()
            then(snapshot)
            self._write(snapshot)

        self._futures.append(executor.submit(job))

    def wait(self) -> None:
        """Blocks until every queued snapshot is written."""
        self._check(wait=True)

    def close(self) -> None:
        """Waits for every queued snapshot, then closes the TensorBoard file (again: nothing)."""
        self._closed = True
        try:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
            self._check(wait=True)
        finally:
            if self._writer is not None:
                self._writer.close()

    def _start(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="kerascope-monitor-output")
        return self._executor

    def _write(self, snapshot: Snapshot) -> None:
        if self._writer is not None:
            self._writer.write(snapshot.statistics, snapshot.step)
        if self._history_file is not None:
            line = json.dumps(snapshot.to_dict()) + "\n"
            with open(self._history_file, "a", encoding="utf-8") as file:
                file.write(line)

    def _check(self, *, wait: bool) -> None:
        """Raises the error of a failed write; forgets the finished ones."""
        futures, self._futures = self._futures, []
        for future in futures:
            if wait or future.done():
                future.result()
            else:
                self._futures.append(future)
