"""Saved images replay pixel for pixel: each committed PNG of tests/data/replay, made by the embedded default
(CPU, float32, one thread) at commit a81a649, is made again from its `unclip` record alone, on the shapes bundle
(`--model shapes`, the default then and now), and must decode to identical RGB pixels.

The fixtures (remade by tests/data/replay/make_fixtures.py):
    t2i-red-circle-64-seed3.png          text → image, 64 px
    t2i-yellow-star-256-seed11.png       text → image, 256 px (decoder and the 64 → 256 upsampler)
    variation-64-seed5.png               a variation of the red circle (its source named and hashed in the record)
    interp-…-seed7-frame0/2.png          frames 0 and 2 of a 3-frame fixed-noise interpolation between two
                                         texts, rendered in one batch; the record's "strip" gives the ends

float32 CPU kernels round differently by instruction set: the fixtures above were made on an AVX-512 CPU. A fixture
that another instruction set makes differently (made by the same a81a649 engine from the same request) lies in
cpu-<capability>/ (torch.backends.cpu.get_cpu_capability()) and is the one checked on such a CPU. On AVX2: the 256 px
image differs in 4 of 65,536 pixels, by one level; the interpolation frames' pixels are the same, but the strip's
CLIP embedding their records keep differs in its last bits.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import engine
from engine.explore import Source, interpolation
from engine.record import read_png, settings_of

DATA = Path(__file__).resolve().parent.parent / "data" / "replay"
FIXTURES = (
    "t2i-red-circle-64-seed3.png",
    "t2i-yellow-star-256-seed11.png",
    "variation-64-seed5.png",
    "interp-red-circle-green-square-seed7-frame0.png",
    "interp-red-circle-green-square-seed7-frame2.png",
)


@pytest.fixture(scope="module")
def model():
    return engine.load_bundle("shapes", "cpu", torch.float32)  # by its own name: it stays loadable after the default moves


@pytest.fixture
def one_thread():
    """float32 CPU reductions depend on the thread count: the fixtures were made with one."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def rgb_pixels(path: Path) -> np.ndarray:
    """The decoded (H, W, 3) uint8 pixels of an image file."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).copy()


def png_pixel_bytes(pixels: np.ndarray) -> bytes:
    """The pixels alone encoded as PNG (no text chunks): equal arrays give equal bytes."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def load_source(folder: Path, name: str) -> Image.Image:
    own = folder / f"cpu-{torch.backends.cpu.get_cpu_capability()}" / name  # a source this CPU makes its own way
    with Image.open(own if own.is_file() else folder / name) as im:
        return im.convert("RGB")


def replay(model, record: dict, folder: Path, strips: dict) -> np.ndarray:
    """Make the image a record describes again with the current engine; its (H, W, 3) uint8 pixels."""
    settings = settings_of(record)
    seed = int(record["seed"])
    assert settings.size == record["size"][0] == record["size"][1]
    if record["kind"] == "text2image":
        request = engine.TextToImage(record["prompt"], (seed,), settings)
        return engine.run(model, request)[0].image
    if record["kind"] == "variation":
        source = record["source"]
        request = engine.ImageVariation(load_source(folder, source["name"]), (seed,), settings,
                                        source_name=source["name"], amount=source["amount"])
        assert request.source_sha256 == source["sha256"], f"source {source['name']} is not the one recorded"
        return engine.run(model, request)[0].image
    if "strip" in record:  # a frame of an interpolation; its batch is rendered once for all its frames
        spec = record["strip"]
        key = (spec["a"], spec["b"], spec["frames"], spec["noise"], seed, tuple(spec["batch"]),
               tuple(sorted(record["settings"].items())))
        if key not in strips:
            a, b = (Source.parse(x, lambda name: load_source(folder, name)) for x in (spec["a"], spec["b"]))
            strip = interpolation(model, a, b, spec["frames"], seed, settings, spec["noise"])
            frames = engine.render_strip(model, strip, list(spec["batch"]), batch=len(spec["batch"]))
            strips[key] = (strip, {f.index: f for f in frames})
        strip, frames = strips[key]
        index = record["frame"]
        assert record["frames"] == len(strip) and record["position"] == float(strip.positions[index])
        recorded = torch.tensor(record["source"]["image_embed"], dtype=torch.float32)
        assert torch.equal(strip.embeds[index].float(), recorded), "the strip's embedding moved"
        return frames[index].image
    raise AssertionError(f"no replay for a record of kind {record['kind']!r}")


def assert_same_pixels(expected: np.ndarray, got: np.ndarray, name: str) -> None:
    assert got.dtype == np.uint8 and got.shape == expected.shape, (name, got.dtype, got.shape, expected.shape)
    if not np.array_equal(got, expected):
        diff = np.abs(got.astype(int) - expected.astype(int))
        raise AssertionError(f"{name}: {int((diff.max(-1) > 0).sum())} of {diff.shape[0] * diff.shape[1]} pixels "
                             f"differ (largest difference {int(diff.max())})")
    assert png_pixel_bytes(got) == png_pixel_bytes(expected), name


@pytest.fixture(scope="module")
def strips():
    return {}


def fixture_path(name: str) -> Path:
    """The fixture as this CPU's instruction set makes it: its own where it differs, else the AVX-512 one."""
    own = DATA / f"cpu-{torch.backends.cpu.get_cpu_capability()}" / name
    return own if own.is_file() else DATA / name


@pytest.mark.parametrize("name", FIXTURES)
def test_a_saved_image_regenerates_pixel_for_pixel(name, model, strips, one_thread):
    path = fixture_path(name)
    record = read_png(path)
    assert record["model"]["hash"] == model.fingerprint, "the shapes bundle's weights changed"
    assert record["model"]["name"] == model.config.name == "unclip-shapes-v1"
    assert record["device"] == "cpu" and record["dtype"] == "float32"
    assert_same_pixels(rgb_pixels(path), replay(model, record, DATA, strips), name)
