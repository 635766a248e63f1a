"""`run_edited`: a probe's forward pass with its selected outputs edited in flight.

The seam interventions are built on. A `Probe` records its selected layers'
outputs; here the same call interception hands each of them to an `edit`
function, whose result goes on through the model instead (ablation, steering,
patching). The pass is not compiled: callers run it inside a function they
hand to a backend to compile, with the variable values that backend passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras

from kerascope.capture._intercept import Recorder
from kerascope.capture._probe import Probe, _check_recorded
from kerascope.errors import CaptureError

__all__ = ["run_edited"]


def run_edited(
    probe: Probe,
    inputs: Any,
    edit: Callable[[str, Any], Any],
    *,
    state: Sequence[tuple[Any, Any]] | None = None,
    training: bool | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Runs the probe's model once, passing each selected output through `edit`.

    The whole model runs (no early stop); the model and its variables are not
    changed, and no layer is left patched, even if the pass raises.

    Args:
        probe: A discovered `Probe`: its selected keys are the ones edited.
        inputs: One batch of backend tensors (or numpy arrays), structured
            like the model's inputs.
        edit: `(key, output) -> output`, with `keras.ops`; what it returns
            flows on through the model. Return `output` to leave it unchanged.
        state: `(variable, value)` pairs the pass reads instead of the
            variables' own values (JAX compiles variables as arguments this
            way), as for `keras.StatelessScope`. Defaults to `None`.
        training: The mode to run in. Defaults to `None` (the probe's).

    Returns:
        `(model outputs, {key: edited output})`, the second for every
        selected key, in execution order.

    Raises:
        CaptureError: if the model no longer exists, was not discovered, or
            skipped a selected layer.

    Example:

    >>> probe = kerascope.Probe(model, layers="conv1")       # doctest: +SKIP
    >>> out, edited = run_edited(probe, x, lambda k, o: o * 0)  # doctest: +SKIP
    """
    model = probe._model_ref()
    if model is None:
        raise CaptureError("The model of this Probe no longer exists.")
    found = probe._discovered()
    recorder = Recorder(found.key_of, found.wanted, tap=edit)
    mode = probe._training if training is None else bool(training)
    mapping = None if state is None else list(state)
    with keras.StatelessScope(state_mapping=mapping), recorder.recording(probe._tree):
        outputs = model(inputs, training=mode)
    _check_recorded(found, recorder)
    ordered = {key: recorder.outputs[key] for key in found.layer_keys}
    return outputs, ordered
