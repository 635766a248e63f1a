"""`kerascope ablate`: how much each unit matters, saved as importance JSON."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kerascope.cli._commands import EXIT_OK, _model_and_inputs, _selection
from kerascope.errors import InputError

__all__ = ["ablate_command", "add_ablate"]


def add_ablate(sub: argparse.ArgumentParser) -> None:
    """The `ablate` command's own arguments."""
    sub.add_argument(
        "--labels",
        metavar="FILE",
        help="targets as a .npy array, one per sample (for loss, accuracy)",
    )
    sub.add_argument(
        "--metric", choices=("loss", "accuracy"), default="loss", help="default: %(default)s"
    )
    sub.add_argument(
        "--method",
        choices=("zero", "mean"),
        default="zero",
        help="set a unit to 0, or to its mean over the inputs (default: %(default)s)",
    )
    sub.add_argument(
        "--per",
        choices=("channel", "layer"),
        default="channel",
        help="ablate each channel, or each whole layer (default: %(default)s)",
    )
    sub.add_argument("-o", "--out", metavar="FILE", help="save the importance as JSON")


def ablate_command(args: argparse.Namespace) -> int:
    """`kerascope ablate`: the importance table, and `--out` to save it."""
    import kerascope

    model, x = _model_and_inputs(args)
    y = _labels(args.labels)
    importance = kerascope.ablation(
        model,
        x,
        y,
        layers=_selection(args.layers),
        metric=args.metric,
        method=args.method,
        per=args.per,
        batch_size=args.batch_size or 32,
        progress=not args.quiet,
    )
    print(repr(importance))
    if args.out is not None:
        importance.save(args.out)
        if not args.quiet:
            print(f"Wrote the importance to {args.out}")
    return EXIT_OK


def _labels(path: str | None) -> Any:
    import numpy as np

    if path is None:
        return None
    file = Path(path)
    if file.suffix != ".npy" or not file.is_file():
        raise InputError(f"Expected --labels to be an existing .npy file. Received: {path!r}")
    return np.load(file, allow_pickle=False)
