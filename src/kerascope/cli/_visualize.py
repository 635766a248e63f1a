"""`kerascope visualize`: feature visualization of one layer, to a PNG grid or arrays."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import kerascope
from kerascope.cli._commands import EXIT_OK
from kerascope.cli._examples import channels
from kerascope.errors import InputError

__all__ = ["add_arguments", "visualize_command"]

_SUFFIXES = (".png", ".pdf", ".svg", ".npz")


def add_arguments(sub: argparse.ArgumentParser) -> None:
    """The arguments of `kerascope visualize MODEL LAYER` after MODEL (the
    shared loading parent parser gives MODEL, --custom-objects and --unsafe)."""
    sub.add_argument("layer", metavar="LAYER", help="the layer key (see `kerascope inspect`)")
    sub.add_argument(
        "--channels",
        type=channels,
        metavar="LIST",
        help="channels to show, e.g. 0-15 or 0,3,8-11 (default: all of the layer's)",
    )
    sub.add_argument(
        "-o", "--out", default="vis.png", metavar="FILE",
        help="a .png/.pdf/.svg grid, or .npz arrays (images, values, history, channels); "
        "default: %(default)s",
    )  # fmt: skip
    sub.add_argument("--steps", type=int, default=256, metavar="N", help="default: %(default)s")
    sub.add_argument("--param", choices=("fft", "pixel"), default="fft", help="default: fft")
    sub.add_argument(
        "--transforms", choices=("standard", "none"), default="standard", help="default: standard"
    )
    sub.add_argument(
        "--value-range", type=float, nargs=2, default=(0.0, 1.0), metavar=("LOW", "HIGH"),
        help="the range of the model's inputs (default: 0 1)",
    )  # fmt: skip
    sub.add_argument("--size", type=int, metavar="N", help="side for inputs of unknown size")
    sub.add_argument("--seed", type=int, default=0, metavar="N", help="default: %(default)s")


def visualize_command(args: argparse.Namespace) -> int:
    """`kerascope visualize`: optimises one image per channel and saves them."""
    from kerascope._inputs import load_model

    out = Path(args.out)
    if out.suffix.lower() not in _SUFFIXES:
        raise InputError(
            f"Expected --out to end in one of {list(_SUFFIXES)}. Received: {str(out)!r}"
        )
    model = load_model(args.model, custom_objects=args.custom_objects, unsafe=args.unsafe)
    vis = kerascope.visualize(
        model,
        args.layer,
        args.channels,
        steps=args.steps,
        param=args.param,
        transforms=args.transforms,
        value_range=tuple(args.value_range),
        size=args.size,
        seed=args.seed,
        progress=not args.quiet,
    )
    _save(vis, out)
    if not args.quiet:
        dead = f"; dead, not drawn: {sorted(vis.dead)}" if vis.dead else ""
        dead += f"; no gradient, flat: {sorted(vis.stuck)}" if vis.stuck else ""
        print(f"Wrote {len(vis)} visualizations of {vis.key!r} to {out}{dead}")
    return EXIT_OK


def _save(vis: Any, out: Path) -> None:
    if out.suffix.lower() == ".npz":
        import numpy as np

        np.savez(
            out,
            images=vis.images,
            values=vis.values,
            history=vis.history,
            channels=np.asarray(vis.channels, "int64"),
            dead=np.asarray(sorted(vis.dead), "int64"),
            stuck=np.asarray(sorted(vis.stuck), "int64"),
        )
        return
    kerascope.plot.visualizations(vis).savefig(out, dpi=120)
