"""The JSON layout of `Statistics` (format `kerascope.stats/1`), written and read back.

Plain JSON types only, never pickle. Fields added since the first files keep
those files readable: `is_output` (absent: the last key is taken as the
model's output, as the versions that wrote them did) and `inputs` (absent:
the inputs were not checked).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from kerascope.errors import StatsError
from kerascope.stats._inputs import InputStats
from kerascope.stats._moments import State

__all__ = ["FORMAT", "decode", "encode"]

FORMAT = "kerascope.stats/1"


def encode(
    states: Mapping[str, tuple[str, State]],
    *,
    per_channel: bool,
    bins: int,
    activations: Mapping[str, str],
    outputs: Collection[str],
    inputs: Mapping[str, InputStats],
) -> dict[str, Any]:
    """The statistics' parts as plain JSON types."""
    return {
        "format": FORMAT,
        "per_channel": per_channel,
        "bins": bins,
        "layers": [
            {
                "key": key,
                "class_name": name,
                **({"activation": a} if (a := activations.get(key)) else {}),
                "is_output": key in outputs,
                **state.to_dict(),
            }
            for key, (name, state) in states.items()
        ],
        "inputs": [check.to_dict() for check in inputs.values()],
    }


def decode(data: Any) -> dict[str, Any]:
    """The inverse of `encode`: the keyword arguments of `Statistics`.

    Raises:
        StatsError: if `data` is not complete kerascope statistics.
    """
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, Mapping) else type(data).__name__
        raise StatsError(
            f"Expected kerascope statistics (format {FORMAT!r}). Received: format {found!r}"
        )
    try:
        layers = list(data["layers"])
        if any("is_output" in layer for layer in layers):
            outputs = [layer["key"] for layer in layers if layer["is_output"]]
        else:
            outputs = [layer["key"] for layer in layers[-1:]]
        return {
            "states": {
                layer["key"]: (layer["class_name"], State.from_dict(layer)) for layer in layers
            },
            "per_channel": bool(data["per_channel"]),
            "bins": int(data["bins"]),
            "activations": {layer["key"]: layer.get("activation") for layer in layers},
            "outputs": outputs,
            "inputs": {
                check["name"]: InputStats.from_dict(check) for check in data.get("inputs", ())
            },
        }
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise StatsError(
            f"Expected complete kerascope statistics. Received: {type(error).__name__}: {error}"
        ) from error
