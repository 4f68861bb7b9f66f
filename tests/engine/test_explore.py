"""Exploration maths and frames: slerp, text diffs, mixing, variation amount, frame plans, inversion."""
import math

import numpy as np
import pytest
import torch
from PIL import Image

from engine import Settings, UserError, run
from engine.explore import (Source, frame_order, interpolation, mix, nearest_done, slerp, text_diff, text_diff_strip,
                            text_direction, vary_embedding)
from engine.pipeline import generate


def angle(a, b):
    return math.acos(float(torch.nn.functional.cosine_similarity(a.double(), b.double(), dim=0).clamp(-1, 1)))


def test_slerp_ends_exact_norm_kept_and_angle_linear():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(96, generator=g), torch.randn(96, generator=g)
    b = b * a.norm() / b.norm()
    t = torch.linspace(0, 1, 9)
    out = slerp(a, b, t)
    assert torch.equal(out[0], a) and torch.equal(out[-1], b)
    assert torch.allclose(out.norm(dim=-1), a.norm().expand(9), rtol=1e-5)
    total = angle(a, b)
    for ti, z in zip(t.tolist(), out):
        assert angle(a, z) == pytest.approx(ti * total, abs=1e-4)


def test_slerp_norm_moves_linearly_between_unequal_norms():
    a, b = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 1.0])
    mid = slerp(a, b, 0.5)
    assert float(mid.norm()) == pytest.approx(2.0) and angle(a, mid) == pytest.approx(math.pi / 4, abs=1e-6)


def test_text_diff_moves_toward_the_target_text():
    g = torch.Generator().manual_seed(1)
    z_i, z_t, z_t0 = (torch.randn(64, generator=g) for _ in range(3))
    z_d = text_direction(z_t, z_t0)
    frames = text_diff(z_i, z_d, torch.linspace(0, 0.5, 6))
    sims = [float(torch.nn.functional.cosine_similarity(f, z_d, dim=0)) for f in frames]
    assert all(b > a for a, b in zip(sims, sims[1:])) and torch.equal(frames[0], z_i)
    assert torch.allclose(frames.norm(dim=-1), z_i.norm().expand(6), rtol=1e-5)
    with pytest.raises(UserError):
        text_direction(z_t, z_t)


def test_mix_weights_are_barycentric():
    e = torch.eye(3) * torch.tensor([[2.0], [2.0], [2.0]])
    assert torch.allclose(mix(e, [1, 0, 0]), e[0])
    centre = mix(e, [1, 1, 1])
    assert torch.allclose(centre, torch.full((3,), 2 / math.sqrt(3)), atol=1e-6)
    assert torch.allclose(mix(e, [2, 2, 2]), centre)
    with pytest.raises(UserError):
        mix(e, [0, 0, 0])


def test_variation_amount_zero_keeps_the_embedding_and_grows_the_angle():
    z = torch.randn(96, generator=torch.Generator().manual_seed(2))
    assert torch.equal(vary_embedding(z, 0.0, 5), z)
    angles = [angle(z, vary_embedding(z, a, 5)) for a in (0.25, 0.5, 1.0)]
    assert angles == sorted(angles) and angles[0] > 0
    with pytest.raises(UserError):
        vary_embedding(z, 1.5, 5)


def test_frame_order_is_coarse_to_fine_and_complete():
    assert frame_order(9) == [0, 8, 4, 2, 6, 1, 3, 5, 7]
    for n in (1, 2, 3, 10, 33):
        assert sorted(frame_order(n)) == list(range(n))
    assert nearest_done(0.5, 9, {0, 8}) == 0 and nearest_done(0.6, 9, {0, 8, 4}) == 4
    assert nearest_done(0.3, 9, set()) is None


def test_interpolation_frames_share_noise_and_hit_the_ends(tiny_model):
    s = Settings(size=16, decoder_steps=2, prior_steps=2)
    a, b = Source(text="a red circle", label="a"), Source(text="a blue star", label="b")
    strip = interpolation(tiny_model, a, b, 5, 3, s)
    req, noise = strip.request(frame_order(5))
    done = [e for e in generate(tiny_model, req, noise=noise) if type(e).__name__ == "Finished"][0]
    assert len(done.images) == 5 and noise is None
    ends = run(tiny_model, strip.request([0])[0])[0].image
    assert np.array_equal(ends, done.images[0].image)  # the same frame alone or in a batch


def test_inverted_interpolation_starts_near_the_source(tiny_model):
    s = Settings(size=16, decoder_steps=25, decoder_guidance=1.0)
    img = [Image.fromarray(np.full((16, 16, 3), v, np.uint8)) for v in (60, 200)]
    strip = interpolation(tiny_model, Source(image=img[0], label="a"), Source(image=img[1], label="b"), 3, 0, s,
                          noise="inverted")
    assert strip.settings.sampler == "ddim" and strip.settings.decoder_spacing == "even"
    assert strip.starts.shape == (3, 3, 16, 16)
    with pytest.raises(UserError, match="two images"):
        interpolation(tiny_model, Source(text="x", label="x"), Source(image=img[1], label="b"), 3, 0, s, "inverted")


def test_text_diff_strip_thetas(tiny_model):
    img = Image.fromarray(np.full((16, 16, 3), 90, np.uint8))
    strip = text_diff_strip(tiny_model, Source(image=img, label="src"), "a blue star", "", 4, 0, Settings())
    assert strip.positions.tolist() == pytest.approx([0, 1 / 6, 2 / 6, 0.5])
    with pytest.raises(UserError):
        text_diff_strip(tiny_model, Source(image=img, label="src"), "x", "", 4, 0, Settings(), theta_max=0.9)


def test_variation_amount_reaches_the_pipeline(tiny_model):
    from engine import ImageVariation
    from engine.pipeline import run_embedding
    img = Image.fromarray(np.full((16, 16, 3), 90, np.uint8))
    s = Settings(size=16, decoder_steps=2)
    same = run_embedding(tiny_model, ImageVariation(img, (1, 2), s))
    moved = run_embedding(tiny_model, ImageVariation(img, (1, 2), s, amount=0.5))
    assert torch.equal(same[0], same[1]) and not torch.allclose(moved[0], moved[1])
    assert torch.allclose(moved.norm(dim=-1), same.norm(dim=-1), rtol=1e-4)
    meta = run(tiny_model, ImageVariation(img, (1,), s, amount=0.5))[0].metadata
    assert meta["source"]["amount"] == 0.5
    with pytest.raises(UserError, match="variation amount"):
        ImageVariation(img, (1,), s, amount=float("nan"))
