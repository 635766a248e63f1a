"""Per-backend compilation and host transfer: the only place that imports a framework.

`current()` returns the `Backend` for Keras' active backend. Each one turns a
pure forward function into a compiled one (`tf.function`, `jax.jit` of a
stateless call, `torch.no_grad` eager) and moves its outputs to numpy without
copying where the framework allows.
"""

from __future__ import annotations

import functools

import keras

from kerascope.backends._base import Backend, ForwardFn

__all__ = ["Backend", "ForwardFn", "current"]


def current() -> Backend:
    """The `Backend` for `keras.backend.backend()`."""
    return _load(keras.backend.backend())


@functools.cache
def _load(name: str) -> Backend:
    if name == "tensorflow":
        from kerascope.backends._tensorflow import TensorFlowBackend

        return TensorFlowBackend()
    if name == "jax":
        from kerascope.backends._jax import JaxBackend

        return JaxBackend()
    if name == "torch":
        from kerascope.backends._torch import TorchBackend

        return TorchBackend()
    from kerascope.errors import KerascopeError

    raise KerascopeError(
        "kerascope supports the Keras backends tensorflow, jax and torch. "
        f"Received: keras.backend.backend()={name!r}"
    )
