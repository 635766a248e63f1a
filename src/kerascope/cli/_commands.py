"""The `kerascope` commands: each takes the parsed arguments, returns the exit status.

Keras (and so the backend) is imported inside the commands that load a model,
never when this module is imported: `kerascope --help` and `--version` answer
without it.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import kerascope
from kerascope._text import table
from kerascope.cli._output import human_bytes, shape_text, write_npz
from kerascope.errors import InputError

__all__ = ["EXIT_ERROR", "EXIT_FAILED", "EXIT_FINDINGS", "EXIT_OK"]

EXIT_OK = 0
#: `diagnose` found findings at or above `--fail-on`, or `verify` found damage.
EXIT_FINDINGS = 1
#: A usage or input error: argparse's own code, and every `KerascopeError`.
EXIT_ERROR = 2
#: An unexpected exception: a bug in kerascope or the model.
EXIT_FAILED = 3


def inspect_command(args: argparse.Namespace) -> int:
    """`kerascope inspect`: a table of layer keys, classes, output shapes, params."""
    import keras

    model = _model(args)
    layers = kerascope.layers(model)
    probe = kerascope.Probe(model, _selection(args.layers))  # compiles nothing until called
    rows = [("key", "class", "output shape", "activation", "params")]
    for key, info in probe.specs.items():
        shape = shape_text(info.shape)
        params = f"{layers[key].count_params():,}"
        rows.append((key, info.class_name, shape, info.activation or "-", params))
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    frozen = sum(math.prod(w.shape) for w in model.non_trainable_weights)
    inputs = ", ".join(
        f"{t.name} {shape_text(tuple(t.shape))} {t.dtype}"
        for t in keras.tree.flatten(probe.input_spec)
    )
    print(f"Model {model.name!r} ({type(model).__name__}), inputs: {inputs}")
    print(table(rows, left=4))
    print(
        f"Total params: {trainable + frozen:,} (trainable: {trainable:,}, "
        f"non-trainable: {frozen:,}); {len(rows) - 1} of {len(layers)} layer keys shown"
    )
    return EXIT_OK


def capture_command(args: argparse.Namespace) -> int:
    """`kerascope capture`: layer outputs to a `.npz` file or a Zarr store."""
    from kerascope.keys import output_leaves

    dtype = _float_dtype(args.dtype)
    model, x = _model_and_inputs(args)
    out = Path(args.out)
    progress = not args.quiet
    if out.suffix.lower() == ".npz":
        if out.exists() and not args.overwrite:
            raise InputError(
                f"Expected --out to name a new file (or pass --overwrite). Received: "
                f"{str(out)!r}, which exists"
            )
        acts = kerascope.capture(
            model, x, _selection(args.layers), batch_size=args.batch_size or 32, progress=progress
        )
        arrays = {
            name: _cast(leaf, dtype)
            for key, value in acts.items()
            for name, leaf in output_leaves(key, value)
            if leaf is not None
        }
        write_npz(out, arrays)
        size = out.stat().st_size
    else:
        store = kerascope.record(
            model,
            x,
            out,
            _selection(args.layers),
            batch_size=args.batch_size or 32,
            dtype=dtype,
            overwrite=args.overwrite,
            progress=progress,
        )
        arrays = {
            name: leaf
            for key in store
            for name, leaf in output_leaves(key, store[key])
            if leaf is not None
        }
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    if not args.quiet:
        rows = [("array", "shape", "dtype")]
        rows += [(name, str(tuple(a.shape)), str(a.dtype)) for name, a in arrays.items()]
        print(f"Wrote {len(arrays)} arrays to {out} ({human_bytes(size)}):")
        print(table(rows, left=3))
    return EXIT_OK


def stats_command(args: argparse.Namespace) -> int:
    """`kerascope stats`: the statistics table, and `--json` to save it."""
    model, x = _model_and_inputs(args)
    statistics = kerascope.stats(
        model, x, _selection(args.layers), batch_size=args.batch_size, progress=not args.quiet
    )
    _emit(repr(statistics), statistics.to_json(), args, "statistics")
    return EXIT_OK


def diagnose_command(args: argparse.Namespace) -> int:
    """`kerascope diagnose`: the findings; status 1 for any at `--fail-on`."""
    model, x = _model_and_inputs(args)
    findings = kerascope.diagnose(
        model, x, _selection(args.layers), batch_size=args.batch_size, progress=not args.quiet
    )
    hints = dict.fromkeys(f"  {f.kind}: {f.hint}" for f in findings)
    text = repr(findings) + ("\nHints:\n" + "\n".join(hints) if hints else "")
    _emit(text, findings.to_json(), args, "findings")
    failing = ("error",) if args.fail_on == "error" else ("error", "warning")
    return EXIT_FINDINGS if any(f.severity in failing for f in findings) else EXIT_OK


def report_command(args: argparse.Namespace) -> int:
    """`kerascope report`: a self-contained HTML report."""
    from kerascope.report import report

    model, x = _model_and_inputs(args)
    path = report(
        model,
        x,
        args.out,
        layers=_selection(args.layers),
        batch_size=args.batch_size,
        progress=not args.quiet,
    )
    if not args.quiet:
        print(f"Wrote the report to {path} ({human_bytes(Path(path).stat().st_size)})")
    return EXIT_OK


def verify_command(args: argparse.Namespace) -> int:
    """`kerascope verify`: each damaged part of a store; status 1 if any."""
    from kerascope.store import verify_store  # reads the store without Keras

    report = verify_store(args.store, progress=not args.quiet)
    for problem in report.problems:
        print(problem)
    if not args.quiet:
        print(str(report).splitlines()[-1])
    return EXIT_OK if report.ok else EXIT_FINDINGS


def demo_command(args: argparse.Namespace) -> int:
    """`kerascope demo`: trains a small CNN and writes what kerascope shows."""
    from kerascope import _demo

    _demo.run(out_dir=args.out, epochs=args.epochs, progress=not args.quiet, out=sys.stdout)
    return EXIT_OK


def _model(args: argparse.Namespace) -> Any:
    from kerascope._inputs import load_model

    return load_model(args.model, custom_objects=args.custom_objects, unsafe=args.unsafe)


def _model_and_inputs(args: argparse.Namespace) -> tuple[Any, Any]:
    from kerascope._inputs import load_inputs

    model = _model(args)
    return model, load_inputs(args.inputs, model, preprocess=args.preprocess, key=args.key)


def _selection(values: list[str] | None) -> list[str] | None:
    """`--layers a,b --layers 'c*'` -> ["a", "b", "c*"]; None selects every layer."""
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _emit(text: str, json_text: str, args: argparse.Namespace, what: str) -> None:
    """Prints `text`, and writes `json_text` to `--json` (only it, to stdout, for '-')."""
    if args.json == "-":
        print(json_text)
        return
    print(text)
    if args.json is not None:
        Path(args.json).write_text(json_text, encoding="utf-8")
        if not args.quiet:
            print(f"Wrote the {what} to {args.json}")


def _float_dtype(name: str | None) -> str | None:
    import numpy as np

    if name is None:
        return None
    try:
        dtype = np.dtype(name)
    except TypeError:
        dtype = np.dtype(object)
    if dtype.kind != "f":
        raise InputError(
            f"Expected --dtype to be a float dtype such as float16. Received: {name!r}"
        )
    return str(dtype.name)


def _cast(array: Any, dtype: str | None) -> Any:
    if dtype is None or array.dtype.kind != "f":
        return array
    return array.astype(dtype)
