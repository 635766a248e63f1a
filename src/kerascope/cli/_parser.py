"""The `kerascope` argument parser: its commands, arguments and help."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from kerascope import __version__
from kerascope._inputs import PREPROCESS
from kerascope.cli import _ablate, _commands, _examples, _visualize

__all__ = ["parser"]


def parser() -> argparse.ArgumentParser:
    """The `kerascope` argument parser; each command sets `run(args) -> exit status`."""
    root = argparse.ArgumentParser(
        prog="kerascope",
        description="Layer activations of saved Keras 3 models, on every backend "
        "(chosen by the KERAS_BACKEND environment variable).",
        epilog="Exit status: 0 success; 1 diagnose found errors, or verify found damage; "
        "2 usage or input error; "
        "3 unexpected failure.",
    )
    root.add_argument("--version", action="version", version=f"kerascope {__version__}")
    root.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: given after the command it sets --debug; absent, it keeps the global value.
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    common.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars or informational messages"
    )
    loaded = argparse.ArgumentParser(add_help=False)  # a model file, without --layers
    loaded.add_argument("model", metavar="MODEL", help="a saved model: .keras or .h5")
    loaded.add_argument(
        "--custom-objects",
        action="append",
        default=[],
        metavar="MODULE:NAME",
        help="import MODULE and register its NAME (a custom layer class) for loading; repeatable",
    )
    loaded.add_argument(
        "--unsafe",
        action="store_true",
        help="allow Lambda layers, whose code runs on loading (only for files you trust)",
    )
    model = argparse.ArgumentParser(add_help=False, parents=[loaded])
    model.add_argument(
        "--layers",
        action="append",
        metavar="SEL",
        help="layer keys or globs ('conv*'), comma-separated or repeated (default: all)",
    )
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUTS",
        help="image files, directories of images (PNG, JPEG), or .npy/.npz arrays",
    )
    data.add_argument(
        "--preprocess",
        choices=PREPROCESS,
        default="unit",
        help="pixel scaling of images: unit [0, 1] (default), raw 0..255, symmetric [-1, 1], "
        "imagenet (torchvision mean/std)",
    )
    data.add_argument("--key", metavar="NAME", help="the array to read from .npz inputs")
    data.add_argument(
        "--batch-size",
        type=_positive,
        metavar="N",
        help="samples per forward pass (default: 32 for capture, chosen for the rest)",
    )

    def command(
        name: str, run: Callable[[argparse.Namespace], int], help: str, *parents: Any
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help, parents=[*parents, common])
        sub.set_defaults(run=run)
        return sub

    command(
        "inspect",
        _commands.inspect_command,
        "list layer keys, output shapes and parameter counts",
        model,
    )
    sub = command(
        "capture",
        _commands.capture_command,
        "save layer outputs to .npz or a Zarr store",
        model,
        data,
    )
    sub.add_argument(
        "-o",
        "--out",
        required=True,
        metavar="PATH",
        help="a .npz file, or a directory for a Zarr store",
    )
    sub.add_argument("--dtype", help="store floats as this dtype, e.g. float16")
    sub.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    sub = command(
        "stats", _commands.stats_command, "print activation statistics per layer", model, data
    )
    sub.add_argument("--json", metavar="FILE", help="also save them as JSON ('-': stdout only)")
    sub = command(
        "examples",
        _examples.examples_command,
        "the inputs that drive each unit hardest (top dataset examples)",
        model,
        data,
    )
    sub.add_argument("-k", type=_positive, default=9, metavar="N", help="default: %(default)s")
    sub.add_argument("--bottom", action="store_true", help="also keep the most negative")
    sub.add_argument(
        "--channels", type=_examples.channels, metavar="C", help="for PNG: e.g. 0-7 (default: 8)"
    )
    sub.add_argument("-o", "--out", metavar="FILE", help="a .json file, or .png figures")
    sub = command(
        "diagnose",
        _commands.diagnose_command,
        "find dead, saturated, non-finite activations",
        model,
        data,
    )
    sub.add_argument("--json", metavar="FILE", help="also save findings as JSON ('-': stdout)")
    sub.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        default="error",
        help="exit with status 1 on findings of this severity or worse (default: error)",
    )
    sub = command(
        "report", _commands.report_command, "write a self-contained HTML report", model, data
    )
    sub.add_argument(
        "-o", "--out", default="kerascope-report.html", metavar="FILE", help="default: %(default)s"
    )
    sub = command(
        "ablate",
        _ablate.ablate_command,
        "how much each unit matters: a metric with each channel ablated",
        model,
        data,
    )
    _ablate.add_ablate(sub)
    sub = command(
        "verify",
        _commands.verify_command,
        "check a store's chunks against their checksums; one line per damaged part",
    )
    sub.add_argument("store", metavar="STORE", help="a store's directory (from capture --out)")
    sub = command(
        "visualize",
        _visualize.visualize_command,
        "optimise inputs that excite a layer's channels; save a grid (.png) or arrays (.npz)",
        loaded,
    )
    _visualize.add_arguments(sub)
    sub = command(
        "demo", _commands.demo_command, "train a small CNN on digits; write a report and logs"
    )
    sub.add_argument("--out", default="kerascope-demo", metavar="DIR", help="default: %(default)s")
    sub.add_argument(
        "--epochs", type=_positive, default=10, metavar="N", help="default: %(default)s"
    )
    return root


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}")
    return value
