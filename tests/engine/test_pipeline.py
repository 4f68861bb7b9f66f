"""The whole chain on tiny random weights: events, sizes, determinism, cancellation, failures."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from engine import (CancelToken, Cancelled, EmbeddingToImage, Failed, Finished, ImageReady, ImageVariation,
                    Settings, StageStarted, StepDone, TextToImage, UserError, generate, resolve_settings, run)


def kinds(events):
    return [type(e).__name__ for e in events]


def test_text_to_image_runs_every_stage_in_order(tiny_model):
    events = list(generate(tiny_model, TextToImage("a red circle", seeds=(1, 2))))
    stages = [(e.stage.component, e.steps, e.stage.size) for e in events if isinstance(e, StageStarted)]
    assert stages == [("prior", 4, None), ("decoder", 4, 16), ("upsampler0", 3, 32), ("upsampler1", 3, 64)]
    steps = [e for e in events if isinstance(e, StepDone)]
    assert len(steps) == 4 + 4 + 3 + 3 and steps[0].preview is None
    assert steps[4].preview.shape == (2, 16, 16, 3) and steps[-1].preview.dtype == np.uint8
    images = [e for e in events if isinstance(e, ImageReady)]
    assert kinds(events)[-3:] == ["ImageReady", "ImageReady", "Finished"]
    assert [im.seed for im in images] == [1, 2] and images[0].image.shape == (64, 64, 3)
    assert not np.array_equal(images[0].image, images[1].image)
    meta = images[0].metadata
    assert meta["prompt"] == "a red circle" and meta["seed"] == 1 and meta["settings"]["decoder_steps"] == 4
    assert meta["model"]["name"] == "tiny-random" and meta["size"] == [64, 64]


def test_same_request_gives_identical_pixels(tiny_model):
    request = TextToImage("a blue star", seeds=(7,), settings=Settings(sampler="ddpm"))
    a, b = run(tiny_model, request), run(tiny_model, request)
    assert np.array_equal(a[0].image, b[0].image)
    c = run(tiny_model, TextToImage("a blue star", seeds=(8,)))
    assert not np.array_equal(a[0].image, c[0].image)


def test_each_upsampler_runs_its_own_steps_unless_told(tiny_model):
    from dataclasses import replace

    from engine.record import parameters_text
    ups = (tiny_model.config.upsamplers[0], replace(tiny_model.config.upsamplers[1], steps=2))
    model = replace(tiny_model, config=replace(tiny_model.config, upsamplers=ups))
    for told, expected in ((None, [3, 2]), (5, [5, 5])):
        events = list(generate(model, TextToImage("x", settings=Settings(upsampler_steps=told))))
        assert [e.steps for e in events if isinstance(e, StageStarted)][2:] == expected
        meta = events[-1].images[0].metadata
        assert meta["settings"]["upsampler_steps"] == told and meta["upsampler_steps"] == expected
        assert f"Upsampler steps: {', '.join(map(str, expected))}," in parameters_text(meta)


@pytest.mark.parametrize("size,stages", [(16, 2), (32, 3), (64, 4)])
def test_size_stops_the_chain_early(tiny_model, size, stages):
    events = list(generate(tiny_model, TextToImage("x", settings=Settings(size=size))))
    assert sum(isinstance(e, StageStarted) for e in events) == stages
    assert events[-1].images[0].image.shape == (size, size, 3)


def test_unknown_size_is_a_user_error(tiny_model):
    with pytest.raises(UserError, match="16, 32, 64"):
        resolve_settings(tiny_model, Settings(size=48))
    events = list(generate(tiny_model, TextToImage("x", settings=Settings(size=48))))
    assert isinstance(events[-1], Failed) and "size 48" in events[-1].message and not events[-1].details


def test_variation_and_embedding_requests(tiny_model):
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 30, 3), dtype=np.uint8))
    out = run(tiny_model, ImageVariation(image, seeds=(1, 2), source_name="src.png"))
    assert len(out) == 2 and out[0].metadata["source"]["name"] == "src.png"
    assert len(out[0].metadata["source"]["sha256"]) == 64
    z = torch.randn(32)
    emb = run(tiny_model, EmbeddingToImage(z, seeds=(3,), settings=Settings(size=16, sampler="ddim")))
    assert emb[0].image.shape == (16, 16, 3)
    assert emb[0].metadata["source"]["image_embed"] == pytest.approx(z.tolist(), abs=1e-6)


def test_cancel_between_steps_stops_without_images(tiny_model):
    cancel = CancelToken()
    events = []
    for event in generate(tiny_model, TextToImage("x", seeds=(1,)), cancel):
        events.append(event)
        if isinstance(event, StepDone) and event.stage.component == "decoder" and event.step == 2:
            cancel.cancel()
    assert isinstance(events[-1], Cancelled) and events[-1].stage.component == "decoder" and events[-1].step == 2
    assert not any(isinstance(e, (ImageReady, Finished)) for e in events)
    assert sum(isinstance(e, StepDone) and e.stage.component == "decoder" for e in events) == 2


def test_a_failing_stage_ends_in_failed_not_an_exception(tiny_model, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(tiny_model.upsamplers[0].first, "forward", broken)
    events = list(generate(tiny_model, TextToImage("x")))
    assert isinstance(events[-1], Failed) and "boom" in events[-1].message and "Traceback" in events[-1].details


def test_layout_guidance_changes_only_the_layout_steps(tiny_model):
    s = Settings(size=16, decoder_steps=4, decoder_guidance=3.0)
    request = lambda **kw: TextToImage("a red circle", seeds=(4,), settings=Settings(**{**s.__dict__, **kw}))  # noqa: E731
    base = run(tiny_model, request())[0]
    assert base.metadata["settings"]["layout_guidance"] == 3.0  # resolved: the decoder's own
    same = run(tiny_model, request(layout_guidance=3.0))[0]
    assert np.array_equal(base.image, same.image)
    free = run(tiny_model, request(layout_guidance=0.0))[0]
    assert not np.array_equal(base.image, free.image) and free.metadata["settings"]["layout_guidance"] == 0.0
    late = run(tiny_model, request(layout_guidance=0.0, decoder_steps=1, decoder_spacing="even"))[0]  # t = 0 only
    assert np.array_equal(late.image, run(tiny_model, request(decoder_steps=1, decoder_spacing="even"))[0].image)


def _draws(tiny_model, monkeypatch, settings):
    """Run a two-seed text request, returning every decoder draw (B, 3, 16, 16), z_i (B, D), events and images."""
    import engine.pipeline as pipeline
    drawn, real = [], pipeline.decode

    def spy(*args, **kwargs):
        x = yield from real(*args, **kwargs)
        drawn.append(x.clone())
        return x

    monkeypatch.setattr(pipeline, "decode", spy)
    request = TextToImage("a red circle", seeds=(4, 5), settings=settings)
    events = list(generate(tiny_model, request))
    monkeypatch.undo()
    return drawn, pipeline.run_embedding(tiny_model, request), events, [im.image for im in events[-1].images]


def test_decoder_candidates_keep_the_first_accepted_else_the_closest(tiny_model, monkeypatch):
    import engine.pipeline as pipeline
    one = [im.image for im in run(tiny_model, TextToImage("a red circle", seeds=(4, 5),
                                                          settings=Settings(size=16, decoder_steps=3)))]
    drawn, z_i, events, kept = _draws(tiny_model, monkeypatch, Settings(size=16, decoder_steps=3, decoder_candidates=3,
                                                                        accept_cosine=1.0))
    assert [e.stage.component for e in events if isinstance(e, StageStarted)] == ["prior", "decoder", "decoder", "decoder"]
    assert events[-1].images[0].metadata["settings"]["decoder_candidates"] == 3
    assert all(np.array_equal(a, b) for a, b in zip(pipeline.to_uint8(drawn[0]).numpy(), one))  # draw 0: the single
    assert not any(np.array_equal(a, b) for a, b in zip(pipeline.to_uint8(drawn[2]).numpy(), one))  # others: own noise
    with torch.inference_mode():
        cos = torch.stack([F.cosine_similarity(tiny_model.clip.encode_image(tiny_model.clip.tensor_pixels(x)), z_i)
                           for x in drawn])  # (K, B)
    best = cos.argmax(0)
    for b in range(2):  # accept 1: the closest of all three
        assert np.array_equal(kept[b], pipeline.to_uint8(drawn[int(best[b])]).numpy()[b])

    # a cosine that both images reach within two draws: drawing stops there, each keeps its first accepted
    accept = float(cos[:2].max(0).values.min()) - 1e-6
    drawn2, _, events2, kept2 = _draws(tiny_model, monkeypatch, Settings(
        size=16, decoder_steps=3, decoder_candidates=3, accept_cosine=accept))
    expected = 1 if bool((cos[0] >= accept).all()) else 2
    assert len(drawn2) == expected
    assert [e.stage.component for e in events2 if isinstance(e, StageStarted)].count("decoder") == expected
    for b in range(2):
        first = 0 if cos[0, b] >= accept else 1
        assert np.array_equal(kept2[b], pipeline.to_uint8(drawn[first]).numpy()[b])
    assert events2[-1].images[0].metadata["settings"]["accept_cosine"] == accept

    _, _, events0, kept0 = _draws(tiny_model, monkeypatch, Settings(size=16, decoder_steps=3, decoder_candidates=3,
                                                                   accept_cosine=-1.0))
    assert [e.stage.component for e in events0 if isinstance(e, StageStarted)].count("decoder") == 1  # any draw passes −1
    assert all(np.array_equal(a, b) for a, b in zip(kept0, one))


def test_prior_candidates_pick_by_cosine():
    import engine.pipeline as pipeline
    z_i = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    seen = torch.tensor([[[0.9, 0.1], [0.0, -1.0]], [[0.1, 0.9], [0.2, 0.9]], [[-1.0, 0.0], [1.0, 0.0]]])  # (K, B, D)
    assert pipeline.closest(seen, z_i).tolist() == [0, 1]


def test_the_model_sets_the_accept_cosine(tiny_model):
    from engine.pipeline import resolve_settings
    assert resolve_settings(tiny_model, Settings(size=16)).accept_cosine == tiny_model.config.decoder.accept_cosine
    assert resolve_settings(tiny_model, Settings(size=16, accept_cosine=0.5)).accept_cosine == 0.5


@pytest.mark.parametrize("bad", [dict(prior_steps=0), dict(decoder_guidance=float("nan")), dict(sampler="euler"),
                                 dict(eta=-1.0), dict(upsampler_steps=1001), dict(layout_guidance=-0.5),
                                 dict(decoder_candidates=0), dict(decoder_candidates=9), dict(decoder_candidates=True),
                                 dict(accept_cosine=1.5), dict(accept_cosine=-1.1), dict(accept_cosine=True)])
def test_bad_settings_are_user_errors(bad):
    with pytest.raises(UserError):
        Settings(**bad)


@pytest.mark.parametrize("seeds", [(), (-1,), (2**32,), (1.5,)])
def test_bad_seeds_are_user_errors(seeds):
    with pytest.raises(UserError):
        TextToImage("x", seeds=seeds)


def test_prompt_control_characters_are_dropped():
    assert TextToImage("a\x00 red\x07 circle\n").prompt == "a red circle "


def test_stages_are_values_whose_noise_names_never_change():
    from engine import Stage
    stages = [Stage.prior(), Stage.prior(1), Stage.decoder(64), Stage.decoder(64, 2), Stage.upsampler(1, 1024)]
    assert [s.noise_name for s in stages] == ["prior", "prior1", "decoder", "decoder2", "upsampler1"]
    assert [s.display for s in stages] == ["prior", "prior · draw 2", "decoder · 64 px", "decoder · 64 px · draw 3",
                                           "upsampler · 1024 px"]
