"""Kandinsky 2.2's configs (a prior repo and a decoder repo in diffusers' layout) → our frozen configs."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ...config import BundleConfig, DecoderStageConfig, LatentStageConfig, PriorStageConfig
from ...nn.latent_unet import ImageConditioningConfig
from ...nn.movq import MoVQConfig
from ...weights import BundleError
from .. import diffusers_configs as hf

PRIOR_PARTS = ("prior", "text_encoder", "tokenizer", "image_encoder", "scheduler", "image_processor")
DECODER_PARTS = ("unet", "scheduler", "movq")
# the reference's defaults: KandinskyV22PriorPipeline (25 steps, guidance 4) and KandinskyV22Pipeline (100, 4)
PRIOR_STEPS, PRIOR_GUIDANCE, DECODER_STEPS, DECODER_GUIDANCE = 25, 4.0, 100, 4.0
MOVQ_DOWN = {"DownEncoderBlock2D": False, "AttnDownEncoderBlock2D": True}  # down block → attention at that level


def _require_parts(folder: Path, parts: tuple[str, ...]) -> None:
    missing = [p for p in parts if not (folder / p).is_dir()]
    if missing:
        raise BundleError(f"model folder incomplete: {folder.name} is missing component {missing[0]}/")


def _image_conditioning(cfg: dict, where: str, time_dim: int) -> ImageConditioningConfig:
    """The UNet's image_proj context and image addition embedding (Kandinsky 2.2's only conditioning)."""
    for key, value in (("encoder_hid_dim_type", "image_proj"), ("addition_embed_type", "image"),
                       ("class_embed_type", None)):
        if cfg.get(key) != value:
            raise hf.refuse(where, key, cfg.get(key), f"Kandinsky 2.2's {value!r}")
    if not isinstance(cfg.get("encoder_hid_dim"), int):
        raise hf.refuse(where, "encoder_hid_dim", cfg.get("encoder_hid_dim"), "the CLIP image embedding's width")
    # diffusers' ImageProjection makes 32 tokens whatever the config says
    return ImageConditioningConfig(clip_dim=cfg["encoder_hid_dim"], context_dim=cfg.get("cross_attention_dim", 1280),
                                   time_dim=time_dim, tokens=32)


def movq_with_encoder(cfg: dict, where: str) -> MoVQConfig:
    """The MoVQ config of the decoder (diffusers_configs.movq) with its encoder's fields: in_channels,
    down_block_types and norm_num_groups (diffusers' defaults where absent)."""
    movq = hf.movq(cfg, where)
    downs = tuple(cfg.get("down_block_types", ("DownEncoderBlock2D",)))
    if any(d not in MOVQ_DOWN for d in downs) or len(downs) != len(movq.channels):
        raise hf.refuse(where, "down_block_types", list(downs), f"one of {list(MOVQ_DOWN)} per level")
    groups, in_channels = cfg.get("norm_num_groups", 32), cfg.get("in_channels", 3)
    if not isinstance(groups, int) or groups < 1 or any(c % groups for c in movq.channels):
        raise hf.refuse(where, "norm_num_groups", groups, "a divisor of every block_out_channels")
    if not isinstance(in_channels, int) or in_channels < 1:
        raise hf.refuse(where, "in_channels", in_channels, "a positive whole number")
    return replace(movq, in_channels=in_channels, encoder_attention_levels=tuple(MOVQ_DOWN[d] for d in downs),
                   encoder_groups=groups)


def sizes(native: int, scale: int) -> tuple[int, ...]:
    """Square sides offered: multiples of scale² (the reference rounds any side up to one) from the native side
    (the UNet's sample size in pixels, 512 for Kandinsky 2.2) to twice it."""
    step = scale * scale
    return tuple(range(native, 2 * native + 1, step))


def kandinsky_config(decoder: Path, prior: Path) -> BundleConfig:
    """The BundleConfig of a decoder snapshot and its prior snapshot; defaults are the reference pipelines'."""
    _require_parts(prior, PRIOR_PARTS)
    _require_parts(decoder, DECODER_PARTS)
    text, text_where = hf.read_config(prior, "text_encoder")
    vision, vision_where = hf.read_config(prior, "image_encoder")
    processor, processor_where = hf.read_config(prior, "image_processor", "preprocessor_config.json")
    clip = hf.clip(text, vision, processor, hf.tokenizer_vocab(prior / "tokenizer"),
                   {"text": text_where, "vision": vision_where, "processor": processor_where, "tokenizer": "tokenizer/"})
    prior_net = hf.prior(*hf.read_config(prior, "prior"))
    prior_diffusion = hf.unclip_scheduler(*hf.read_config(prior, "scheduler", "scheduler_config.json"))
    unet_cfg, unet_where = hf.read_config(decoder, "unet")
    unet, sample_size = hf.unet(unet_cfg, unet_where, conditional=True)
    conditioning = _image_conditioning(unet_cfg, unet_where, 4 * unet.channels[0])
    movq = movq_with_encoder(*hf.read_config(decoder, "movq"))
    diffusion, betas, offset = hf.ddpm_scheduler(*hf.read_config(decoder, "scheduler", "scheduler_config.json"))
    if prior_net.clip_dim != clip.embed_dim or conditioning.clip_dim != clip.embed_dim:
        raise BundleError(f"{decoder.name} and {prior.name} do not match: image embeddings of {conditioning.clip_dim} "
                          f"(decoder), {prior_net.clip_dim} (prior) and {clip.embed_dim} (CLIP)")
    if unet.in_channels != movq.latent_channels or unet.out_channels not in (unet.in_channels, 2 * unet.in_channels):
        raise BundleError(f"{unet_where}: in_channels={unet.in_channels}, out_channels={unet.out_channels} do not fit "
                          f"the MoVQ's {movq.latent_channels} latent channels")
    native = sample_size * movq.scale
    return BundleConfig(
        name="kandinsky-2-2", clip=clip,
        prior=PriorStageConfig(network=prior_net, diffusion=prior_diffusion, steps=PRIOR_STEPS,
                               guidance=PRIOR_GUIDANCE),
        decoder=DecoderStageConfig(network=unet, diffusion=diffusion, size=native, steps=DECODER_STEPS,
                                   guidance=DECODER_GUIDANCE),
        upsamplers=(), default_size=native,
        latent=LatentStageConfig(conditioning=conditioning, movq=movq, sizes=sizes(native, movq.scale), betas=betas,
                                 steps_offset=offset))

