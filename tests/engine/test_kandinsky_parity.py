"""Kandinsky 2.2 in diffusers' layout: our loader and engine against diffusers' and transformers' own classes.

Networks agree within 1e-5 relative to the output's scale. Whole runs are fed the same initial and per-step noise
(one shared generator, drawn in the reference's order); each is held to both rules and prints its numbers:
- within 1e-4 of diffusers' float32 run (absolute, images in [0, 1]), where the run does not amplify rounding;
- no further from diffusers' run in float64 (the same noise, drawn in float32) than diffusers' own float32 run is.
"""
import copy

import numpy as np
import pytest
import torch
from PIL import Image

from engine import ImageVariation, Settings, TextToImage, generate, load_bundle
from tests.engine.kandinsky_reference import kandinsky  # noqa: F401 (the fixture)
from tests.engine.test_karlo_parity import final, rel, shared_noise  # the same discipline, the same helpers

PROMPTS = ["a red circle on a blue background", "two yellow stars"]


@pytest.fixture(scope="module")
def ours(kandinsky):  # noqa: F811
    return load_bundle(str(kandinsky["decoder_dir"]))


def test_tokenizer_and_text_encoder(kandinsky, ours):  # noqa: F811
    ids = kandinsky["tokenizer"](PROMPTS, padding="max_length", max_length=77, truncation=True, return_tensors="pt")
    assert torch.equal(ids.input_ids, ours.clip.tokenizer(PROMPTS))
    with torch.no_grad():
        ref = kandinsky["text_encoder"](ids.input_ids)
        mine = ours.clip.encode_text(PROMPTS)
    assert rel(mine.embed, ref.text_embeds) < 1e-5
    assert rel(mine.states, ref.last_hidden_state) < 1e-5
    assert torch.equal(mine.mask, ids.attention_mask.bool())


def test_image_encoder_and_the_negative_embedding(kandinsky, ours):  # noqa: F811
    pixels = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    image = Image.fromarray(np.random.default_rng(3).integers(0, 256, (40, 40, 3), dtype=np.uint8))
    with torch.no_grad():
        assert rel(ours.clip.encode_image(pixels), kandinsky["image_encoder"](pixels).image_embeds) < 1e-5
        ref_pixels = kandinsky["image_processor"](image, return_tensors="pt").pixel_values
        level = 1 / 255 / min(ours.config.clip.std)  # one 8-bit level: transformers 5 resizes tensors, open_clip PIL
        assert float((ours.clip.image_pixels([image]) - ref_pixels).abs().max()) <= level + 1e-6
        assert rel(ours.negative_embed(), kandinsky["prior_pipe"].get_zero_embed()) < 1e-5


def test_prior(kandinsky, ours):  # noqa: F811
    g = torch.Generator().manual_seed(0)
    x, te, states = torch.randn(2, 32, generator=g), torch.randn(2, 32, generator=g), torch.randn(2, 77, 32, generator=g)
    mask = torch.arange(77)[None] < torch.tensor([[9], [40]])
    with torch.no_grad():
        ref = kandinsky["prior"](x, timestep=417, proj_embedding=te, encoder_hidden_states=states,
                                 attention_mask=mask).predicted_image_embedding
        assert rel(ours.prior(x, 417, te, states, mask), ref) < 1e-5
        assert rel(ours.prior.denormalise(x), kandinsky["prior"].post_process_latents(x)) < 1e-6


def test_latent_unet(kandinsky, ours):  # noqa: F811
    g = torch.Generator().manual_seed(1)
    z_i, x = torch.randn(2, 32, generator=g), torch.randn(2, 4, 8, 8, generator=g)
    with torch.no_grad():
        ref = kandinsky["unet"](x, 300, encoder_hidden_states=None, added_cond_kwargs={"image_embeds": z_i}).sample
        time_term, context = ours.decoder.condition(z_i)
        assert rel(ours.decoder(x, 300, time_term, context), ref) < 1e-5


def test_movq_decoder(kandinsky, ours):  # noqa: F811
    latent = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ref = kandinsky["movq"].decode(latent, force_not_quantize=True).sample
        assert ref.shape == (2, 3, 16, 16)
        assert rel(ours.movq(latent), ref) < 1e-5


def test_movq_encoder(kandinsky, ours):  # noqa: F811
    """VQModel.encode (encoder, then quant_conv; what the decoder pipeline's img2img starts from)."""
    image = torch.rand(2, 3, 16, 20, generator=torch.Generator().manual_seed(4)) * 2 - 1
    with torch.no_grad():
        ref = kandinsky["movq"].encode(image).latents
        assert ref.shape == (2, 4, 8, 10)
        distance = rel(ours.movq.encoder(image), ref)
    print(f"MoVQ encoder: {distance:.1e} relative")
    assert distance < 1e-5


def as_tensor(images):
    return torch.from_numpy(images).permute(0, 3, 1, 2)  # (B, H, W, 3) in [0, 1] → (B, 3, H, W)


def float32_draws(monkeypatch):
    """diffusers' noise drawn in float32 whatever the pipeline's dtype, so a float64 run sees the same noise."""
    import diffusers.pipelines.kandinsky2_2.pipeline_kandinsky2_2 as decoder
    import diffusers.pipelines.kandinsky2_2.pipeline_kandinsky2_2_prior as prior
    import diffusers.schedulers.scheduling_ddpm as ddpm
    import diffusers.schedulers.scheduling_unclip as unclip

    def randn(shape, generator=None, device=None, dtype=None, layout=None):
        return torch.randn(tuple(shape), generator=generator, dtype=torch.float32).to(dtype=dtype)

    for module in (decoder, prior, ddpm, unclip):
        monkeypatch.setattr(module, "randn_tensor", randn)


