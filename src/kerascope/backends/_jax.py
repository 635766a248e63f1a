"""JAX: `jax.jit` of a stateless forward pass, compiled once per batch bucket."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import keras
import numpy as np

from kerascope.backends._base import ForwardFn, Tap


class JaxBackend:
    name = "jax"
    static_batch = True
    prefetch = True

    @property
    def accelerated(self) -> bool:
        return jax.default_backend() != "cpu"

    def compile(
        self, forward: ForwardFn, variables: Sequence[Any], input_spec: Any
    ) -> Callable[[Any], Any]:
        del input_spec  # jax.jit specialises on each input shape it sees.
        variables = list(variables)

        # Variables are arguments, not constants baked into the program: the
        # compiled function stays valid as the weights change.
        jitted = jax.jit(forward)

        def call(inputs: Any) -> Any:
            return jitted([variable.value for variable in variables], inputs)

        return call

    def to_numpy(self, tensor: Any) -> np.ndarray:
        return np.asarray(tensor)

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
