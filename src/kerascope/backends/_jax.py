"""JAX: `jax.jit` of a stateless forward pass, compiled once per batch bucket."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from kerascope.backends._base import ForwardFn


class JaxBackend:
    name = "jax"
    static_batch = True

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
