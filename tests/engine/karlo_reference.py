"""Tiny random-weight Karlo pipelines built from diffusers' and transformers' own classes, saved in
the exact Hugging Face layout (test-only: these libraries are the reference, not a dependency)."""
from __future__ import annotations

import json
from pathlib import Path

import open_clip
import torch

CLIP_DIM, TEXT_WIDTH = 32, 32


def write_clip_tokenizer(folder: Path) -> Path:
    """CLIP's BPE vocabulary and merges (from open_clip's copy) as a transformers CLIPTokenizer folder."""
    bpe = open_clip.tokenizer.SimpleTokenizer()
    vocab = {("<|startoftext|>" if k == "<start_of_text>" else "<|endoftext|>" if k == "<end_of_text>" else k): v
             for k, v in bpe.encoder.items()}
    merges = sorted(bpe.bpe_ranks, key=bpe.bpe_ranks.get)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")
    return folder


def components(seed: int = 0) -> dict:
    """Every Karlo component at toy size, random weights (fixed seed)."""
    from diffusers import PriorTransformer, UnCLIPScheduler, UNet2DConditionModel, UNet2DModel
    from diffusers.pipelines.deprecated.unclip.text_proj import UnCLIPTextProjModel
    from transformers import (CLIPImageProcessor, CLIPTextConfig, CLIPTextModelWithProjection, CLIPVisionConfig,
                              CLIPVisionModelWithProjection)
    torch.manual_seed(seed)
    text_encoder = CLIPTextModelWithProjection(CLIPTextConfig(
        vocab_size=49408, hidden_size=TEXT_WIDTH, intermediate_size=4 * TEXT_WIDTH, num_hidden_layers=2,
        num_attention_heads=2, max_position_embeddings=77, hidden_act="quick_gelu", projection_dim=CLIP_DIM,
        bos_token_id=49406, eos_token_id=49407, pad_token_id=1))
    image_encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=32, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2, image_size=32,
        patch_size=8, projection_dim=CLIP_DIM, hidden_act="quick_gelu"))
    prior = PriorTransformer(num_attention_heads=2, attention_head_dim=16, num_layers=2, embedding_dim=CLIP_DIM,
                             num_embeddings=77, additional_embeddings=4)
    decoder = UNet2DConditionModel(
        sample_size=16, layers_per_block=1, block_out_channels=(16, 32), norm_num_groups=8,
        down_block_types=("ResnetDownsampleBlock2D", "SimpleCrossAttnDownBlock2D"),
        up_block_types=("SimpleCrossAttnUpBlock2D", "ResnetUpsampleBlock2D"),
        mid_block_type="UNetMidBlock2DSimpleCrossAttn", in_channels=3, out_channels=6, cross_attention_dim=24,
        class_embed_type="identity", attention_head_dim=8, resnet_time_scale_shift="scale_shift")
    text_proj = UnCLIPTextProjModel(clip_extra_context_tokens=4, clip_embeddings_dim=CLIP_DIM, time_embed_dim=64,
                                    cross_attention_dim=24)
    sr = dict(sample_size=32, layers_per_block=1, block_out_channels=(16, 32), norm_num_groups=8,
              down_block_types=("ResnetDownsampleBlock2D",) * 2, up_block_types=("ResnetUpsampleBlock2D",) * 2,
              in_channels=6, out_channels=3, add_attention=False)
    super_res_first, super_res_last = UNet2DModel(**sr), UNet2DModel(**sr)
    with torch.no_grad():  # make the learned embeddings and the prior statistics non-trivial
        for p in (prior.positional_embedding, prior.prd_embedding, text_proj.learned_classifier_free_guidance_embeddings):
            p.normal_(0, 0.5)
        prior.clip_mean.normal_(0, 0.5)
        prior.clip_std.uniform_(0.5, 1.5)
    return dict(
        text_encoder=text_encoder, image_encoder=image_encoder, prior=prior, decoder=decoder, text_proj=text_proj,
        super_res_first=super_res_first, super_res_last=super_res_last,
        feature_extractor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
        prior_scheduler=UnCLIPScheduler(variance_type="fixed_small_log", prediction_type="sample",
                                        clip_sample_range=5.0),
        decoder_scheduler=UnCLIPScheduler(variance_type="learned_range", prediction_type="epsilon"),
        super_res_scheduler=UnCLIPScheduler(variance_type="fixed_small_log", prediction_type="epsilon"),
    )


def save_pipelines(root: Path) -> tuple[Path, Path, dict]:
    """Save a text→image and an image-variation pipeline; returns both folders and the components."""
    from diffusers import UnCLIPImageVariationPipeline, UnCLIPPipeline
    from transformers import CLIPTokenizer
    c = components()
    tokenizer = CLIPTokenizer(str(write_clip_tokenizer(root / "bpe") / "vocab.json"), str(root / "bpe" / "merges.txt"),
                              pad_token="!", model_max_length=77)
    common = {k: c[k] for k in ("text_encoder", "decoder", "text_proj", "super_res_first", "super_res_last",
                                "decoder_scheduler", "super_res_scheduler")}
    t2i = UnCLIPPipeline(prior=c["prior"], prior_scheduler=c["prior_scheduler"], tokenizer=tokenizer, **common)
    var = UnCLIPImageVariationPipeline(image_encoder=c["image_encoder"], feature_extractor=c["feature_extractor"],
                                       tokenizer=tokenizer, **common)
    t2i.save_pretrained(root / "karlo-v1-alpha", safe_serialization=True)
    var.save_pretrained(root / "karlo-v1-alpha-image-variations", safe_serialization=True)
    return root / "karlo-v1-alpha", root / "karlo-v1-alpha-image-variations", dict(c, tokenizer=tokenizer,
                                                                                  t2i=t2i, variation=var)
