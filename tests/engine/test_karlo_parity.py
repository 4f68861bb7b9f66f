"""Karlo in diffusers' layout: our loader and engine against diffusers' and transformers' own classes.

Networks agree within 1e-5 (relative to the output's scale), whole pipelines within 1e-4, fed the
same initial and per-step noise (one shared generator, drawn in the reference's order).
"""
import numpy as np
import pytest
import torch
from PIL import Image

from engine import Finished, ImageVariation, Settings, TextToImage, generate, load_bundle

PROMPTS = ["a red circle on a blue background", "two yellow stars"]


def rel(ours, ref):
    return float((ours - ref).abs().max() / ref.abs().max())


@pytest.fixture(scope="module")
def ours(karlo):
    return load_bundle(str(karlo["t2i_dir"]))


@pytest.fixture(scope="module")
def ours_var(karlo):
    return load_bundle(str(karlo["variation_dir"]))


def test_tokenizer_and_text_encoder(karlo, ours):
    ids = karlo["tokenizer"](PROMPTS, padding="max_length", max_length=77, truncation=True, return_tensors="pt")
    assert torch.equal(ids.input_ids, ours.clip.tokenizer(PROMPTS))
    with torch.no_grad():
        ref = karlo["text_encoder"](ids.input_ids)
        mine = ours.clip.encode_text(PROMPTS)
    assert rel(mine.embed, ref.text_embeds) < 1e-5
    assert rel(mine.states, ref.last_hidden_state) < 1e-5
    assert torch.equal(mine.mask, ids.attention_mask.bool())


def test_image_encoder(karlo, ours_var):
    pixels = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert rel(ours_var.clip.encode_image(pixels), karlo["image_encoder"](pixels).image_embeds) < 1e-5


def test_prior(karlo, ours):
    g = torch.Generator().manual_seed(0)
    x, te, states = torch.randn(2, 32, generator=g), torch.randn(2, 32, generator=g), torch.randn(2, 77, 32, generator=g)
    mask = torch.arange(77)[None] < torch.tensor([[9], [40]])
    with torch.no_grad():
        ref = karlo["prior"](x, timestep=417, proj_embedding=te, encoder_hidden_states=states,
                             attention_mask=mask).predicted_image_embedding
        assert rel(ours.prior(x, 417, te, states, mask), ref) < 1e-5
        assert rel(ours.prior.denormalise(x), karlo["prior"].post_process_latents(x)) < 1e-6


def test_decoder_and_text_projection(karlo, ours):
    g = torch.Generator().manual_seed(1)
    z_i, te, states = torch.randn(2, 32, generator=g), torch.randn(2, 32, generator=g), torch.randn(2, 77, 32, generator=g)
    x = torch.randn(2, 3, 16, 16, generator=g)
    mask = torch.arange(77)[None] < torch.tensor([[5], [77]])
    with torch.no_grad():
        ref_ctx, ref_time = karlo["text_proj"](image_embeddings=z_i, prompt_embeds=te, text_encoder_hidden_states=states,
                                               do_classifier_free_guidance=False)
        ref = karlo["decoder"](x, 300, encoder_hidden_states=ref_ctx, class_labels=ref_time,
                               attention_mask=torch.nn.functional.pad(mask, (4, 0), value=True)).sample
        ctx, ctx_mask, time_term = ours.conditioning(z_i, te, states, mask)
        assert rel(ctx, ref_ctx) < 1e-6 and rel(time_term, ref_time) < 1e-6
        assert rel(ours.decoder(x, 300, time_term, ctx, ctx_mask), ref) < 1e-5


@pytest.mark.parametrize("which", ["first", "last"])
def test_upsamplers(karlo, ours, which):
    x = torch.randn(2, 6, 32, 32, generator=torch.Generator().manual_seed(2))
    net = ours.upsamplers[0].first if which == "first" else ours.upsamplers[0].last
    with torch.no_grad():
        assert rel(net(x, 123), karlo[f"super_res_{which}"](x, 123).sample) < 1e-5


def shared_noise(seed):
    """One generator drawn in call order, as the reference pipelines draw from theirs."""
    g = torch.Generator().manual_seed(seed)
    return lambda stage: (lambda shape: torch.randn(tuple(shape), generator=g))


def final(events):
    done = [e for e in events if isinstance(e, Finished)]
    assert done, events[-1]
    return (done[0].samples + 1) / 2  # [-1, 1] → [0, 1], as the reference's output


def test_whole_text_to_image_run_equals_unclip_pipeline(karlo, ours):
    steps = dict(prior_num_inference_steps=6, decoder_num_inference_steps=6, super_res_num_inference_steps=4)
    ref = karlo["t2i"](PROMPTS[0], num_images_per_prompt=2, generator=torch.Generator().manual_seed(7),
                       output_type="np", **steps).images
    ref = torch.from_numpy(ref).permute(0, 3, 1, 2)  # (B, H, W, 3) in [0, 1] → (B, 3, H, W)
    request = TextToImage(PROMPTS[0], seeds=(0, 1), settings=Settings(prior_steps=6, decoder_steps=6, upsampler_steps=4))
    mine = final(list(generate(ours, request, noise=shared_noise(7))))
    assert mine.shape == ref.shape == (2, 3, 32, 32)
    assert float((mine - ref).abs().max()) < 1e-4


def test_whole_image_variation_run_equals_reference(karlo, ours_var):
    image = Image.fromarray(np.random.default_rng(3).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    ref = karlo["variation"](image, decoder_num_inference_steps=6, super_res_num_inference_steps=4,
                             generator=torch.Generator().manual_seed(11), output_type="np").images
    ref = torch.from_numpy(ref).permute(0, 3, 1, 2)
    request = ImageVariation(image, seeds=(0,), settings=Settings(decoder_steps=6, upsampler_steps=4))
    mine = final(list(generate(ours_var, request, noise=shared_noise(11))))
    assert float((mine - ref).abs().max()) < 1e-4
