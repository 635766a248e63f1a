"""Run a probe one batch ahead, in a background thread.

While the caller summarises or writes batch k (numpy and disk I/O release the
GIL), the next forward passes already run. At most `depth` batches of outputs
wait in the queue, so memory stays bounded by the batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from kerascope.capture._probe import Probe

__all__ = ["run_ahead"]

_DONE = object()


def run_ahead(
    probe: Probe, batches: Iterable[tuple[Any, int]], *, depth: int = 2
) -> Iterator[tuple[dict[str, Any], int]]:
    """Yields `(probe.run_batch(batch, n), n)` for every batch, computed ahead.

    Errors from the batches or the forward pass are raised in the caller, at
    the batch where they happened. Closing the iterator early stops the thread.
    """
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for batch, n in batches:
                if not put((probe.run_batch(batch, n), n)):
                    return
        except BaseException as error:  # handed to the caller, re-raised there
            put(error)
            return
        put(_DONE)

    thread = threading.Thread(target=work, name="kerascope-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
