"""`CommitSchedule`: when a recording commits the batches it has written."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from kerascope.errors import InputError

__all__ = ["COMMIT_SECONDS", "CommitSchedule"]

#: The default longest time between two commits; a crash loses at most this much work.
COMMIT_SECONDS = 1.0


class CommitSchedule:
    """Says when the next commit is due: `seconds` after the last one, on `clock`.

    Committing every batch would make fast models spend their time writing
    statistics; committing rarely would lose more work to a crash. The clock
    is injected so that tests decide what time it is.

    Args:
        seconds: The longest time between two commits; `0` commits every
            batch. Defaults to `COMMIT_SECONDS` (1 s).
        clock: Returns the time in seconds. Defaults to `time.monotonic`.

    Raises:
        InputError: if `seconds` is not a non-negative number.

    Example:

    >>> now = [0.0]
    >>> schedule = CommitSchedule(1.0, clock=lambda: now[0])
    >>> now[0] = 0.5; schedule.due()
    False
    >>> now[0] = 1.0; schedule.due()
    True
    """

    def __init__(
        self, seconds: float = COMMIT_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not math.isfinite(seconds)
            or seconds < 0
        ):
            raise InputError(
                "Expected commit_seconds to be a number of seconds >= 0. "
                f"Received: commit_seconds={seconds!r}"
            )
        self.seconds = float(seconds)
        self._clock = clock
        self._last = clock()

    def due(self) -> bool:
        """Whether `seconds` have passed since the last commit (or the start)."""
        return self._clock() - self._last >= self.seconds

    def committed(self) -> None:
        """Notes that a commit just finished: the next is due `seconds` from now."""
        self._last = self._clock()
