"""Tiny random-weight Kandinsky 2.2 pipelines built from diffusers' and transformers' own classes, saved in the
exact Hugging Face layouts of kandinsky-community/kandinsky-2-2-prior and -decoder (test-only: these libraries are
the reference, not a dependency).

The CLIP towers use GELU and MLPs that are not 4× wide (as ViT-bigG's image tower), so the loader's exact widths
and activations are exercised; the decoder scheduler is the hub's DDPMScheduler config.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
import torch

from tests.engine.karlo_reference import write_clip_tokenizer

CLIP_DIM = 32
HUB_DECODER_SCHEDULER = {  # kandinsky-2-2-decoder/scheduler/scheduler_config.json as published (set_alpha_to_one is
    "_class_name": "DDPMScheduler", "_diffusers_version": "0.17.0.dev0",  # a DDIM field DDPM ignores)
    "num_train_timesteps": 1000, "beta_schedule": "linear", "beta_start": 0.00085, "beta_end": 0.012,
    "clip_sample": False, "set_alpha_to_one": False, "steps_offset": 1, "prediction_type": "epsilon",
    "thresholding": False}
_BUILT: dict = {}


def components(seed: int = 0) -> dict:
    """Every Kandinsky 2.2 component at toy size, random weights (fixed seed)."""
    from diffusers import DDPMScheduler, PriorTransformer, UnCLIPScheduler, UNet2DConditionModel, VQModel
    from transformers import (CLIPImageProcessor, CLIPTextConfig, CLIPTextModelWithProjection, CLIPVisionConfig,
                              CLIPVisionModelWithProjection)
    torch.manual_seed(seed)
    text_encoder = CLIPTextModelWithProjection(CLIPTextConfig(
        vocab_size=49408, hidden_size=CLIP_DIM, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2,
        max_position_embeddings=77, hidden_act="gelu", projection_dim=CLIP_DIM, bos_token_id=49406,
        eos_token_id=49407, pad_token_id=1))
    image_encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=32, intermediate_size=80, num_hidden_layers=2, num_attention_heads=2, image_size=32,
        patch_size=8, projection_dim=CLIP_DIM, hidden_act="gelu"))
    prior = PriorTransformer(num_attention_heads=2, attention_head_dim=16, num_layers=2, embedding_dim=CLIP_DIM,
                             num_embeddings=77, additional_embeddings=4)
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=8, layers_per_block=1, block_out_channels=(32, 64),
        norm_num_groups=8, down_block_types=("ResnetDownsampleBlock2D", "SimpleCrossAttnDownBlock2D"),
        up_block_types=("SimpleCrossAttnUpBlock2D", "ResnetUpsampleBlock2D"),
        mid_block_type="UNetMidBlock2DSimpleCrossAttn", encoder_hid_dim=CLIP_DIM, encoder_hid_dim_type="image_proj",
        cross_attention_dim=24, attention_head_dim=8, addition_embed_type="image",
        resnet_time_scale_shift="scale_shift")
    movq = VQModel(
        in_channels=3, out_channels=3, block_out_channels=(32, 64), layers_per_block=1, latent_channels=4,
        down_block_types=("DownEncoderBlock2D", "AttnDownEncoderBlock2D"),
        up_block_types=("AttnUpDecoderBlock2D", "UpDecoderBlock2D"), norm_type="spatial", num_vq_embeddings=16,
        vq_embed_dim=4, norm_num_groups=8)
    with torch.no_grad():  # make the learned embeddings and the prior statistics non-trivial
        for p in (prior.positional_embedding, prior.prd_embedding):
            p.normal_(0, 0.5)
        prior.clip_mean.normal_(0, 0.5)
        prior.clip_std.uniform_(0.5, 1.5)
        movq.decoder.conv_out.weight.mul_(0.25)  # images mostly inside [-1, 1], so the clamp hides little
    return dict(
        text_encoder=text_encoder, image_encoder=image_encoder, prior=prior, unet=unet, movq=movq,
        image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
        prior_scheduler=UnCLIPScheduler(variance_type="fixed_small_log", prediction_type="sample",
                                        clip_sample_range=10.0),
        scheduler=DDPMScheduler.from_config(HUB_DECODER_SCHEDULER),
    )


def save_pipelines(root: Path) -> tuple[Path, Path, dict]:
    """Save the prior and the decoder pipelines side by side; returns both folders and the components."""
    from diffusers import KandinskyV22Pipeline, KandinskyV22PriorPipeline
    from transformers import CLIPTokenizer
    c = components()
    tokenizer = CLIPTokenizer(str(write_clip_tokenizer(root / "bpe") / "vocab.json"), str(root / "bpe" / "merges.txt"),
                              pad_token="!", model_max_length=77)
    prior = KandinskyV22PriorPipeline(prior=c["prior"], image_encoder=c["image_encoder"],
                                      text_encoder=c["text_encoder"], tokenizer=tokenizer,
                                      scheduler=c["prior_scheduler"], image_processor=c["image_processor"])
    decoder = KandinskyV22Pipeline(unet=c["unet"], scheduler=c["scheduler"], movq=c["movq"])
    prior.save_pretrained(root / "kandinsky-2-2-prior", safe_serialization=True)
    decoder.save_pretrained(root / "kandinsky-2-2-decoder", safe_serialization=True)
    (root / "kandinsky-2-2-decoder" / "scheduler" / "scheduler_config.json").write_text(json.dumps(HUB_DECODER_SCHEDULER))
    return root / "kandinsky-2-2-decoder", root / "kandinsky-2-2-prior", dict(
        c, tokenizer=tokenizer, prior_pipe=prior, decoder_pipe=decoder)


def built() -> dict:
    """The saved pair and its reference pipelines, built once per test process."""
    if not _BUILT:
        root = Path(tempfile.mkdtemp(prefix="kandinsky-"))
        decoder, prior, parts = save_pipelines(root)
        _BUILT.update(root=root, decoder_dir=decoder, prior_dir=prior, **parts)
    return _BUILT


@pytest.fixture(scope="session")
def kandinsky():
    """Tiny reference Kandinsky 2.2 pipelines saved in the Hugging Face layout (see the module docstring)."""
    yield built()


def fake_cache(tmp_path: Path, sources: dict[str, Path], revision: str = "0123456789abcdef") -> Path:
    """HF_HOME holding the real hub cache layout (models--owner--name/{refs/main, snapshots/<rev>/…}) of each repo."""
    home = tmp_path / "hf"
    for repo, source in sources.items():
        repo_dir = home / "hub" / ("models--" + repo.replace("/", "--"))
        shutil.copytree(source, repo_dir / "snapshots" / revision)
        (repo_dir / "refs").mkdir(parents=True)
        (repo_dir / "refs" / "main").write_text(revision)
    return home
