"""The live decoder: saved and loaded outside the fingerprint, one pass from x_T, w-conditioned, distillable;
and a bundle's sampling defaults (defaults.json)."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

import numpy as np

from engine import EmbeddingToImage, Settings, TextToImage, live_preview, load_bundle, run
from engine.diffusion.schedule import DiffusionConfig
from engine.errors import UserError
from engine.families import BundleError, save_bundle, save_live
from engine.model import UnCLIP
from engine.nn.live import LiveConfig
from engine.pipeline import resolve_settings
from engine.record import migrate
from engine.stages.live import live_decode
from engine.tiny import tiny_config
from engine.training.live import distil, live_config_of, student, teacher_pairs


def v_config():
    """The tiny bundle with a v-predicting decoder (the embedded default's kind), no upsamplers."""
    c = tiny_config(upsampler_sizes=())
    return replace(c, decoder=replace(c.decoder, network=replace(c.decoder.network, out_channels=3),
                                      diffusion=DiffusionConfig(prediction="v_prediction", variance="fixed_small_log")))


@pytest.fixture(scope="module")
def teacher():
    return UnCLIP.random(v_config(), seed=1)


def test_the_live_decoder_saves_loads_and_leaves_the_fingerprint(teacher, tmp_path):
    folder = save_bundle(teacher, tmp_path / "b")
    before = load_bundle(str(folder))
    assert before.live is None and before.config.live is None
    config = live_config_of(teacher)
    model = UnCLIP.random(replace(teacher.config, live=config), seed=2)
    with torch.no_grad():  # give w a say, so a round trip that dropped the guidance term would show
        model.live.guidance.mlp[2].weight.normal_(0, 0.5)
    save_live(model.live, config, folder)
    after = load_bundle(str(folder))
    assert after.fingerprint == before.fingerprint, "the live decoder changes no saved pixel, so not the hash"
    assert after.config.live == config
    for key, value in model.live.state_dict().items():
        assert torch.allclose(after.live.state_dict()[key], value.half().float()), key


def test_one_pass_from_x_T_gives_an_image_that_follows_w(teacher):
    model = UnCLIP.random(replace(teacher.config, live=live_config_of(teacher)), seed=2)
    with torch.no_grad():
        model.live.guidance.mlp[2].weight.normal_(0, 0.5)
    z_i = torch.randn(2, 32)
    text = model.clip.encode_text(["a red circle", ""])
    x_T = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    decode = lambda w: live_decode(model.live, model.process("decoder"), z_i, text, x_T, w)  # noqa: E731
    low, high = decode(1.0), decode(6.0)
    assert low.shape == (2, 3, 16, 16) and low.abs().max() <= 1
    assert (low - high).abs().max() > 1e-3, "the guidance scale reaches the image"
    assert torch.equal(decode(100.0), decode(model.config.live.guidance_range[1])), "w is clamped to its range"


def test_a_model_without_one_says_so(teacher):
    with pytest.raises(UserError, match="no live decoder"):
        live_preview(teacher, TextToImage("a cat", seeds=(1,)))


def test_the_preview_guesses_the_full_render_from_the_same_z_i_and_x_T(teacher):
    """A live decoder that is its teacher's one-step prediction at t = T − 1 (untrained guidance term) gives
    exactly the full decoder's first pred_x0 at one decoder step of the same request."""
    model = replace(teacher, live=student(teacher, live_config_of(teacher)).eval(),
                    config=replace(teacher.config, live=live_config_of(teacher)))
    request = EmbeddingToImage(torch.randn(32), seeds=(4, 5), settings=Settings(size=16, decoder_steps=1,
                                                                                decoder_guidance=1.0))
    preview = live_preview(model, request)
    full = np.stack([im.image for im in run(model, request)])
    assert preview.shape == (2, 16, 16, 3)
    assert np.abs(preview.astype(int) - full.astype(int)).max() <= 1


def test_distillation_moves_the_student_toward_the_teacher(teacher, tmp_path):
    config = replace(live_config_of(teacher), teacher_steps=3)
    pairs = teacher_pairs(teacher, config, count=8, seed=0, batch=4, scenes=32)
    assert pairs["image"].shape == (8, 3, 16, 16) and pairs["w"].unique().numel() == 2

    def error(live) -> float:
        model = replace(teacher, live=live, config=replace(teacher.config, live=config))
        text = type(teacher.clip.encode_text([""]))(pairs["embed"], pairs["states"], pairs["mask"])
        got = torch.cat([live_decode(model.live, model.process("decoder"), pairs["z_i"][i:i + 1],
                                     type(text)(*(v[i:i + 1] for v in (text.embed, text.states, text.mask))),
                                     pairs["x_T"][i:i + 1], float(pairs["w"][i])) for i in range(8)])
        return float((got - pairs["image"]).pow(2).mean())

    start = error(student(teacher, config).eval())
    trained = distil(teacher, pairs, config, steps=60, run_dir=tmp_path, batch=8, lr=2e-3)
    assert error(trained) < 0.7 * start


def test_defaults_json_sets_the_sampler_and_steps_a_request_leaves_unset(tiny_model, tmp_path):
    folder = save_bundle(tiny_model, tmp_path / "d")
    plain = load_bundle(str(folder))
    (folder / "defaults.json").write_text(json.dumps({"sampler": "dpm++2m", "prior_steps": 2, "decoder_steps": 3,
                                                       "upsampler_steps": [2, 1]}))
    model = load_bundle(str(folder))
    assert model.fingerprint == plain.fingerprint
    s = resolve_settings(model, Settings())
    assert (s.sampler, s.prior_steps, s.decoder_steps) == ("dpm++2m", 2, 3)
    assert [u.steps for u in model.config.upsamplers] == [2, 1]
    assert resolve_settings(model, Settings(sampler="ddim")).sampler == "ddim"
    assert resolve_settings(plain, Settings()).sampler == "ddpm"
    (folder / "defaults.json").write_text(json.dumps({"sampler": "euler"}))
    with pytest.raises(BundleError, match="defaults.json"):
        load_bundle(str(folder))


def test_a_record_made_before_step_plans_keeps_the_steps_each_upsampler_ran(tiny_model, tmp_path):
    meta = migrate({"schema": 3, "settings": {"decoder_steps": 25, "upsampler_steps": None}, "upsampler_steps": [7]})
    assert meta["settings"]["upsampler_plan"] == [7]
    folder = save_bundle(tiny_model, tmp_path / "p")
    (folder / "defaults.json").write_text(json.dumps({"upsampler_steps": [2, 1]}))
    model = load_bundle(str(folder))
    assert resolve_settings(model, Settings()).upsampler_plan == (2, 1), "new images record the defaults' plan"
    assert resolve_settings(model, Settings(upsampler_plan=(7,))).upsampler_plan == (7,)
    assert resolve_settings(model, Settings(upsampler_steps=4)).upsampler_plan is None


def test_a_request_with_the_bundle_sampler_runs(tiny_model):
    from engine import Finished, serve
    end = serve(tiny_model, TextToImage("a red circle", seeds=(1,), settings=Settings(size=16)))
    assert isinstance(end, Finished) and end.images[0].metadata["settings"]["sampler"] == "ddpm"


def test_live_config_round_trips_through_json():
    from engine.config import from_dict, to_dict
    c = LiveConfig(guidance_range=(1.0, 6.0))
    assert from_dict(LiveConfig, json.loads(json.dumps(to_dict(c)))) == c
