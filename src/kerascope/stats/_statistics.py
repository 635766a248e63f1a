"""`Statistics`: a read-only mapping of layer key -> `LayerStats`; merge, JSON, table."""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from kerascope.errors import StatsError
from kerascope.select import LayerSelection, resolve, unknown_key
from kerascope.stats import _json
from kerascope.stats._inputs import InputStats
from kerascope.stats._layer import LayerStats
from kerascope.stats._moments import State
from kerascope.stats._table import table

__all__ = ["Statistics", "merge"]


class Statistics(Mapping[str, LayerStats]):
    """Activation statistics of many layers over a dataset, in execution order.

    Mergeable: the statistics of two shards of a dataset combine into those of
    the whole (`a.merge(b)`, `a | b`, `merge(a, b, c)` from `kerascope.stats`), so
    shards can be computed in parallel or on other machines. Serialisable as
    plain JSON.

    Args:
        states: key -> `(class_name, State)`, in execution order.
        per_channel: Whether the states are per channel.
        bins: Default number of histogram bins. Defaults to `64`.
        activations: key -> the layer's activation name (`LayerInfo.activation`),
            for diagnostics. Defaults to `None` (unknown).
        outputs: The keys the model returns (`LayerInfo.is_output`), for
            diagnostics. Defaults to `()`.
        inputs: Input name -> `InputStats` of the model's inputs over the same
            samples. Defaults to `None` (not checked).

    Example:

    >>> s = kerascope.stats(model, x)                      # doctest: +SKIP
    >>> s["conv1"].mean, s["conv1"].p99                    # doctest: +SKIP
    (0.21, 1.43)
    >>> whole = part_a | part_b                            # doctest: +SKIP
    >>> Statistics.from_json(whole.to_json())    # doctest: +SKIP
    """

    __slots__ = (
        "_activations",
        "_bins",
        "_inputs",
        "_layers",
        "_outputs",
        "_per_channel",
        "_states",
    )

    def __init__(
        self,
        states: Mapping[str, tuple[str, State]],
        *,
        per_channel: bool,
        bins: int = 64,
        activations: Mapping[str, str | None] | None = None,
        outputs: Collection[str] = (),
        inputs: Mapping[str, InputStats] | None = None,
    ) -> None:
        self._states = dict(states)
        self._per_channel = bool(per_channel)
        self._bins = int(bins)
        self._activations = {k: v for k, v in (activations or {}).items() if v is not None}
        self._outputs = frozenset(outputs)
        self._inputs = dict(inputs or {})
        self._layers = {
            key: LayerStats(
                key,
                name,
                state,
                per_channel=per_channel,
                bins=bins,
                activation=self._activations.get(key),
                is_output=key in self._outputs,
            )
            for key, (name, state) in self._states.items()
        }

    @property
    def per_channel(self) -> bool:
        """Whether per-channel statistics were kept."""
        return self._per_channel

    @property
    def inputs(self) -> Mapping[str, InputStats]:
        """Input name -> `InputStats`: NaN and Inf in the model's inputs.

        Empty when the inputs were not checked (statistics saved by an
        earlier version, or made from layer states alone).
        """
        return dict(self._inputs)

    def __getitem__(self, key: str) -> LayerStats:
        try:
            return self._layers[key]
        except KeyError:
            raise unknown_key(key, list(self._layers), "statistics") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._layers)

    def __len__(self) -> int:
        return len(self._layers)

    # -- merging --------------------------------------------------------------

    def merge(self, other: Statistics) -> Statistics:
        """The statistics of both datasets (shards) together.

        Args:
            other: Statistics of the same layers, computed the same way.

        Returns:
            New `Statistics`; neither input changes.

        Raises:
            StatsError: if the keys, their order, the channel counts or
                `per_channel` differ.
        """
        if not isinstance(other, Statistics):
            raise StatsError(
                f"Expected kerascope Statistics to merge. Received: {type(other).__name__}"
            )
        if list(self) != list(other):
            raise StatsError(
                f"Expected statistics of the same layers to merge: {list(self)}. "
                f"Received: statistics of {list(other)}"
            )
        if self._per_channel != other._per_channel:
            raise StatsError(
                f"Expected statistics with per_channel={self._per_channel} to merge. "
                f"Received: per_channel={other._per_channel}"
            )
        merged = {
            key: (name, state.merge(other._states[key][1], f" for key {key!r}"))
            for key, (name, state) in self._states.items()
        }
        inputs = {}  # unknown unless both know, of the same inputs
        if list(self._inputs) == list(other._inputs):
            inputs = {name: a.merge(other._inputs[name]) for name, a in self._inputs.items()}
        return self._with(merged, inputs)

    def select(self, layers: LayerSelection) -> Statistics:
        """The statistics of some of the keys, in order.

        Args:
            layers: A key, a glob (`"conv*"`), a compiled regex, a predicate
                of the key, or a list of those.

        Raises:
            SelectionError: if the selection matches nothing or names an unknown key.
        """
        keys = resolve(layers, [(key, None) for key in self._states])
        return self._with({key: self._states[key] for key in keys}, self._inputs)

    def _with(
        self, states: Mapping[str, tuple[str, State]], inputs: Mapping[str, InputStats]
    ) -> Statistics:
        return Statistics(
            states,
            per_channel=self._per_channel,
            bins=self._bins,
            activations=self._activations,
            outputs=self._outputs,
            inputs=inputs,
        )

    def __or__(self, other: Any) -> Statistics:
        if not isinstance(other, Statistics):
            return NotImplemented
        return self.merge(other)

    # -- serialisation --------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The statistics as plain JSON types (for `json` or a store's attributes)."""
        return _json.encode(
            self._states,
            per_channel=self._per_channel,
            bins=self._bins,
            activations=self._activations,
            outputs=self._outputs,
            inputs=self._inputs,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Statistics:
        """The inverse of `to_dict`.

        Statistics saved before kerascope recorded `is_output` name no model
        outputs; their last key is taken as the output, as the version that
        wrote them did. Those saved before inputs were checked have no `inputs`.

        Raises:
            StatsError: if `data` is not kerascope statistics.
        """
        return cls(**_json.decode(data))

    def to_json(self) -> str:
        """Plain JSON text (no NaN/Infinity literals, no pickle)."""
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> Statistics:
        """Statistics from `to_json`'s text.

        Raises:
            StatsError: if `text` is not JSON of kerascope statistics.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise StatsError(f"Expected JSON text. Received: {error}") from error
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes `to_json()` to `path` (UTF-8)."""
        with open(path, "w", encoding="utf-8") as file:
            file.write(self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Statistics:
        """Reads statistics written by `save`."""
        with open(path, encoding="utf-8") as file:
            return cls.from_json(file.read())

    def __repr__(self) -> str:
        return f"Statistics({len(self)} layers, per_channel={self._per_channel})\n" + table(self)


def merge(*stats: Statistics) -> Statistics:
    """Merges the statistics of several shards into those of their union.

    Args:
        *stats: One or more `Statistics` of the same layers.

    Returns:
        The merged `Statistics`.

    Raises:
        StatsError: if none is given, or they are of different layers.

    Example:

    >>> from kerascope.stats import merge                       # doctest: +SKIP
    >>> whole = merge(shard_0, shard_1, shard_2)               # doctest: +SKIP
    """
    if not stats:
        raise StatsError("Expected at least one Statistics to merge. Received: none")
    result = stats[0]
    for other in stats[1:]:
        result = result.merge(other)
    return result
