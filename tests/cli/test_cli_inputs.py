"""`kerascope._inputs`: images and arrays from files, checked against numpy by hand."""

from __future__ import annotations

import sys

import keras
import numpy as np
import pytest
from PIL import Image

from kerascope._inputs import load_inputs
from kerascope.errors import InputError

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])
IMAGENET_STD = np.array([0.229, 0.224, 0.225])


def image_model(shape: tuple[int, ...]) -> keras.Model:
    inputs = keras.Input(shape, name="image")
    return keras.Model(inputs, keras.layers.Flatten()(inputs))


def test_uniform_grey_image_of_another_size(tmp_path):
    Image.new("L", (20, 13), 200).save(tmp_path / "grey.png")
    model = image_model((8, 8, 1))

    cases = {"unit": 200 / 255, "raw": 200.0, "symmetric": 200 / 127.5 - 1}
    for preprocess, expected in cases.items():
        x = load_inputs([tmp_path / "grey.png"], model, preprocess=preprocess)

        assert x.shape == (1, 8, 8, 1)
        assert x.dtype == np.float32
        np.testing.assert_allclose(x, expected, rtol=1e-6, err_msg=preprocess)


def test_imagenet_normalisation_of_an_rgb_jpeg(tmp_path):
    Image.new("RGB", (31, 17), (255, 128, 0)).save(tmp_path / "orange.jpg", quality=100)

    x = load_inputs([tmp_path / "orange.jpg"], image_model((6, 5, 3)), preprocess="imagenet")

    assert x.shape == (1, 6, 5, 3)
    with Image.open(tmp_path / "orange.jpg") as image:
        pixel = np.asarray(image.convert("RGB"), np.float64)[8, 15]
    np.testing.assert_allclose(x[0, 3, 2], (pixel / 255 - IMAGENET_MEAN) / IMAGENET_STD, atol=0.02)


def test_grey_to_rgb_and_rgb_to_grey(tmp_path):
    Image.new("L", (8, 8), 90).save(tmp_path / "grey.png")
    Image.new("RGB", (8, 8), (255, 0, 0)).save(tmp_path / "red.png")

    rgb = load_inputs([tmp_path / "grey.png"], image_model((8, 8, 3)), preprocess="raw")
    grey = load_inputs([tmp_path / "red.png"], image_model((8, 8, 1)), preprocess="raw")

    np.testing.assert_array_equal(rgb, np.full((1, 8, 8, 3), 90.0))
    # ITU-R 601-2 luma, as pillow converts: L = R * 299/1000 + G * 587/1000 + B * 114/1000.
    np.testing.assert_array_equal(grey, np.full((1, 8, 8, 1), 76.0))


def test_channels_first_and_channel_free_inputs(tmp_path):
    Image.new("RGB", (4, 4), (10, 20, 30)).save(tmp_path / "a.png")

    first = load_inputs([tmp_path / "a.png"], image_model((3, 4, 4)), preprocess="raw")
    flat = load_inputs([tmp_path / "a.png"], image_model((4, 4)), preprocess="raw")

    assert first.shape == (1, 3, 4, 4)
    np.testing.assert_array_equal(first[0, :, 0, 0], [10, 20, 30])
    assert flat.shape == (1, 4, 4)


def test_directory_sorted_by_name_skipping_other_files(tmp_path):
    for name, value in [("b.png", 2), ("a.png", 1), ("c.bmp", 3)]:
        Image.new("L", (8, 8), value).save(tmp_path / name)
    (tmp_path / "labels.csv").write_text("1,2,3\n")
    np.save(tmp_path / "x.npy", np.zeros(3))
    (tmp_path / "sub").mkdir()

    x = load_inputs([tmp_path], image_model((8, 8, 1)), preprocess="raw")

    assert x[:, 0, 0, 0].tolist() == [1.0, 2.0, 3.0]


