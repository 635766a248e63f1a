"""Damaged stores tell the truth: real damage to real store files, on every backend.

Each kind of damage (a flipped bit, a chunk cut short, a chunk deleted, an
array's `zarr.json` or the commit file garbled) must raise `StoreError`
naming the array, the chunk and its samples; `verify` must list exactly what
was damaged; `resume=True` must refuse and change nothing. Undamaged parts
still read back equal to `capture`.
"""

from __future__ import annotations

import numpy as np
import pytest
import store_damage as damage
import store_models as models

import kerascope
from kerascope.store import verify_store

LAYERS = ["encoder/conv", "shared:1", "split"]
# The arrays of LAYERS (percent-encoded keys) and their number of dimensions.
ARRAYS = {"encoder%2Fconv": 4, "shared%3A1": 2, "split%5B0%5D": 2, "split%5B1%5D": 2}
SAMPLES, BATCH = 40, 8  # 5 chunks of 8 samples per array


@pytest.fixture
def model():
    return models.build_model()


@pytest.fixture
def x():
    return models.inputs(SAMPLES)


@pytest.fixture
def path(model, x, tmp_path):
    path = tmp_path / "acts.zarr"
    kerascope.record(model, x, path, LAYERS, batch_size=BATCH, progress=False)
    return path


def problems(path):
    """verify's findings as (kind, key, chunk, samples) tuples."""
    return [(p.kind, p.key, p.chunk, p.samples) for p in verify_store(path).problems]


def assert_resume_refused(model, x, path, *parts):
    before = damage.snapshot(path)
    with pytest.raises(kerascope.StoreError, match="Cannot resume") as info:
        kerascope.record(model, x, path, LAYERS, batch_size=BATCH, resume=True, progress=False)
    for part in parts:
        assert part in str(info.value)
    assert damage.snapshot(path) == before


def test_a_clean_store_verifies_clean(model, x, path):
    report = kerascope.open(path).verify()
    assert report.ok
    assert report.checksummed
    assert (report.samples, report.problems) == (SAMPLES, ())
    chunk_files = [f for f in path.rglob("*") if f.is_file() and "/c/" in str(f)]
    assert report.chunks == len(chunk_files) == 5 * len(ARRAYS)
    # Every chunk carries Zarr v3's crc32c codec, after zstd.
    meta = (path / "encoder%2Fconv" / "zarr.json").read_text()
    assert meta.index('"zstd"') < meta.index('"crc32c"')
    assert "no damage" in str(report)


@pytest.mark.parametrize("harm", [damage.flip_bit, damage.truncate])
@pytest.mark.parametrize(
    ("key", "array", "chunk"), [("encoder/conv", "encoder%2Fconv", 2), ("split", "split%5B1%5D", 4)]
)
def test_a_damaged_chunk_raises_instead_of_other_numbers(model, x, path, harm, key, array, chunk):
    harm(damage.chunk_file(path, array, chunk, ARRAYS[array]))
    start, stop = chunk * BATCH, (chunk + 1) * BATCH
    store = kerascope.open(path)
    stored = store[key] if key != "split" else store[key][1]
    expected = kerascope.capture(model, x, key)[key]
    expected = expected if key != "split" else expected[1]
    display = key if key != "split" else "split[1]"
    for index in (np.s_[:], np.s_[start + 1], np.s_[[0, start, 1]], np.s_[::-3]):
        with pytest.raises(kerascope.StoreError) as info:
            stored[index]
        message = str(info.value)
        for part in (repr(display), f"chunk {chunk}", f"samples {start} to {stop - 1}", "verify"):
            assert part in message, (index, message)
    # The chunks around it read back as recorded.
    np.testing.assert_allclose(stored[:start], expected[:start], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stored[stop:], expected[stop:], rtol=1e-5, atol=1e-6)

    assert problems(path) == [("damaged chunk", display, chunk, (start, stop))]
    assert_resume_refused(model, x, path, f"chunk {chunk} of {display!r}")


