"""Benchmark: `kerascope.visualize`, batched against one channel at a time, and per step
against one forward+backward pass.

On the backend chosen by `KERAS_BACKEND`, for
`keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3))` and the
channels `0..63` of one middle layer (`--layer`, default `block_6_expand_relu`,
192 channels at 12 x 12), with the defaults of `visualize` (fft, decorrelated
colours, standard transforms):

- **batched**: one `visualize(model, layer, channels=range(64), steps=S)` call,
  compilation included, as a user runs it.
- **sequential**: `visualize(model, layer, channels=c, steps=S)` for the first
  `--sequential` channels, one call each (each compiles, as a user's loop
  would); the time per channel is scaled to 64 channels (printed as such).
- **per step**: `(t(S) - t(S0)) / (S - S0)` for two batched calls of `S` and
  `S0 = S // 4` steps (compilation cancels out), against
- **fwd+bwd floor**: one compiled forward pass of the same batch of 64 images
  up to the layer and the gradient of its channel means with respect to the
  images (`tf.function` + `GradientTape`, `jax.jit(jax.grad)` of a stateless
  call, torch autograd), median of `--rounds` calls after a warm-up.

Targets (issue 13): batched >= 10x faster than sequential; a step <= 1.5x the
floor. Timings only mean something on an otherwise idle machine; the load
average is printed.

    KERAS_BACKEND=jax .venv/bin/python benchmarks/visualize.py --steps 256
    KERAS_BACKEND=torch .venv/bin/python benchmarks/visualize.py --steps 32 --sequential 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

import kerascope

CHANNELS = 64
INPUT_SHAPE = (96, 96, 3)


def timed(function: Callable[[], Any]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def floor_step(model: Any, layer: str, x: np.ndarray) -> Callable[[], Any]:
    """One compiled forward pass up to `layer` and the gradient w.r.t. the images."""
    sub = keras.Model(model.inputs, model.get_layer(layer).output)
    onehot = np.eye(sub.output.shape[-1], dtype="float32")[:CHANNELS]
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(autograph=False)
        def grad(images: Any) -> Any:
            with tf.GradientTape() as tape:
                tape.watch(images)
                means = tf.reduce_mean(sub(images, training=False), axis=(1, 2))
                value = tf.reduce_sum(means * onehot)
            return tape.gradient(value, images)

        images = tf.constant(x)
        return lambda: grad(images).numpy()
    if backend == "jax":
        import jax

        trainable = [v.value for v in sub.trainable_variables]
        frozen = [v.value for v in sub.non_trainable_variables]

        def value(images: Any, trainable: Any, frozen: Any) -> Any:
            out, _ = sub.stateless_call(trainable, frozen, images, training=False)
            return (out.mean(axis=(1, 2)) * onehot).sum()

        grad = jax.jit(jax.grad(value))
        images = jax.numpy.asarray(x)
        return lambda: np.asarray(grad(images, trainable, frozen))
    import torch

    images = torch.tensor(x)

    def step() -> Any:
        leaf = images.detach().requires_grad_(True)
        means = sub(leaf, training=False).mean(dim=(1, 2))
        (gradient,) = torch.autograd.grad((means * torch.tensor(onehot)).sum(), [leaf])
        return gradient.numpy()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", default="block_6_expand_relu")
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--sequential", type=int, default=4, help="channels timed one by one")
    parser.add_argument("--rounds", type=int, default=5, help="floor calls timed")
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(weights=None, input_shape=INPUT_SHAPE)
    run = lambda channels, steps: kerascope.visualize(  # noqa: E731
        model, args.layer, channels, steps=steps, progress=False
    )
    run(range(2), 2)  # imports and first-use costs, outside every timing

    short = max(1, args.steps // 4)
    batched_short = timed(lambda: run(range(CHANNELS), short))
    batched = timed(lambda: run(range(CHANNELS), args.steps))
    per_step = (batched - batched_short) / (args.steps - short)
    sequential = [timed(lambda c=c: run(c, args.steps)) for c in range(args.sequential)]
    sequential_64 = statistics.mean(sequential) * CHANNELS

    x = np.random.default_rng(0).random((CHANNELS, *INPUT_SHAPE), dtype=np.float32)
    step = floor_step(model, args.layer, x)
    step()
    floor = statistics.median(timed(step) for _ in range(args.rounds))

    backend = keras.backend.backend()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"backend {backend}; {args.layer}, {CHANNELS} channels, {args.steps} steps; load {load}")
    print(f"batched (one call, {CHANNELS} images):           {batched:9.2f} s")
    print(
        f"sequential ({args.sequential} channels timed, x{CHANNELS // max(args.sequential, 1)}"
        f" scaled to {CHANNELS}): {sequential_64:9.2f} s  "
        f"({statistics.mean(sequential):.2f} s per channel)"
    )
    print(f"  batched speed-up: {sequential_64 / batched:6.1f}x   (target >= 10x)")
    print(f"per step (batch of {CHANNELS}, compile excluded):   {per_step * 1e3:9.1f} ms")
    print(f"fwd+bwd floor (same batch, to {args.layer}):   {floor * 1e3:9.1f} ms")
    print(f"  step / floor:     {per_step / floor:6.2f}x   (target <= 1.5x)")


if __name__ == "__main__":
    main()
