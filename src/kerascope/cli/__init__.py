"""The `kerascope` command line.

    kerascope inspect MODEL [--layers SEL]
    kerascope capture MODEL INPUTS... --out FILE.npz|DIR [--layers SEL] [--dtype D]
    kerascope stats MODEL INPUTS... [--json FILE]
    kerascope diagnose MODEL INPUTS... [--json FILE] [--fail-on error|warning]
    kerascope report MODEL INPUTS... [-o FILE.html]
    kerascope examples MODEL INPUTS... [--layers SEL] [-k 9] [-o FILE.json|FILE.png]
    kerascope ablate MODEL INPUTS... [--labels FILE.npy] [--metric loss|accuracy] [-o FILE.json]
    kerascope verify STORE
    kerascope visualize MODEL LAYER [--channels 0-15] [-o vis.png|vis.npz]
    kerascope demo [--out DIR] [--epochs N]

MODEL is a `.keras` or `.h5` file; INPUTS are image files, directories of
images, or `.npy`/`.npz` arrays (see `kerascope._inputs.load_inputs`). The
backend is chosen by the `KERAS_BACKEND` environment variable.

Exit status: 0 on success; 1 when `diagnose` finds findings of severity
"error" (or "warning" with `--fail-on warning`); 2 for a usage or input error
(a missing or unreadable file, inputs that do not fit the model, an unknown
layer), reported as one line on standard error (`--debug` adds the
traceback); 3 for an unexpected failure, a bug worth reporting.

This module is the one place in kerascope that writes to standard output:
results go there, progress bars and errors to standard error.

`kerascope --help` and `--version` import neither Keras nor a backend; each
command imports Keras when it loads its model.
"""

from __future__ import annotations

import os

# TensorFlow's C++ start-up logging (CPU feature notices, XLA and oneDNN
# info lines) goes to standard error unless this is set before TensorFlow is
# first imported. A value the user set is kept. Level 2 hides INFO and
# WARNING lines, keeps errors. (TensorFlow's "oneDNN custom operations are
# on" notice ignores it; see the README's "Start-up" notes.)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import sys
import traceback
from collections.abc import Sequence

from kerascope.cli._commands import EXIT_ERROR, EXIT_FAILED, EXIT_FINDINGS, EXIT_OK
from kerascope.cli._parser import parser
from kerascope.errors import KerascopeError

__all__ = ["EXIT_ERROR", "EXIT_FAILED", "EXIT_FINDINGS", "EXIT_OK", "main", "parser"]

_EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `kerascope` command.

    Args:
        argv: The arguments after the program name. Defaults to `None`
            (`sys.argv[1:]`).

    Returns:
        The exit status (see the module docstring).

    Example:

    >>> main(["inspect", "model.keras"])                   # doctest: +SKIP
    0
    """
    args = parser().parse_args(argv)
    try:
        status: int = args.run(args)
        return status
    except KeyboardInterrupt:
        print("kerascope: interrupted", file=sys.stderr)
        return _EXIT_INTERRUPTED
    except Exception as error:
        return _report_error(error, debug=args.debug)


def _report_error(error: Exception, *, debug: bool) -> int:
    # A missing optional dependency is the user's to install (the message says
    # how); a name that cannot be imported from a module that exists is a bug.
    missing = isinstance(error, ModuleNotFoundError) or (
        isinstance(error, ImportError) and "pip install" in str(error)
    )
    expected = missing or isinstance(error, (KerascopeError, OSError))
    message = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, OSError) and not isinstance(error, KerascopeError):
        message = f"{type(error).__name__}: {message}"
    if not expected:
        message = (
            f"unexpected {type(error).__name__}: {message} "
            "(run with --debug for the traceback, and please report it)"
        )
    if debug:
        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    print(f"kerascope: error: {message}", file=sys.stderr)
    return EXIT_ERROR if expected else EXIT_FAILED