def test_verify_lists_every_damaged_and_missing_chunk(model, x, path):
    damage.flip_bit(damage.chunk_file(path, "encoder%2Fconv", 0, 4))
    damage.truncate(damage.chunk_file(path, "encoder%2Fconv", 3, 4))
    damage.chunk_file(path, "shared%3A1", 4, 2).unlink()
    damage.flip_bit(damage.chunk_file(path, "split%5B0%5D", 1, 2), bit=0)
    assert problems(path) == [
        ("damaged chunk", "encoder/conv", 0, (0, 8)),
        ("damaged chunk", "encoder/conv", 3, (24, 32)),
        ("missing chunk", "shared:1", 4, (32, 40)),
        ("damaged chunk", "split[0]", 1, (8, 16)),
    ]
    # A lost chunk is not read as zeros either.
    stored = kerascope.open(path)["shared:1"]
    np.testing.assert_allclose(
        stored[:32], kerascope.capture(model, x, "shared:1")["shared:1"][:32], rtol=1e-5
    )
    for index in (np.s_[:], np.s_[35], np.s_[[3, 33]], np.s_[1::8]):
        with pytest.raises(kerascope.StoreError, match=r"samples 32 to 39 of 'shared:1'.*missing"):
            stored[index]
    assert_resume_refused(model, x, path, "4 problems", "missing chunk 4 of 'shared:1'")


def test_garbled_array_metadata(model, x, path):
    damage.garble(path / "shared%3A1" / "zarr.json")
    store = kerascope.open(path)  # arrays open lazily: the others still read
    with pytest.raises(kerascope.StoreError, match=r"'shared:1'.*shared%3A1/zarr\.json"):
        store["shared:1"]
    np.testing.assert_allclose(
        np.asarray(store["encoder/conv"]),
        kerascope.capture(model, x, "encoder/conv")["encoder/conv"],
        rtol=1e-5,
        atol=1e-6,
    )
    assert problems(path) == [("array metadata", "shared:1", None, None)]
    assert_resume_refused(model, x, path, "array metadata of 'shared:1'")


def test_garbled_commit_file(model, x, path):
    damage.garble(path / "kerascope.json")
    with pytest.raises(kerascope.StoreError, match=r"kerascope\.json.*overwrite=True"):
        kerascope.open(path)
    report = verify_store(path)
    assert report.samples is None
    assert [p.kind for p in report.problems] == ["commit"]
    assert report.chunks == 5 * len(ARRAYS)  # the chunks themselves are still checked
    assert_resume_refused(model, x, path, "commit")


def test_garbled_store_metadata(model, x, path):
    damage.garble(path / "zarr.json")
    with pytest.raises(kerascope.StoreError, match=r"zarr\.json.*damaged"):
        kerascope.open(path)
    assert [p.kind for p in verify_store(path).problems] == ["store metadata"]
    assert_resume_refused(model, x, path, "store metadata")


def test_a_store_without_checksums_still_opens(model, x, tmp_path, monkeypatch):
    """Stores of kerascope 0.1: zstd alone, chunks of zeros not written."""
    from kerascope.store import _chunks

    monkeypatch.setattr(
        _chunks, "compressors", lambda zarr: [zarr.codecs.ZstdCodec(level=0, checksum=False)]
    )
    monkeypatch.setattr(_chunks, "WRITE_CONFIG", {"write_empty_chunks": False})
    path = tmp_path / "old.zarr"
    kerascope.record(model, x, path, LAYERS, batch_size=BATCH, progress=False)
    monkeypatch.undo()
    assert "crc32c" not in (path / "encoder%2Fconv" / "zarr.json").read_text()

    store = kerascope.open(path)
    expected = kerascope.capture(model, x, "shared:1")["shared:1"]
    np.testing.assert_allclose(np.asarray(store["shared:1"]), expected, rtol=1e-5, atol=1e-6)
    report = store.verify()
    assert report.ok
    assert not report.checksummed
    assert "without checksums" in str(report)

    # Without a checksum, a cut chunk is still caught where it fails to decompress.
    damage.truncate(damage.chunk_file(path, "shared%3A1", 2, 2))
    with pytest.raises(kerascope.StoreError, match=r"samples 16 to 23 of 'shared:1'"):
        np.asarray(kerascope.open(path)["shared:1"])
    assert problems(path) == [("damaged chunk", "shared:1", 2, (16, 24))]
