"""PyTorch: the eager forward pass under `torch.no_grad`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import torch

from kerascope.backends._base import Compiled, ForwardFn, LossFn, StepFn, Tap, UpdateFn


class TorchBackend:
    name = "torch"
    static_batch = False
    prefetch = False
    compiles = False

    @property
    def accelerated(self) -> bool:
        # Keras puts torch tensors on its default device: CUDA or MPS when present.
        device = keras.ops.convert_to_tensor(0.0).device
        return bool(device.type != "cpu")

    def compile(self, forward: ForwardFn, variables: Sequence[Any], input_spec: Any) -> Compiled:
        del variables, input_spec
        return _Eager(forward)

    def to_numpy(self, tensors: Any) -> Any:
        # `.numpy()` of a CPU tensor shares its memory. From a GPU, every copy
        # is queued (into pinned memory) before one wait for all of them.
        leaves = [t.detach() for t in keras.tree.flatten(tensors)]
        if any(t.device.type == "cuda" for t in leaves):
            leaves = [t.to("cpu", non_blocking=True) for t in leaves]
            torch.cuda.synchronize()
        return keras.tree.pack_sequence_as(tensors, [t.cpu().numpy() for t in leaves])

    def gradient_step(self, loss: LossFn, update: UpdateFn, variables: Sequence[Any]) -> StepFn:
        del variables  # eager: the forward pass reads them; autograd.grad fills no `.grad`.

        def step(params: Any, state: Any, extra: Any) -> tuple[Any, Any, Any]:
            leaves = [t.detach().requires_grad_(True) for t in keras.tree.flatten(params)]
            watched = keras.tree.pack_sequence_as(params, leaves)
            with torch.enable_grad():
                value, aux = loss(None, watched, extra)
                grads = torch.autograd.grad(value, leaves)
            with torch.no_grad():
                detached = keras.tree.pack_sequence_as(params, [t.detach() for t in leaves])
                new, state = update(
                    detached, keras.tree.pack_sequence_as(params, list(grads)), state, extra
                )
            return new, state, keras.tree.map_structure(lambda t: t.detach(), aux)

        return step

    def gradients(self, loss_of: Callable[[Tap], Any]) -> dict[str, list[np.ndarray]]:
        watched: dict[str, list[Any]] = {}

        def tap(key: str, outputs: Any) -> Any:
            # An output that needs no gradient (nothing trainable before it)
            # becomes a leaf that does; what flows downstream is unchanged.
            leaves = [
                leaf if leaf.requires_grad else leaf.detach().requires_grad_(True)
                for leaf in keras.tree.flatten(outputs)
            ]
            watched[key] = leaves
            return keras.tree.pack_sequence_as(outputs, leaves)

        with torch.enable_grad():
            loss = loss_of(tap)
            sources = [leaf for leaves in watched.values() for leaf in leaves]
            grads = iter(torch.autograd.grad(loss, sources, allow_unused=True))
        return {
            key: [
                self.to_numpy(g) if g is not None else np.zeros(leaf.shape, np.float32)
                for leaf, g in zip(leaves, grads)
            ]
            for key, leaves in watched.items()
        }


class _Eager:
    """The forward pass, eager under `torch.no_grad`: nothing to compile."""

    def __init__(self, forward: ForwardFn) -> None:
        self._forward = forward

    def __call__(self, inputs: Any) -> Any:
        tensors = keras.tree.map_structure(keras.ops.convert_to_tensor, inputs)
        with torch.no_grad():
            return self._forward(None, tensors)

    def prepare(self, inputs: Any) -> None:
        del inputs
