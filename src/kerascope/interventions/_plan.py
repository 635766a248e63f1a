"""The compiled, edited forward pass behind `Intervened`, cached per model and edit kinds.

A `Plan` holds one `keras.Variable` per number of every edit (the numbers
broadcast to the output's per-sample shape, and each edit's unit mask), and
compiles, per selection of layers to return, one function of the inputs and
the patch sources. On JAX the variables are arguments of the jitted function,
on TensorFlow the traced graph reads them by reference, and torch runs
eagerly: so an edit with new numbers, or new units, only assigns variables.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Hashable, Mapping
from typing import Any

import keras
import numpy as np

from kerascope import backends
from kerascope.capture import LayerInfo, Probe, cached_probe, run_edited, state_token
from kerascope.errors import CaptureError
from kerascope.interventions._values import Intervention
from kerascope.select import LayerSelection

__all__ = ["Bound", "Plan", "plan_for"]


@dataclasses.dataclass(frozen=True)
class Bound:
    """One intervention bound to a key: its numbers, and the patch source it reads."""

    key: str
    intervention: Intervention
    values: Mapping[str, np.ndarray]
    source: int | None = None

    def signature(self) -> Hashable:
        shapes = tuple((name, value.shape) for name, value in sorted(self.values.items()))
        return (self.key, self.intervention.signature(), shapes, self.source)


@dataclasses.dataclass
class Compiled:
    """One compiled pass returning the model's outputs and the `record` keys."""

    function: Any
    record: tuple[str, ...]
    info: Mapping[str, LayerInfo]
    input_keys: tuple[str, ...]
    probe: Probe
    all_batched: bool


@dataclasses.dataclass(frozen=True)
class Step:
    """What a compiled pass keeps of one `Bound`: its key, the intervention's
    kind and function, and its source's index; never the user's data."""

    key: str
    intervention: Intervention
    source: int | None

    @classmethod
    def of(cls, bound: Bound) -> Step:
        kind = bound.intervention
        return cls(bound.key, Intervention(kind.kind, fn=kind.fn), bound.source)


class LoadToken:
    """Names whose numbers a `Plan`'s variables hold (held weakly)."""


class Plan:
    """Variables and compiled passes for one model and one set of edit kinds.

    It keeps no user data (patch sources, means, masks): only the steps'
    kinds and functions, and variables its owners assign before each pass.
    """

    def __init__(self, model: Any, bound: list[Bound], sources: int, training: bool) -> None:
        self._model_ref = weakref.ref(model)
        self._steps = [Step.of(b) for b in bound]
        self._sources = sources
        self._training = training
        self._edit_keys = list(dict.fromkeys(b.key for b in bound))
        self._variables = [
            {
                name: keras.Variable(
                    np.zeros(value.shape, np.float32), trainable=False, name="kerascope_edit"
                )
                for name, value in b.values.items()
            }
            for b in bound
        ]
        self._all_variables = list(model.variables) + [
            v for slot in self._variables for v in slot.values()
        ]
        self._source_probe = cached_probe(model, self._edit_keys, training=training)
        self._compiled: dict[Hashable, Compiled] = {}
        self._loaded: weakref.ref[Any] | None = None
        self.lock = threading.RLock()
        self.traces = 0
        self.buckets: list[int] = []

    def load(self, owner: Any, bound: list[Bound]) -> None:
        """Assigns `bound`'s numbers to the variables, unless `owner`'s are
        there (`owner`, held weakly, is a `LoadToken` or a `Bound`)."""
        if self._loaded is not None and self._loaded() is owner:
            return
        for slot, b in zip(self._variables, bound):
            for name, variable in slot.items():
                variable.assign(b.values[name].astype(np.float32))
        self._loaded = weakref.ref(owner)

    def compiled(self, record: LayerSelection, inputs: bool, *, layers: bool = True) -> Compiled:
        """The pass returning the outputs and the keys `record` selects (every
        layer for `None`, as `capture`; none with `layers=False`), compiled once."""
        token: Hashable = (tuple(record) if isinstance(record, list) else record, inputs, layers)
        try:
            found = self._compiled.get(token)
        except TypeError:  # an unhashable selection compiles afresh
            token, found = object(), None
        if found is not None:
            return found
        model = self._model()
        keys: tuple[str, ...] = ()
        info: Mapping[str, LayerInfo] = {}
        input_keys: tuple[str, ...] = ()
        if layers or inputs:
            chosen = cached_probe(
                model,
                record if layers else self._edit_keys,
                training=self._training,
                inputs=inputs,
            )
            input_keys = tuple(chosen.input_names) if inputs else ()
            keys = tuple(k for k in chosen.keys if k not in input_keys) if layers else ()
            info = chosen.specs
        probe = cached_probe(model, [*self._edit_keys, *keys], training=self._training)
        spec = self._source_probe.input_spec
        full_spec = None if spec is None else {"x": spec, "sources": [spec] * self._sources}
        forward = self._forward_of(probe, keys)
        function = backends.current().compile(forward, self._all_variables, full_spec)
        all_batched = all(
            all(p.batched(key)) for p in (probe, self._source_probe) for key in p.keys
        )
        result = Compiled(function, keys, info, input_keys, probe, all_batched)
        self._compiled[token] = result
        return result

    def _forward_of(self, probe: Probe, keys: tuple[str, ...]) -> Any:
        plan_ref = weakref.ref(self)

        def forward(values: Any, inputs: Any) -> Any:
            plan = plan_ref()
            if plan is None:
                raise CaptureError("The compiled pass of this intervention no longer exists.")
            plan.traces += 1
            state = None if values is None else list(zip(plan._all_variables, values))
            sources = [
                run_edited(plan._source_probe, s, lambda k, o: o, state=state)[1]
                for s in inputs["sources"]
            ]
            by_key: dict[str, list[tuple[Step, dict[str, Any]]]] = {}
            for step, slot in zip(plan._steps, plan._variables):
                by_key.setdefault(step.key, []).append((step, slot))

            def edit(key: str, output: Any) -> Any:
                for b, slot in by_key.get(key, []):
                    params = {name: variable.value for name, variable in slot.items()}
                    source = None if b.source is None else sources[b.source][key]
                    output = b.intervention.apply(output, params, source, key)
                return output

            outputs, recorded = run_edited(probe, inputs["x"], edit, state=state)
            return outputs, {key: recorded[key] for key in keys}

        return forward

    def _model(self) -> Any:
        model = self._model_ref()
        if model is None:
            raise keras_model_gone()
        return model


def keras_model_gone() -> Exception:
    return CaptureError("The model of this intervention no longer exists.")


# model -> {signature: (state token, plan)}; weak, so a plan never keeps its
# model alive. Signatures hold kinds, shapes and functions, never user data.
_plans: weakref.WeakKeyDictionary[Any, dict[Hashable, tuple[Any, Plan]]] = (
    weakref.WeakKeyDictionary()
)


def plan_for(model: Any, bound: list[Bound], sources: int, training: bool) -> Plan:
    """The cached `Plan` for these edit kinds, made on first use, and made
    afresh when the model changed in a way a compiled pass cannot see (a
    layer's configuration, such as `layer.activation = None`; its variables)."""
    signature = (tuple(b.signature() for b in bound), sources, bool(training))
    keys = list(dict.fromkeys(b.key for b in bound))
    token = state_token(model, cached_probe(model, keys, training=training).layer_tree)
    per_model = _plans.setdefault(model, {})
    found = per_model.get(signature)
    if found is not None and found[0] == token:
        return found[1]
    plan = Plan(model, bound, sources, training)
    per_model[signature] = (token, plan)
    return plan
