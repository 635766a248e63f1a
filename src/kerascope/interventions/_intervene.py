"""`intervene`: a model run with layer outputs edited, in one compiled forward pass."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import numpy as np

from kerascope import backends, data
from kerascope._progress import ProgressBar
from kerascope.capture import Activations
from kerascope.errors import InputError
from kerascope.interventions._bind import bind, calls_of, interventions_of, shapes_of
from kerascope.interventions._plan import Bound, LoadToken, Plan, plan_for
from kerascope.interventions._values import Intervention
from kerascope.select import LayerSelection, resolve

__all__ = ["Intervened", "intervene"]

Edits = Mapping[Any, Intervention | Sequence[Intervention] | Callable[[str, Any], Any]]


def intervene(model: Any, edits: Edits, *, training: bool = False) -> Intervened:
    """The model with layer outputs edited in flight: ablated, clamped, steered, patched.

    The edits run inside one compiled forward pass (`tf.function`, `jax.jit`
    with the edits' numbers as arguments, eager torch), compiled once per
    model and kinds of edit: a new `intervene` with other numbers or other
    units of the same kinds reuses it. The model is never changed.

    Args:
        model: A built Keras model.
        edits: `{selection: intervention}`: a key (`"conv2"`, `"shared:1"`), a
            glob or any `layers=` selector, mapped to an intervention from
            `kerascope.interventions` (`zero`, `mean`, `clamp`, `scale`,
            `add`, `set`, `patch`), a list of them (applied in order), or a
            function `(key, output) -> output` written with `keras.ops`.
        training: Run layers in training mode. Defaults to `False`.

    Returns:
        An `Intervened`: call it or its `predict` on data, or pass it to
        `kerascope.capture` for the activations downstream of the edits.

    Raises:
        InputError: for an edit that is not an intervention, or selections
            outside a layer's output.
        SelectionError: for a selection that names no layer.

    Example:

    >>> from kerascope.interventions import zero
    >>> edited = kerascope.intervene(model, {"conv2": zero(channels=[7])})  # doctest: +SKIP
    >>> edited.predict(x).argmax(-1)                                       # doctest: +SKIP
    """
    if not isinstance(edits, Mapping) or not edits:
        raise InputError(
            "Expected edits as a non-empty dict {layer key: intervention}. "
            f"Received: {type(edits).__name__} {edits!r}"[:300]
        )
    calls = calls_of(model, training)
    per_key: dict[str, list[Intervention]] = {}
    for selector, value in edits.items():
        for key in resolve(selector, calls):
            per_key.setdefault(key, []).extend(interventions_of(selector, value))
    order = [key for key, _ in calls if key in per_key]
    shapes = shapes_of(model, order, training)
    sources: list[Any] = []
    bound = []
    for key in order:
        for intervention in per_key[key]:
            source = None
            if intervention.kind == "patch":
                found = [i for i, s in enumerate(sources) if s is intervention.of]
                source = found[0] if found else len(sources)
                if not found:
                    sources.append(intervention.of)
            values = bind(model, key, intervention, shapes[key], training)
            bound.append(Bound(key, intervention, values, source))
    plan = plan_for(model, bound, len(sources), training)
    return Intervened(model, plan, bound, sources, training)


class Intervened:
    """A model with edits applied; made by `kerascope.intervene`.

    Call it (or `predict`) on data for the edited model's outputs, or pass it
    to `kerascope.capture(intervened, x, layers=...)` for layer outputs
    downstream of the edits (an edited layer's key gives its edited output).
    """

    def __init__(
        self, model: Any, plan: Plan, bound: list[Bound], sources: list[Any], training: bool
    ) -> None:
        self._model = model
        self._plan = plan
        self._bound = bound
        self._sources = sources
        self._training = training
        self._token = LoadToken()

    @property
    def model(self) -> Any:
        """The unedited model."""
        return self._model

    @property
    def edits(self) -> dict[str, list[Intervention]]:
        """The interventions per key, in the order they apply."""
        found: dict[str, list[Intervention]] = {}
        for b in self._bound:
            found.setdefault(b.key, []).append(b.intervention)
        return found

    @property
    def traces(self) -> int:
        """How many times the edited forward pass was traced (compiled) so far,
        for every `Intervened` sharing its compiled pass; on torch, which runs
        eagerly, the number of passes run."""
        return self._plan.traces

    def kerascope_probe(
        self, layers: LayerSelection = None, *, training: bool = False, inputs: bool = False
    ) -> EditedProbe:
        """What `kerascope.capture(intervened, ...)` runs: the edited pass,
        returning the outputs of `layers`."""
        if bool(training) != self._training:
            raise InputError(
                f"Expected training={self._training}, the mode of this intervention (set it in "
                f"`intervene`). Received: training={training}"
            )
        return EditedProbe(self, self._plan.compiled(layers, bool(inputs)))

    def predict(self, x: Any, *, batch_size: int = 32, progress: bool = False) -> Any:
        """The edited model's outputs on `x`, as numpy, in batches.

        Args:
            x: Inputs for the model, as for `kerascope.capture`; sample-aligned
                with the sources of `patch` edits.
            batch_size: Samples per forward pass. Defaults to `32`.
            progress: Draw a progress bar. Defaults to `False`.

        Returns:
            The model's outputs on `x` with the edits applied: an array, or a
            list/dict of arrays for several outputs.
        """
        probe = EditedProbe(self, self._plan.compiled(None, False, layers=False))
        batches = data.as_batches(x, batch_size, probe.input_spec)
        parts: list[Any] = []
        with ProgressBar(progress, "intervening", total=batches.total) as bar:
            for batch, n in batches:
                parts.append(probe.run_model(batch, n))
                bar.advance(n)
        if not parts:
            raise InputError("Expected at least one sample in x. Received: no batches")
        return keras.tree.map_structure(lambda *a: np.concatenate(a), *parts)

    def __call__(self, x: Any, *, batch_size: int = 32) -> Any:
        """`predict(x)`: the edited model's outputs on `x`."""
        return self.predict(x, batch_size=batch_size)

    def __repr__(self) -> str:
        edits = ", ".join(
            f"{key}: {'+'.join(i.kind for i in ivs)}" for key, ivs in self.edits.items()
        )
        return f"Intervened(model={self._model.name!r}, edits={{{edits}}})"


class EditedProbe:
    """One pass over data with `Intervened`'s edits: what `capture` drives.

    Batches run in order; a patch source's samples follow them, so sample `i`
    of the data is patched from sample `i` of the source.
    """

    def __init__(self, owner: Intervened, compiled: Any) -> None:
        self._owner = owner
        self._compiled = compiled
        self._plan = owner._plan
        self._offset = 0
        self._backend = backends.current()
        self.input_spec = owner._plan._source_probe.input_spec

    def batched(self, key: str) -> list[bool]:
        """Per leaf of `key`'s output, whether it has a batch axis (as `Probe.batched`)."""
        if key in self._compiled.input_keys:  # an input: one array of samples
            return [True]
        flags: list[bool] = self._compiled.probe.batched(key)
        return flags

    def _activations(self, arrays: dict[str, Any]) -> Activations:
        return Activations(arrays, self._compiled.info)

    def _run(self, batch: Any, n: int) -> tuple[Any, dict[str, Any]]:
        sources = [self._source_batch(s, n) for s in self._owner._sources]
        self._offset += n
        size = self._padded_size(n)
        inputs = {"x": batch, "sources": sources}
        if size != n:
            inputs = keras.tree.map_structure(
                lambda a: np.concatenate([a, np.zeros((size - n, *a.shape[1:]), a.dtype)]),
                inputs,
            )
        with self._plan.lock:
            self._plan.load(self._owner._token, self._owner._bound)
            outputs, recorded = self._compiled.function(inputs)
        host = self._backend.to_numpy((outputs, recorded))
        if size == n:
            return host[0], dict(host[1])
        # Padded only when every recorded output has a batch axis; a model
        # output without one (its first axis not the padded size) stays whole.
        trimmed: tuple[Any, dict[str, Any]] = keras.tree.map_structure(
            lambda a: np.asarray(a)[:n] if np.ndim(a) and np.shape(a)[0] == size else a, host
        )
        return trimmed

    def run_model(self, batch: Any, n: int) -> Any:
        """The model's outputs on a prepared batch of `n` samples."""
        return self._run(batch, n)[0]

    def run_batch(self, batch: Any, n: int) -> dict[str, Any]:
        """Key -> numpy output for a prepared batch, as `Probe.run_batch`."""
        _, recorded = self._run(batch, n)
        result = dict(zip(self._compiled.input_keys, keras.tree.flatten(batch)))
        result.update((key, recorded[key]) for key in self._compiled.record)
        return result

    def _source_batch(self, source: Any, n: int) -> Any:
        start = self._offset
        part = keras.tree.map_structure(lambda a: np.asarray(a)[start : start + n], source)
        prepared, count = data.prepare_batch(part, self.input_spec)
        if count != n:
            raise InputError(
                f"Expected patch sources with a sample for every input sample (at least "
                f"{start + n}). Received: a source with {start + count}"
            )
        return prepared

    def _padded_size(self, n: int) -> int:
        """On JAX, a size compiled before (or a power of two), so batch sizes
        share a few compilations. Not where padding could change a result (as
        `Probe`): in training mode, or when a recorded output has no batch axis."""
        if (
            not self._backend.static_batch
            or self._owner._training
            or not self._compiled.all_batched
        ):
            return n
        buckets = self._plan.buckets
        size = next((b for b in sorted(buckets) if b >= n), None)
        if size is None:
            size = int(1 << max(0, n - 1).bit_length())
            buckets.append(size)
        return size
