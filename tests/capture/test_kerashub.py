"""KerasHub's own backbones, tiny and built from config (no weights downloaded).

Each one: every key captured and finite; the top-level keys equal a Keras sub-model
of the backbone's graph, and its outputs equal `model.predict`; the transformer
blocks' inner keys are there; a padded batch and two sequence lengths in a row work;
`stats`, `record` and `diagnose` run on it.
"""

from __future__ import annotations

import keras
import keras_hub
import numpy as np
import pytest

import kerascope
from harness import assert_tree_close

TEXT = {
    "bert": lambda: keras_hub.models.BertBackbone(
        vocabulary_size=100,
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        max_sequence_length=12,
    ),
    "gpt2": lambda: keras_hub.models.GPT2Backbone(
        vocabulary_size=100,
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        max_sequence_length=12,
    ),
    "gemma": lambda: keras_hub.models.GemmaBackbone(
        vocabulary_size=100,
        num_layers=2,
        num_query_heads=2,
        num_key_value_heads=1,
        hidden_dim=16,
        intermediate_dim=32,
        head_dim=8,
    ),
    "llama": lambda: keras_hub.models.LlamaBackbone(
        vocabulary_size=100,
        num_layers=2,
        num_query_heads=2,
        num_key_value_heads=1,
        hidden_dim=16,
        intermediate_dim=32,
    ),
}
IMAGE = {
    "vit": lambda: keras_hub.models.ViTBackbone(
        image_shape=(16, 16, 3), patch_size=4, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32
    ),
    "resnet": lambda: keras_hub.models.ResNetBackbone(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[3],
        stackwise_num_filters=[64, 64],
        stackwise_num_blocks=[1, 1],
        stackwise_num_strides=[1, 2],
        block_type="basic_block",
        use_pre_activation=False,
        image_shape=(None, None, 3),
    ),
}


def token_batch(model, samples, length, rng, padded=0):
    """Token ids for `model`'s inputs; the last `padded` positions are padding."""
    mask = np.ones((samples, length), "int32")
    if padded:
        mask[:, length - padded :] = 0
    batch = {"token_ids": rng.integers(1, 100, size=(samples, length)).astype("int32") * mask}
    names = {t.name for t in model.inputs}
    batch["padding_mask"] = mask
    if "segment_ids" in names:
        batch["segment_ids"] = np.zeros((samples, length), "int32")
    return batch


def per_sample_keys(acts, samples):
    """The keys of single arrays with one row per sample (what statistics summarise)."""
    return {
        key
        for key, value in acts.items()
        if isinstance(value, np.ndarray) and value.shape[:1] == (samples,)
    }


def check_against_keras(model, x):
    """Captures every key; top-level keys against a sub-model, outputs against predict."""
    acts = kerascope.capture(model, x)
    assert len(acts) > 10
    for key, value in acts.items():
        for leaf in keras.tree.flatten(value):
            assert np.isfinite(leaf).all(), key
    names = {layer.name for layer in model.layers}
    top = [key for key in acts if key in names]
    assert len(top) >= 2, list(acts)
    sub = keras.Model(model.inputs, [model.get_layer(key).output for key in top])
    expected = sub.predict(x, verbose=0)
    for key, want in zip(top, expected):
        assert_tree_close(acts[key], want, key)
    outputs = model.predict(x, verbose=0)
    final = keras.tree.flatten(outputs)
    captured = [acts[key] for key in top]
    for want in final:  # every model output is some captured top-level key's value
        assert any(
            isinstance(got, np.ndarray)
            and got.shape == want.shape
            and np.allclose(got, want, rtol=1e-5, atol=1e-5)
            for got in captured
        )
    return acts


@pytest.mark.parametrize("name", sorted(TEXT))
def test_text_backbone(name, rng, tmp_path):
    model = TEXT[name]()
    acts = check_against_keras(model, token_batch(model, 3, 8, rng))
    inner = [key for key in acts if key.count("/") >= 1]
    blocks = {key.split("/")[0] for key in inner}
    assert len(blocks) == 2, blocks  # both transformer blocks show their insides
    # A padded batch, then another sequence length.
    check_against_keras(model, token_batch(model, 3, 8, rng, padded=3))
    check_against_keras(model, token_batch(model, 2, 11, rng))

    data = [token_batch(model, 4, 8, rng) for _ in range(2)]
    s = kerascope.stats(model, data, progress=False)
    assert set(s) >= per_sample_keys(acts, 3)
    findings = kerascope.diagnose(model, data, progress=False)
    assert not [f for f in findings if f.kind == "nan"]
    store = kerascope.record(model, data, tmp_path / "acts.zarr", progress=False)
    assert store.samples == 8
    stored = np.asarray(store[inner[0]][:])
    assert stored.shape[0] == 8
    np.testing.assert_allclose(
        stored[:4], kerascope.capture(model, data[0], layers=inner[0])[inner[0]], rtol=1e-5
    )


@pytest.mark.parametrize("name", sorted(IMAGE))
def test_image_backbone(name, rng, tmp_path):
    model = IMAGE[name]()
    x = rng.uniform(size=(2, 16, 16, 3)).astype("float32")
    acts = check_against_keras(model, x)
    s = kerascope.stats(model, x, progress=False)
    assert set(s) >= per_sample_keys(acts, 2)
    kerascope.diagnose(model, x, progress=False)
    store = kerascope.record(model, x, tmp_path / "acts.zarr", progress=False)
    assert store.samples == 2
    if name == "resnet":  # images of any size
        check_against_keras(model, rng.uniform(size=(2, 24, 24, 3)).astype("float32"))
