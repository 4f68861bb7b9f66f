"""The embedded default bundle's shape: every unCLIP stage, sized to train on a 2-core CPU."""
from __future__ import annotations

from ..config import BundleConfig, ClipConfig, DecoderStageConfig, PriorStageConfig, UpsamplerStageConfig
from ..diffusion.schedule import DiffusionConfig
from ..nn.conditioning import ConditioningConfig
from ..nn.transformer import PriorConfig
from ..nn.unet import UNetConfig

CONTEXT = 48  # tokens: the world's longest captions need about 35
CLIP_DIM = 96

DEFAULT_BUNDLE = BundleConfig(
    name="unclip-shapes-v1",
    clip=ClipConfig(embed_dim=CLIP_DIM, image_size=64, patch_size=8, vision_width=128, vision_layers=4,
                    vision_head_width=32, text_width=CLIP_DIM, text_layers=4, text_heads=4, context_length=CONTEXT),
    prior=PriorStageConfig(network=PriorConfig(clip_dim=CLIP_DIM, width=192, layers=4, heads=4, text_ctx=CONTEXT),
                           diffusion=DiffusionConfig(prediction="sample", clip_range=10.0), steps=25, guidance=2.0),
    decoder=DecoderStageConfig(
        network=UNetConfig(in_channels=3, out_channels=3, channels=(32, 64, 128), layers_per_block=1,
                           attention_levels=(False, False, True), head_dim=32, context_dim=CLIP_DIM, groups=16),
        conditioning=ConditioningConfig(clip_dim=CLIP_DIM, context_dim=CLIP_DIM, time_dim=128, extra_tokens=4),
        # v-prediction: at t = 999 (alpha_bar ≈ 2e-9) an eps-predicting net this small turns tiny errors into
        # a garbage x0 (measured: unusable samples after 1000 steps); v stays well-posed at every noise level
        diffusion=DiffusionConfig(prediction="v_prediction"), size=64, steps=25, guidance=3.0,
        accept_cosine=0.99),
    upsamplers=(
        UpsamplerStageConfig(network=UNetConfig(in_channels=6, out_channels=3, channels=(32, 64), layers_per_block=1,
                                                attention_levels=(False, False), mid_attention=False,
                                                context_dim=None, scale_shift=False, groups=16),
                             diffusion=DiffusionConfig(prediction="v_prediction"), size=256, last_step_model=False,
                             steps=7, padding="reflect"),
        UpsamplerStageConfig(network=UNetConfig(in_channels=6, out_channels=3, channels=(16, 32), layers_per_block=1,
                                                attention_levels=(False, False), mid_attention=False,
                                                context_dim=None, scale_shift=False, groups=8),
                             diffusion=DiffusionConfig(prediction="v_prediction"), size=1024, last_step_model=False,
                             steps=5, padding="reflect"),
    ),
    default_size=256,  # 1024 px is a final-render option: minutes of CPU, not seconds
)
