"""`run_ahead`: run the next steps of a pipeline ahead, in a background thread.

While the caller summarises or writes item k (numpy and disk I/O release the
GIL), the next forward passes already run. At most `depth` results wait in
the queue, so memory stays bounded. Nothing here imports Keras or a backend.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["run_ahead"]

T = TypeVar("T")
R = TypeVar("R")

_DONE = object()


def run_ahead(step: Callable[[T], R], items: Iterable[T], *, depth: int = 2) -> Iterator[R]:
    """Yields `step(item)` for every item, in order, computed ahead in a thread.

    Errors from iterating `items` or from `step` are raised in the caller, at
    the item where they happened. Closing the iterator early stops the thread.

    Args:
        step: What to run on each item, e.g. a probe's forward pass.
        items: The inputs, iterated in the background thread.
        depth: At most this many results wait for the caller. Defaults to `2`.

    Returns:
        An iterator of `step`'s results, in the order of `items`.

    Example:

    >>> list(run_ahead(lambda x: x * x, range(4)))
    [0, 1, 4, 9]
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
            for item in items:
                if not put((step(item),)):
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
            yield item[0]
    finally:
        stop.set()
        thread.join()
