"""`kerascope examples`: the top dataset examples of each unit, as a table, JSON or figures."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from kerascope.cli._commands import EXIT_OK, _model_and_inputs, _selection
from kerascope.errors import InputError

__all__ = ["channels", "examples_command"]

_SUFFIXES = (".png", ".json")


def examples_command(args: argparse.Namespace) -> int:
    """`kerascope examples`: the examples table; `-o` writes JSON or one PNG per layer."""
    out = None if args.out is None else Path(args.out)
    if out is not None and out.suffix.lower() not in _SUFFIXES:
        raise InputError(f"Expected -o to name a .png or .json file. Received: {str(out)!r}")
    import numpy as np

    import kerascope

    model, x = _model_and_inputs(args)
    found = kerascope.top_examples(
        model,
        x,
        _selection(args.layers),
        k=args.k,
        bottom=args.bottom,
        batch_size=args.batch_size,
        progress=not args.quiet,
    )
    print(repr(found))
    if out is None:
        return EXIT_OK
    if out.suffix.lower() == ".json":
        found.save(out)
        written = [out]
    else:
        if not isinstance(x, np.ndarray):
            raise InputError(
                "Expected one input array to draw examples. Received: inputs of type "
                f"{type(x).__name__}; write them with -o FILE.json instead"
            )
        written = []
        for key in found:
            path = out if len(found) == 1 else out.with_name(f"{out.stem}-{_safe(key)}.png")
            figure = kerascope.plot.examples(found, key, x, channels=args.channels)
            figure.savefig(path, dpi=100)
            written.append(path)
    if not args.quiet:
        print("Wrote " + ", ".join(str(p) for p in written))
    return EXIT_OK


def channels(text: str) -> list[int]:
    """`"0-3,7"` -> `[0, 1, 2, 3, 7]`: the argparse type of every `--channels`.

    Args:
        text: Comma-separated channels and inclusive ranges `first-last`.

    Returns:
        The channels, in the order given.

    Raises:
        argparse.ArgumentTypeError: for anything else, or a range that runs backwards.
    """
    chosen: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        first = int(match.group(1)) if match else 0
        last = int(match.group(2)) if match and match.group(2) else first
        if match is None or last < first:
            raise argparse.ArgumentTypeError(
                f"expected channels such as 0-15 or 0,3,8-11, received {text!r}"
            )
        chosen.extend(range(first, last + 1))
    return chosen


def _safe(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", key).strip("_") or "layer"
