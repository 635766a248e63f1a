"""The HTML report: content, self-containment, and a real browser opening it."""

from __future__ import annotations

import base64
import os
import re
import shutil

import numpy as np
import pytest

import kerascope
from kerascope._demo import build_cnn, load_digits_images

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def digits():
    images, labels = load_digits_images()
    return images[:96], labels[:96]


@pytest.fixture
def trained(digits):
    """A demo CNN with 3 dead conv1 channels, trained 2 epochs under the monitor."""
    images, labels = digits
    model = build_cnn()
    conv = model.get_layer("conv1")
    kernel, bias = conv.get_weights()
    bias[[1, 4, 7]] = -100.0
    conv.set_weights([kernel, bias])
    model.compile("adam", "sparse_categorical_crossentropy")
    monitor = kerascope.ActivationMonitor(images[:32])
    model.fit(images, labels, epochs=2, batch_size=32, verbose=0, callbacks=[monitor])
    return model, monitor


def test_report_content(trained, digits, tmp_path):
    model, monitor = trained
    images, _ = digits
    path = kerascope.report(
        model, images, tmp_path / "report.html", monitor=monitor, progress=False
    )
    assert path == tmp_path / "report.html"
    text = path.read_text(encoding="utf-8")
    stats = kerascope.stats(model, images, progress=False)

    # Findings come first, with the planted dead channels.
    assert text.index('id="findings"') < text.index('id="summary"')
    findings = kerascope.diagnose(stats)
    assert findings.of_kind("dead")[0].evidence["units"] == [1, 4, 7]
    assert "3 of 16 units never active" in text
    # One summary row per statistics key, with its statistics.
    summary = text[text.index('id="summary"') : text.index('id="profile"')]
    for key, layer in stats.items():
        assert f"<code>{key}</code>" in summary
        assert f"{layer.mean:.4g}" in summary
    assert "(None, 8, 8, 16)" in summary
    assert f"{model.get_layer('conv2').count_params():,}" in summary
    # Every image inline, a real PNG; nothing to fetch.
    sources = re.findall(r'<img src="([^"]+)"', text)
    assert len(sources) >= 2 + 3 + 3 + 1  # profile, histograms, feature maps, overlays, training
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        png = base64.b64decode(source.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert 'id="training"' in text


def test_nothing_half_written_on_bad_input(trained, digits, tmp_path):
    model, _ = trained
    with pytest.raises(kerascope.InputError, match="existing directory"):
        kerascope.report(model, digits[0], tmp_path / "missing" / "r.html", progress=False)
    with pytest.raises(kerascope.InputError):
        kerascope.report(
            model, np.zeros((4, 5, 5, 1), "float32"), tmp_path / "r.html", progress=False
        )
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(
    not shutil.which(CHROMIUM), reason="needs Debian's chromium (make test installs it as root)"
)
def test_opens_in_headless_chromium(trained, digits, tmp_path):
    from playwright.sync_api import sync_playwright

    model, monitor = trained
    path = kerascope.report(
        model, digits[0], tmp_path / "report.html", monitor=monitor, progress=False
    )
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.as_uri(), wait_until="load")
            images = page.evaluate(
                """() => Array.from(document.images).map(img => {
                    const box = img.getBoundingClientRect();
                    return {complete: img.complete, width: img.naturalWidth,
                            height: img.naturalHeight, shown: box.width > 0 && box.height > 0,
                            visible: getComputedStyle(img).visibility !== 'hidden'};
                })"""
            )
            title = page.title()
        finally:
            browser.close()
    assert title == f"kerascope report: {model.name}"
    assert len(images) >= 9
    for image in images:
        assert image["complete"], image
        assert image["width"] > 0, image
        assert image["height"] > 0, image
        assert image["shown"], image
        assert image["visible"], image
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


def test_summary_counts_nested_layers_and_a_shared_layer_once(tmp_path, rng):
    import keras

    inner_in = keras.Input((4,), name="inner_in")
    inner = keras.Model(inner_in, keras.layers.Dense(3, name="proj")(inner_in), name="encoder")
    inputs = keras.Input((4,), name="x")
    shared = keras.layers.Dense(4, name="shared")
    model = keras.Model(inputs, inner(shared(shared(inputs))), name="outer")
    x = rng.normal(size=(8, 4)).astype("float32")

    text = kerascope.report(model, x, tmp_path / "r.html", progress=False).read_text("utf-8")

    summary = text[text.index('id="summary"') : text.index('id="profile"')]
    rows = {
        key: cells
        for key, cells in re.findall(r"<code>([^<]+)</code>(.*?)</tr>", summary, flags=re.S)
    }
    assert list(rows) == ["shared:0", "shared:1", "encoder/proj", "encoder"]
    count = f"<td>{inner.get_layer('proj').count_params()}</td>"  # 15: the nested layer's own
    assert count in rows["encoder/proj"]
    assert f"<td>{shared.count_params()}</td>" in rows["shared:0"]
    assert f"<td>{shared.count_params()}</td>" not in rows["shared:1"]  # counted once
