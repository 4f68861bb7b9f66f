"""Exploration on Kandinsky 2.2: inverted-noise interpolation through MoVQ's encoder, and every exploration call
(embeddings, inversions, text diffs, strips) running its networks inside the stage-wise offload."""
import numpy as np
import pytest
import torch
from PIL import Image

from engine import Settings, load_bundle
from engine.explore import Source, embed_source, interpolation, mix, source_pixels, text_diff_strip
from engine.model import UnCLIP
from engine.runner import render_strip
from engine.tiny import tiny_config
from tests.engine.kandinsky_reference import kandinsky  # noqa: F401 (the fixture)

RNG = np.random.default_rng(0)
IMAGES = [Image.fromarray(RNG.integers(0, 256, (24, 24, 3), dtype=np.uint8)) for _ in range(2)]
A, B = (Source(image=im, label=name) for im, name in zip(IMAGES, "ab"))


@pytest.fixture(scope="module")
def model(kandinsky):  # noqa: F811
    return load_bundle(str(kandinsky["decoder_dir"]))


def test_inverted_noise_renders_back_the_sources_movq_latent(model):
    """Frame 0 starts from the inverted latent of image a: its deterministic DDIM render is MoVQ's reconstruction
    of a (within two 8-bit levels over 10 unguided steps), which fixed noise is not."""
    s = Settings(size=16, decoder_steps=10, decoder_guidance=1.0, prior_steps=2)
    strip = interpolation(model, A, B, 3, 0, s, noise="inverted")
    assert strip.settings.sampler == "ddim" and strip.settings.decoder_spacing == "even"
    assert strip.starts.shape == (3, 4, 8, 8)  # latents: 16 px / MoVQ's 2× of the tiny pair
    with torch.no_grad():
        target = model.movq(model.movq.encoder(source_pixels(IMAGES[0], 16, "cpu"))).clamp(-1, 1)
    target = (target[0].permute(1, 2, 0).numpy() + 1) * 127.5  # (16, 16, 3) in [0, 255]
    inverted = render_strip(model, strip, [0])[0].image.astype(float)
    fixed = render_strip(model, interpolation(model, A, B, 3, 0, strip.settings), [0])[0].image.astype(float)
    print(f"from MoVQ's reconstruction: inverted noise {np.abs(inverted - target).max():.2f}, "
          f"fixed noise {np.abs(fixed - target).max():.2f} (8-bit levels)")
    assert np.abs(inverted - target).max() <= 2.0 < np.abs(fixed - target).max()


def watch(model: UnCLIP) -> list[str]:
    """Every network's layers note when they run while their network is not in use (outside `running`)."""
    strays: list[str] = []
    users = model.derived.setdefault("users", {})
    for name, network in model.modules().items():
        for layer in network.modules():
            layer.register_forward_pre_hook(lambda *_, name=name: None if users.get(name, 0) else strays.append(name))
    return strays


def explore(model: UnCLIP, size: int) -> list[np.ndarray]:
    """Every exploration call: image embeddings, the mixing pad, an inverted interpolation, a text diff."""
    s = Settings(size=size, decoder_steps=3, prior_steps=2, decoder_guidance=2.0)
    mix(torch.stack([embed_source(model, x, 0, s) for x in (A, B, Source(text="a cat", label="t"))]), [1, 2, 1])
    strips = [interpolation(model, A, B, 3, 0, s, noise="inverted"),
              text_diff_strip(model, A, "a blue star", "", 2, 0, s)]
    return [f.image for strip in strips for f in render_strip(model, strip, batch=2)]


@pytest.mark.parametrize("family", ["kandinsky", "unclip"])
def test_exploration_runs_inside_the_offload_and_gives_the_same_pixels(kandinsky, family):  # noqa: F811
    def fresh():
        if family == "kandinsky":
            return load_bundle(str(kandinsky["decoder_dir"]))
        return UnCLIP.random(tiny_config(), seed=0)

    size = 20 if family == "kandinsky" else 16
    resident, offloaded = fresh(), fresh().offloaded("cpu")
    strays = watch(offloaded)
    again = explore(offloaded, size)
    assert strays == [] and set(offloaded.derived["users"].values()) == {0}
    assert all(np.array_equal(a, b) for a, b in zip(explore(resident, size), again))
