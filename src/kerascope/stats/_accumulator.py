"""`StatsAccumulator`: per-batch device summaries in, running host statistics out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from kerascope.capture import LayerInfo
from kerascope.data import concatenate
from kerascope.errors import InputError, StatsError
from kerascope.keys import leaf_keys
from kerascope.stats._host import summarize_arrays
from kerascope.stats._inputs import InputStats
from kerascope.stats._moments import State
from kerascope.stats._statistics import Statistics
from kerascope.stats._summary import summarize_output

__all__ = ["StatsAccumulator"]


class StatsAccumulator:
    """Accumulates streaming statistics of layer outputs, batch by batch.

    `summarize` runs inside the compiled forward pass (pass it as a `Probe`'s
    `reduce`) and turns each output into a few small tensors; `update` merges
    their host copies into float64 running state with Chan's parallel
    formulas; `result` returns `Statistics`. Memory does not grow with the
    number of samples.

    A layer with several outputs (a tuple, list or dict, e.g. an LSTM with
    `return_state=True`) gets one entry per output, keyed `"key[0]"`,
    `"key[1]"`, ... (or `"key[name]"` for a dict).

    Args:
        specs: Layer key -> `LayerInfo`, in execution order (`probe.specs`).
        per_channel: Keep statistics per channel (the last axis) and per-unit
            "active" counts. Defaults to `True`.
        bins: Default number of histogram bins. Defaults to `64`.
        buffer_bytes: `add` buffers a key's host outputs up to this many bytes
            and summarises them together: fewer, larger numpy passes, much
            faster for small layers. `0` summarises every batch on its own,
            so results depend only on the batches (a resumed recording's
            statistics then equal an uninterrupted one's bit for bit).
            Defaults to `0`.

    Raises:
        InputError: if `bins` is not a positive integer or `buffer_bytes` is
            negative.

    Example:

    >>> acc = StatsAccumulator(specs)                        # doctest: +SKIP
    >>> probe = kerascope.Probe(model, reduce=acc.summarize)  # doctest: +SKIP
    >>> for key, summary in probe.run_batch(batch, n).items():  # doctest: +SKIP
    ...     acc.update(key, summary)
    >>> acc.result()["conv1"].mean                           # doctest: +SKIP
    """

    def __init__(
        self,
        specs: Mapping[str, LayerInfo],
        *,
        per_channel: bool = True,
        bins: int = 64,
        buffer_bytes: int = 0,
    ) -> None:
        if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
            raise InputError(f"Expected bins to be a positive integer. Received: bins={bins!r}")
        if not isinstance(buffer_bytes, int) or buffer_bytes < 0:
            raise InputError(
                f"Expected buffer_bytes to be a non-negative integer. "
                f"Received: buffer_bytes={buffer_bytes!r}"
            )
        self._buffer_bytes = buffer_bytes
        self._pending: dict[str, tuple[list[Any], int]] = {}
        self._per_channel = bool(per_channel)
        self._bins = bins
        self._outputs = {key: leaf_keys(key, info.dtype) for key, info in specs.items()}
        self._class_names = {key: info.class_name for key, info in specs.items()}
        self._activations = {key: getattr(info, "activation", None) for key, info in specs.items()}
        self._returned = [
            name
            for key, info in specs.items()
            if getattr(info, "is_output", False)
            for name in self._outputs[key]
        ]
        self._states: dict[str, State] = {}
        self._inputs: dict[str, InputStats] | None = {}

    @property
    def keys(self) -> tuple[str, ...]:
        """The statistics keys, in order: one per layer output."""
        return tuple(k for keys in self._outputs.values() for k in keys)

    def summarize(self, key: str, output: Any) -> Any:
        """Summarises one batch of `key`'s output on the device (traceable).

        Args:
            key: The layer key.
            output: The layer's output tensor(s) for one batch.

        Returns:
            A structure of small tensors: a dict per output.
        """
        del key  # every layer is summarised the same way
        return summarize_output(output, per_channel=self._per_channel)

    def resume(self, statistics: Statistics) -> None:
        """Continues from `statistics` (e.g. a store's committed ones).

        Later batches merge into them in the same order as they would have in
        an uninterrupted run, so the result is the same.

        Raises:
            StatsError: if `statistics` has other keys or another `per_channel`.
        """
        if statistics.per_channel != self._per_channel or list(statistics) != list(self.keys):
            raise StatsError(
                f"Expected statistics of the keys {list(self.keys)} with "
                f"per_channel={self._per_channel}. Received: keys {list(statistics)} with "
                f"per_channel={statistics.per_channel}"
            )
        self._states = {name: state for name, (_, state) in statistics._states.items()}
        # Statistics without checked inputs cannot say what the skipped samples held.
        self._inputs = dict(statistics.inputs) if statistics.inputs else None

    def add_inputs(self, checks: list[InputStats]) -> None:
        """Merges one batch's `InputStats` (one per model input, as `check_inputs` gives).

        Call it once per batch, with the batch's outputs, so that the inputs
        and the layers cover the same samples.
        """
        if self._inputs is None:
            return
        for check in checks:
            current = self._inputs.get(check.name)
            self._inputs[check.name] = check if current is None else current.merge(check)

    def add(self, key: str, output: Any) -> None:
        """Summarises one batch of `key`'s host output with numpy and merges it.

        The CPU path: the same statistics as `summarize` then `update`. With
        `buffer_bytes=0` each batch is summarised on its own, so the result
        depends only on the batches, never on when a caller asks for it.

        Args:
            key: The layer key.
            output: The layer's output for one batch: a numpy array, or a
                tuple/dict of them.
        """
        if not self._buffer_bytes:
            self.update(key, summarize_arrays(output, per_channel=self._per_channel))
            return
        parts, size = self._pending.get(key, ([], 0))
        if parts and _trailing_shapes(parts[0]) != _trailing_shapes(output):
            # Another sequence length or image size: summarised apart, not joined.
            self.update(key, summarize_arrays(concatenate(parts), per_channel=self._per_channel))
            parts, size = [], 0
        parts.append(output)
        size += _nbytes(output)
        if size < self._buffer_bytes:
            self._pending[key] = (parts, size)
            return
        self._pending.pop(key, None)
        self.update(key, summarize_arrays(concatenate(parts), per_channel=self._per_channel))

    def flush(self) -> None:
        """Summarises every buffered output now (`result` does this itself)."""
        pending, self._pending = self._pending, {}
        for key, (parts, _) in pending.items():
            self.update(key, summarize_arrays(concatenate(parts), per_channel=self._per_channel))

    def update(self, key: str, summary: Any) -> None:
        """Merges the host (numpy) copy of one `summarize` result into the state.

        Args:
            key: The layer key.
            summary: What `summarize` returned, as numpy arrays.

        Raises:
            StatsError: for an unknown key or a summary of another layout.
        """
        if key not in self._outputs:
            raise StatsError(f"Expected one of the keys {list(self._outputs)}. Received: {key!r}")
        names = self._outputs[key]
        parts = _split(summary)
        if len(parts) != len(names):
            raise StatsError(
                f"Expected a summary of {len(names)} outputs for key {key!r}. "
                f"Received: {len(parts)}"
            )
        for name, part in zip(names, parts):
            batch = State.from_summary(part)
            current = self._states.get(name)
            self._states[name] = (
                batch if current is None else current.merge(batch, f" for key {name!r}")
            )

    def result(self) -> Statistics:
        """The statistics of every batch so far (keys never updated are left out)."""
        self.flush()
        states = {
            name: (self._class_names[key], self._states[name])
            for key, names in self._outputs.items()
            for name in names
            if name in self._states
        }
        return Statistics(
            states,
            per_channel=self._per_channel,
            bins=self._bins,
            activations={key: self._activations[key] for key in self._outputs},
            outputs=self._returned,
            inputs=self._inputs,
        )


def _nbytes(output: Any) -> int:
    if isinstance(output, Mapping):
        return sum(_nbytes(value) for value in output.values())
    if isinstance(output, (list, tuple)):
        return sum(_nbytes(value) for value in output)
    return int(np.asarray(output).nbytes)


def _split(summary: Any) -> list[Mapping[str, Any]]:
    """One summary dict per output, in output order."""
    if (
        isinstance(summary, Mapping)
        and "sketch" in summary
        and not isinstance(summary["sketch"], Mapping)
    ):
        return [summary]
    if isinstance(summary, Mapping):
        return [part for name in sorted(summary) for part in _split(summary[name])]
    if isinstance(summary, (list, tuple)):
        return [part for value in summary for part in _split(value)]
    raise StatsError(f"Expected a summary from `summarize`. Received: {type(summary).__name__}")


def _trailing_shapes(output: Any) -> Any:
    """The shapes of an output's arrays past the batch axis, in its structure."""
    if isinstance(output, (tuple, list)):
        return tuple(_trailing_shapes(item) for item in output)
    if isinstance(output, dict):
        return {name: _trailing_shapes(item) for name, item in output.items()}
    return None if output is None else tuple(output.shape[1:])
