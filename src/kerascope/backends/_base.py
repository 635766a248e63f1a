"""What every backend provides."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

# A tap: (key, layer outputs) -> the outputs that go on through the model.
Tap = Callable[[str, Any], Any]

# A forward function: (variable values or None, input structure) -> outputs.
# With values, the forward pass reads the model's variables from them (a
# stateless call); with None, from the variables themselves.
ForwardFn = Callable[[Any, Any], Any]

# An objective to descend: (variable values or None, parameters, extra inputs)
# -> (scalar loss, auxiliary outputs). As for `ForwardFn`, with values the
# forward pass reads the model's variables from them (JAX).
LossFn = Callable[[Any, Any, Any], tuple[Any, Any]]
# An optimiser update: (parameters, their gradient, optimiser state, extra
# inputs) -> (new parameters, new state), written with `keras.ops`.
UpdateFn = Callable[[Any, Any, Any, Any], tuple[Any, Any]]
# One compiled step: (parameters, state, extra) -> (parameters, state, aux).
StepFn = Callable[[Any, Any, Any], tuple[Any, Any, Any]]


class Compiled(Protocol):
    """A compiled forward function of the inputs."""

    def __call__(self, inputs: Any) -> Any:
        """Runs the forward pass on `inputs` with the variables' current values."""
        ...

    def prepare(self, inputs: Any) -> None:
        """Compiles for inputs shaped like `inputs` now; changes nothing.

        Safe in another thread while the model trains: on JAX, where `fit`
        keeps the variables' values outside the model, it reads only their
        shapes; TensorFlow runs the traced graph once (its first execution
        optimises it) and drops the result. A no-op where nothing compiles.
        """
        ...


class Backend(Protocol):
    """Compiles forward functions and moves their outputs to the host."""

    name: str
    #: Whether each new batch size costs a new compilation, so batches are
    #: padded to a few bucket sizes (JAX).
    static_batch: bool
    #: Whether the next forward pass should run in a background thread while
    #: the caller summarises the last one. Not for torch: its OpenMP workers
    #: stall when another thread competes for the cores (measured 1.4x slower
    #: `stats` on 2 cores, `benchmarks/record.py`).
    prefetch: bool
    #: Whether `compile` compiles anything (torch runs eagerly), so that
    #: compiling ahead (`Compiled.prepare`) is worth a thread.
    compiles: bool

    @property
    def accelerated(self) -> bool:
        """Whether Keras computes on an accelerator (GPU/TPU) rather than the CPU."""
        ...

    def compile(self, forward: ForwardFn, variables: Sequence[Any], input_spec: Any) -> Compiled:
        """Compiles `forward` once for all batch sizes (or all buckets).

        Returns a function of the inputs, compiled on first use (or by its
        `prepare`). `variables` are the model's
        variables, passed to `forward` as values where the backend keeps state
        outside the model (JAX); `input_spec` is a structure of
        `keras.KerasTensor`, or None when unknown.
        """
        ...

    def to_numpy(self, tensors: Any) -> Any:
        """Host numpy arrays for a tensor or a structure of them, without a copy
        where possible, and with one wait for all of them on an accelerator."""
        ...

    def gradient_step(self, loss: LossFn, update: UpdateFn, variables: Sequence[Any]) -> StepFn:
        """One optimisation step of parameters that are not the model's variables.

        Differentiates `loss` with respect to its parameters only (a tensor or
        a structure of them) and applies `update`, compiled where it pays
        (a `tf.function` around a `GradientTape`; `jax.jit` of
        `jax.value_and_grad` with the model's `variables` passed as values,
        statelessly; torch autograd, eager). The model's variables are read,
        never changed, and get no gradient.

        Returns:
            `step(params, state, extra) -> (params, state, aux)` on backend
            tensors; compiled on its first call, once for all later calls with
            the same shapes.
        """
        ...

    def gradients(self, loss_of: Callable[[Tap], Any]) -> dict[str, list[np.ndarray]]:
        """d(loss)/d(activation) for every activation the forward pass taps.

        `loss_of(tap)` runs the forward pass, passing each selected layer
        output through `tap(key, outputs)` (whose result flows on), and
        returns the scalar loss. Runs eagerly, with gradients enabled.

        Returns:
            key -> one numpy gradient per leaf of `keras.tree.flatten(outputs)`.
        """
        ...