def reference(kandinsky, run, monkeypatch):  # noqa: F811
    """diffusers' images (B, 3, H, W) in [0, 1] from `run(prior_pipe, decoder_pipe, dtype)`: in float32, and with
    every network in float64 (a float64-network reference)."""
    float32_draws(monkeypatch)
    ref32 = as_tensor(run(kandinsky["prior_pipe"], kandinsky["decoder_pipe"], torch.float32))
    pipes64 = [copy.deepcopy(kandinsky[name]).to(torch.float64) for name in ("prior_pipe", "decoder_pipe")]
    return ref32, as_tensor(run(*pipes64, torch.float64))


def distances(mine, ref32, ref64, what):
    """max |ours − diffusers f32|, max |ours − f64 reference|, max |diffusers f32 − f64 reference|; printed."""
    d = tuple(float((a - b).abs().max()) for a, b in ((mine, ref32), (mine, ref64), (ref32, ref64)))
    print(f"{what}: ours − diffusers f32 {d[0]:.2e}; from the f64 reference: ours {d[1]:.2e}, diffusers f32 {d[2]:.2e}")
    return d


def test_whole_text_to_image_run_equals_the_reference(kandinsky, ours, monkeypatch):  # noqa: F811
    """Rule: within 1e-4 of diffusers' float32 run."""
    def run(prior_pipe, decoder_pipe, dtype):
        g = torch.Generator().manual_seed(7)  # the prior pipeline, then the decoder pipeline, draw from one generator
        embeds = prior_pipe(PROMPTS[0], num_images_per_prompt=2, num_inference_steps=6, generator=g)
        return decoder_pipe(embeds.image_embeds, embeds.negative_image_embeds, height=20, width=20,
                            num_inference_steps=6, generator=g, output_type="np").images

    ref32, ref64 = reference(kandinsky, run, monkeypatch)
    request = TextToImage(PROMPTS[0], seeds=(0, 1), settings=Settings(prior_steps=6, decoder_steps=6, size=20))
    mine = final(list(generate(ours, request, noise=shared_noise(7))))
    assert mine.shape == ref32.shape == (2, 3, 20, 20)
    assert distances(mine, ref32, ref64, "text→image")[0] < 1e-4


def test_whole_image_variation_run_equals_the_reference(kandinsky, ours, monkeypatch):  # noqa: F811
    """Rule: within 1e-4 of diffusers' float32 run, over 4 decoder steps. (Over 6, the untrained UNet's guided steps
    drive the latent to ±40, where MoVQ's float32 output moves by 1e-4 under one-ulp changes of its input: diffusers'
    own float32 run is 1e-4 from float64 there. The next test checks those 6 steps on the latent.)"""
    pixels = np.random.default_rng(3).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    clip = kandinsky["image_processor"]
    exact = (torch.from_numpy(pixels).double().permute(2, 0, 1)[None] / 255  # the processor's arithmetic in float64
             - torch.tensor(clip.image_mean).double().view(1, 3, 1, 1)) / torch.tensor(clip.image_std).double().view(1, 3, 1, 1)

    def run(prior_pipe, decoder_pipe, dtype):
        source = image if dtype == torch.float32 else exact  # a 32 px image: the processor only rescales, normalises
        embeds = prior_pipe.interpolate([source], [1.0], generator=torch.Generator().manual_seed(0))
        return decoder_pipe(embeds.image_embeds, embeds.negative_image_embeds, height=16, width=16,
                            num_inference_steps=4, generator=torch.Generator().manual_seed(11),
                            output_type="np").images

    ref32, ref64 = reference(kandinsky, run, monkeypatch)
    request = ImageVariation(image, seeds=(0,), settings=Settings(decoder_steps=4, size=16))
    mine = final(list(generate(ours, request, noise=shared_noise(11))))
    assert distances(mine, ref32, ref64, "image variation")[0] < 1e-4


def test_six_guided_decoder_steps_give_the_reference_latent(kandinsky, ours, monkeypatch):  # noqa: F811
    """Rule: the latent after 6 guided steps (before MoVQ) within 1e-5 of diffusers', relative to its scale."""
    from engine.pipeline import resolve_settings
    from engine.stages.latent_decoder import decode_latent
    float32_draws(monkeypatch)
    z_i, negative = torch.randn(2, 32, generator=torch.Generator().manual_seed(4)), ours.negative_embed()
    ref = kandinsky["decoder_pipe"](z_i, negative.expand(2, -1), height=16, width=16, num_inference_steps=6,
                                    generator=torch.Generator().manual_seed(11), output_type="latent").images
    s = resolve_settings(ours, Settings(decoder_steps=6, size=16))
    steps = decode_latent(ours.decoder, ours.movq, ours.process("decoder"), z_i, negative,
                          shared_noise(11)(None), 16, s, ours.config.latent.steps_offset)
    with torch.inference_mode():
        latent = [step.x for step in steps][-1]
    print(f"6-step latent: relative {rel(latent, ref):.2e} of a latent of scale {float(ref.abs().max()):.0f}")
    assert rel(latent, ref) < 1e-5
