"""A progress bar for long work (samples/s, ETA), off with `progress=False`.

Built on `rich` (a dependency of Keras itself). Library code never prints:
the bar draws on standard error, or on the `console` passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

__all__ = ["ProgressBar"]


class ProgressBar:
    """Counts samples through long work.

    Args:
        enabled: Draw the bar. When False, every method does nothing.
        description: What is being done, e.g. `"recording"`.
        total: Samples expected, or None when unknown (no ETA then).
        console: A `rich.console.Console` to draw on. Defaults to standard error.
        get_time: A clock for `rich` (tests inject a fake one). Defaults to
            `time.monotonic`.

    Example:

    >>> with ProgressBar(True, "recording", total=1000) as bar:  # doctest: +SKIP
    ...     bar.advance(32)
    """

    def __init__(
        self,
        enabled: bool,
        description: str,
        *,
        total: int | None = None,
        console: Any = None,
        get_time: Callable[[], float] | None = None,
    ) -> None:
        self._progress: Any = None
        self._task: Any = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class SamplesPerSecond(ProgressColumn):  # type: ignore[misc]
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text("" if speed is None else f"{speed:,.0f} samples/s")

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            SamplesPerSecond(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console if console is not None else Console(stderr=True),
            get_time=get_time,
        )
        self._task = self._progress.add_task(description, total=total)

    def advance(self, samples: int) -> None:
        """Marks `samples` more samples done."""
        if self._progress is not None:
            self._progress.advance(self._task, samples)

    def __enter__(self) -> ProgressBar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
