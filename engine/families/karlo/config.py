"""Karlo's configs in diffusers' layout → our frozen configs, through ../diffusers_configs.py: every field of every
component's class is read, ignored for a stated reason, or refused by name."""
from __future__ import annotations

from pathlib import Path

from ...config import BundleConfig, ClipConfig, DecoderStageConfig, PriorStageConfig, UpsamplerStageConfig
from ...nn.conditioning import ConditioningConfig
from ...weights import BundleError
from .. import diffusers_configs as hf

TEXT_TO_IMAGE = "UnCLIPPipeline"
PIPELINES = (TEXT_TO_IMAGE, "UnCLIPImageVariationPipeline")  # model_index.json's _class_name
TEXT_PROJ = {"clip_extra_context_tokens": hf.read(), "clip_embeddings_dim": hf.read(), "time_embed_dim": hf.read(),
             "cross_attention_dim": hf.read()}
DECODER_CONDITIONING = {"class_embed_type": hf.Field(None, ("identity",)), "encoder_hid_dim_type": hf.only(None),
                        "encoder_hid_dim": hf.only(None), "addition_embed_type": hf.only(None)}


def _clip(folder: Path) -> ClipConfig:
    """transformers' CLIP text (and image) encoder configs, and the feature extractor, → ClipConfig."""
    text, text_where = hf.read_config(folder, "text_encoder")
    vision, vision_where = hf.read_config(folder, "image_encoder") if (folder / "image_encoder").is_dir() else (None, "")
    processor, processor_where = None, ""
    if (folder / "feature_extractor" / "preprocessor_config.json").is_file():
        processor, processor_where = hf.read_config(folder, "feature_extractor", "preprocessor_config.json")
    return hf.clip(text, vision, processor, hf.tokenizer_vocab(folder / "tokenizer"),
                   {"text": text_where, "vision": vision_where, "processor": processor_where, "tokenizer": "tokenizer/"})


def karlo_config(folder: Path, index: dict) -> BundleConfig:
    """The BundleConfig of a diffusers unCLIP folder; defaults are Karlo's 'fast' sampling (25/25/7)."""
    missing = [c for c in ("text_encoder", "tokenizer", "text_proj", "decoder", "decoder_scheduler",
                           "super_res_first", "super_res_scheduler") if not (folder / c).is_dir()]
    if index.get("_class_name") == TEXT_TO_IMAGE:
        missing += [c for c in ("prior", "prior_scheduler") if not (folder / c).is_dir()]
    if missing:
        raise BundleError(f"model folder incomplete: missing component {missing[0]}/")
    proj, proj_where = hf.read_config(folder, "text_proj")
    hf.check(proj_where, proj, TEXT_PROJ)
    decoder_cfg, decoder_where = hf.read_config(folder, "decoder")
    hf.check(decoder_where, decoder_cfg, DECODER_CONDITIONING)
    decoder_net, decoder_size = hf.unet(decoder_cfg, decoder_where, conditional=True)
    conditioning = ConditioningConfig(clip_dim=proj.get("clip_embeddings_dim", 768),
                                      context_dim=proj.get("cross_attention_dim", 1536),
                                      time_dim=proj.get("time_embed_dim", 1280),
                                      extra_tokens=proj.get("clip_extra_context_tokens", 4))
    up_net, up_size = hf.unet(*hf.read_config(folder, "super_res_first"), conditional=False)
    prior = None
    if index["_class_name"] == TEXT_TO_IMAGE:
        prior = PriorStageConfig(network=hf.prior(*hf.read_config(folder, "prior")),
                                 diffusion=hf.unclip_scheduler(*hf.read_config(folder, "prior_scheduler",
                                                                               "scheduler_config.json")))
    name = "karlo-v1-alpha" + ("-image-variations" if index["_class_name"] != TEXT_TO_IMAGE else "")
    decoder_diffusion = hf.unclip_scheduler(*hf.read_config(folder, "decoder_scheduler", "scheduler_config.json"))
    up_diffusion = hf.unclip_scheduler(*hf.read_config(folder, "super_res_scheduler", "scheduler_config.json"))
    return BundleConfig(
        name=name, clip=_clip(folder), prior=prior,
        decoder=DecoderStageConfig(network=decoder_net, conditioning=conditioning, diffusion=decoder_diffusion,
                                   size=decoder_size),
        upsamplers=(UpsamplerStageConfig(network=up_net, diffusion=up_diffusion, size=up_size,
                                         last_step_model=(folder / "super_res_last").is_dir()),),
    )
