"""JAX: `jax.jit` of a stateless forward pass, compiled once per batch bucket."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import keras
import numpy as np

from kerascope.backends._base import Compiled, ForwardFn, LossFn, StepFn, Tap, UpdateFn


class JaxBackend:
    name = "jax"
    static_batch = True
    prefetch = True
    compiles = True

    @property
    def accelerated(self) -> bool:
        return jax.default_backend() != "cpu"

    def compile(self, forward: ForwardFn, variables: Sequence[Any], input_spec: Any) -> Compiled:
        del input_spec  # jax.jit specialises on each input shape it sees.
        return _Jitted(forward, list(variables))

    def to_numpy(self, tensors: Any) -> Any:
        # Starts every device-to-host copy before waiting for the first.
        return jax.device_get(tensors)

    def gradient_step(self, loss: LossFn, update: UpdateFn, variables: Sequence[Any]) -> StepFn:
        # Stateless, as `compile`: the variables' values are arguments of the
        # jitted step (not constants baked in), and only `params` is differentiated.
        variables = list(variables)

        def step(values: Any, params: Any, state: Any, extra: Any) -> tuple[Any, Any, Any]:
            (_, aux), grads = jax.value_and_grad(lambda p: loss(values, p, extra), has_aux=True)(
                params
            )
            params, state = update(params, grads, state, extra)
            return params, state, aux

        jitted = jax.jit(step)

        def run(params: Any, state: Any, extra: Any) -> tuple[Any, Any, Any]:
            return jitted([v.value for v in variables], params, state, extra)  # type: ignore[no-any-return]

        return run

    def gradients(self, loss_of: Callable[[Tap], Any]) -> dict[str, list[np.ndarray]]:
        # JAX differentiates functions of arguments, not intermediate values:
        # add a zero perturbation to each tapped output and differentiate with
        # respect to it. A first, abstract pass finds the outputs' shapes.
        shapes: dict[str, list[Any]] = {}

        def record(key: str, outputs: Any) -> Any:
            shapes[key] = [
                jax.ShapeDtypeStruct(o.shape, o.dtype) for o in keras.tree.flatten(outputs)
            ]
            return outputs

        jax.eval_shape(lambda: loss_of(record))

        def loss(perturbations: dict[str, list[Any]]) -> Any:
            def tap(key: str, outputs: Any) -> Any:
                leaves = [o + p for o, p in zip(keras.tree.flatten(outputs), perturbations[key])]
                return keras.tree.pack_sequence_as(outputs, leaves)

            return loss_of(tap)

        zeros = {
            key: [jax.numpy.zeros(s.shape, s.dtype) for s in leaves]
            for key, leaves in shapes.items()
        }
        grads = jax.grad(loss)(zeros)
        return {key: [np.asarray(g) for g in leaves] for key, leaves in grads.items()}


class _Jitted:
    """`jax.jit(forward)` called with the variables' values as arguments.

    Variables are arguments, not constants baked into the program, so the
    compiled function stays valid as the weights change.
    """

    def __init__(self, forward: ForwardFn, variables: list[Any]) -> None:
        self._jitted = jax.jit(forward)
        self._variables = variables
        # Executables compiled ahead by `prepare`, by input signature.
        self._ahead: dict[Any, Any] = {}

    def __call__(self, inputs: Any) -> Any:
        values = [variable.value for variable in self._variables]
        if self._ahead:
            ahead = self._ahead.get(_signature(inputs))
            if ahead is not None:
                return ahead(values, inputs)
        return self._jitted(values, inputs)

    def prepare(self, inputs: Any) -> None:
        abstract = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in self._variables]
        shapes = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), inputs)
        self._ahead[_signature(inputs)] = self._jitted.lower(abstract, shapes).compile()


def _signature(inputs: Any) -> Any:
    leaves, structure = jax.tree.flatten(inputs)
    return structure, tuple((a.shape, str(a.dtype)) for a in leaves)
