"""Tiny configs of the real classes: the whole chain in seconds on a CPU (tests, smoke runs)."""
from __future__ import annotations

from .config import BundleConfig, ClipConfig, DecoderStageConfig, PriorStageConfig, UpsamplerStageConfig
from .diffusion.schedule import DiffusionConfig
from .nn.conditioning import ConditioningConfig
from .nn.transformer import PriorConfig
from .nn.unet import UNetConfig

TINY_CLIP = ClipConfig(embed_dim=32, image_size=32, patch_size=8, vision_width=32, vision_layers=1,
                       vision_head_width=16, text_width=32, text_layers=1, text_heads=2)


def tiny_upsampler(size: int, last_step_model: bool) -> UpsamplerStageConfig:
    """A two-level, attention-free upsampler to `size` px."""
    net = UNetConfig(in_channels=6, out_channels=3, channels=(16, 32), layers_per_block=1,
                     attention_levels=(False, False), mid_attention=False, context_dim=None, scale_shift=False,
                     groups=8)
    return UpsamplerStageConfig(network=net, size=size, last_step_model=last_step_model, steps=3,
                                padding="zero" if last_step_model else "reflect")  # Karlo's way, the default's


def tiny_config(decoder_size: int = 16, upsampler_sizes: tuple[int, ...] = (32, 64)) -> BundleConfig:
    """Every stage of unCLIP at toy width: prior, decoder, and a chain of upsamplers."""
    return BundleConfig(
        name="tiny-random",
        clip=TINY_CLIP,
        prior=PriorStageConfig(network=PriorConfig(clip_dim=32, width=32, layers=2, heads=2), steps=4),
        decoder=DecoderStageConfig(
            network=UNetConfig(channels=(16, 32), layers_per_block=1, attention_levels=(False, True), head_dim=8,
                               context_dim=24, groups=8),
            conditioning=ConditioningConfig(clip_dim=32, context_dim=24, time_dim=64),
            diffusion=DiffusionConfig(variance="learned_range"), size=decoder_size, steps=4),
        upsamplers=tuple(tiny_upsampler(s, last_step_model=(i == 0)) for i, s in enumerate(upsampler_sizes)),
    )