def test_arrays_npy_npz_and_one_sample(tmp_path):
    model = image_model((8, 8, 1))
    a = np.arange(2 * 64, dtype=np.float32).reshape(2, 8, 8, 1)
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "one.npy", a[0])
    np.savez(tmp_path / "b.npz", pixels=a + 1, labels=np.zeros(2))
    np.savez(tmp_path / "c.npz", image=a + 2, labels=np.zeros(2))

    x = load_inputs([tmp_path / "a.npy", tmp_path / "one.npy"], model)
    np.testing.assert_array_equal(x, np.concatenate([a, a[:1]]))
    np.testing.assert_array_equal(load_inputs([tmp_path / "b.npz"], model, key="pixels"), a + 1)
    # The array named like the model's input, without --key.
    np.testing.assert_array_equal(load_inputs([tmp_path / "c.npz"], model), a + 2)
    with pytest.raises(InputError, match=r"--key NAME.*arrays pixels, labels"):
        load_inputs([tmp_path / "b.npz"], model)
    with pytest.raises(InputError, match=r"array named 'nope'.*Received: arrays pixels, labels"):
        load_inputs([tmp_path / "b.npz"], model, key="nope")


def test_multi_input_npz_by_input_name(tmp_path):
    image = keras.Input((4,), name="image")
    meta = keras.Input((2,), name="meta")
    joined = keras.layers.Concatenate()([image, meta])
    model = keras.Model([image, meta], keras.layers.Dense(1)(joined))
    arrays = {"meta": np.ones((3, 2), np.float32), "image": np.zeros((3, 4), np.float32)}
    np.savez(tmp_path / "x.npz", **arrays)
    np.savez(tmp_path / "partial.npz", image=arrays["image"])

    x = load_inputs([tmp_path / "x.npz"], model)

    assert set(x) == {"image", "meta"}
    np.testing.assert_array_equal(x["meta"], arrays["meta"])
    with pytest.raises(InputError, match=r"named like the model's inputs \(image, meta\)"):
        load_inputs([tmp_path / "partial.npz"], model)
    with pytest.raises(InputError, match="Expected no --key for a model with several inputs"):
        load_inputs([tmp_path / "x.npz"], model, key="image")
    np.save(tmp_path / "x.npy", arrays["image"])
    with pytest.raises(InputError, match="one array per model input"):
        load_inputs([tmp_path / "x.npy"], model)
    Image.new("L", (4, 4)).save(tmp_path / "a.png")
    with pytest.raises(InputError, match="one image input"):
        load_inputs([tmp_path / "a.png"], model)


def test_input_errors(tmp_path):
    model = image_model((8, 8, 1))
    Image.new("L", (8, 8)).save(tmp_path / "a.png")
    np.save(tmp_path / "x.npy", np.zeros((1, 8, 8, 1), np.float32))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    (tmp_path / "broken.npy").write_bytes(b"not numpy")

    with pytest.raises(InputError, match="images or arrays, not both"):
        load_inputs([tmp_path / "a.png", tmp_path / "x.npy"], model)
    with pytest.raises(InputError, match=r"\.npz inputs for --key"):
        load_inputs([tmp_path / "x.npy"], model, key="x")
    with pytest.raises(InputError, match=r"pillow can read.*broken\.png"):
        load_inputs([tmp_path / "broken.png"], model)
    with pytest.raises(InputError, match="numpy cannot read"):
        load_inputs([tmp_path / "broken.npy"], model)
    with pytest.raises(InputError, match=r"batch of images.*Received: input shape \(None, 10\)"):
        load_inputs([tmp_path / "a.png"], image_model((10,)))
    with pytest.raises(InputError, match="3 \\(RGB\\) input channels"):
        load_inputs([tmp_path / "a.png"], model, preprocess="imagenet")
    with pytest.raises(InputError, match="Expected preprocess in"):
        load_inputs([tmp_path / "a.png"], model, preprocess="zscore")


def test_free_height_and_width_keep_the_image_size(tmp_path):
    model = image_model((None, None, 1))
    Image.new("L", (5, 3), 7).save(tmp_path / "a.png")
    Image.new("L", (6, 3), 7).save(tmp_path / "b.png")

    x = load_inputs([tmp_path / "a.png"], model, preprocess="raw")

    assert x.shape == (1, 3, 5, 1)
    with pytest.raises(InputError, match="images of one size"):
        load_inputs([tmp_path], model)


def test_missing_pillow_names_the_extra(tmp_path, monkeypatch):
    Image.new("L", (8, 8)).save(tmp_path / "a.png")
    monkeypatch.setitem(sys.modules, "PIL", None)

    with pytest.raises(ImportError, match=r"pip install kerascope\[viz\]"):
        load_inputs([tmp_path / "a.png"], image_model((8, 8, 1)))
