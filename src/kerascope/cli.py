"""The `kerascope` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `kerascope` command; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="kerascope",
        description="Layer activations for Keras 3 models, on every backend. "
        "The backend is chosen by the KERAS_BACKEND environment variable.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="train a small CNN on bundled digits and capture every layer"
    )
    demo.add_argument("--epochs", type=int, default=10, help="training epochs (default: 10)")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.command == "demo":
        from kerascope import _demo

        _demo.run(epochs=args.epochs, out=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
