"""Networks: Karlo-sized defaults have the reference's exact parameter shapes; tiny ones behave."""
import collections

import torch

from engine.nn.conditioning import ConditioningConfig, DecoderConditioning
from engine.nn.transformer import PriorConfig, PriorTransformer
from engine.nn.unet import UPSAMPLER_UNET, UNet, UNetConfig


def shapes(module) -> collections.Counter:
    return collections.Counter(tuple(p.shape) for p in module.state_dict().values())


def test_karlo_defaults_have_the_reference_parameter_shapes():
    """With the defaults, every tensor of diffusers' Karlo components has a same-shaped twin here."""
    from diffusers import PriorTransformer as RefPrior, UNet2DConditionModel, UNet2DModel
    from diffusers.pipelines.deprecated.unclip.text_proj import UnCLIPTextProjModel
    decoder_cfg = dict(sample_size=64, layers_per_block=3, block_out_channels=(320, 640, 960, 1280),
                       down_block_types=("ResnetDownsampleBlock2D",) + ("SimpleCrossAttnDownBlock2D",) * 3,
                       up_block_types=("SimpleCrossAttnUpBlock2D",) * 3 + ("ResnetUpsampleBlock2D",),
                       mid_block_type="UNetMidBlock2DSimpleCrossAttn", in_channels=3, out_channels=6,
                       cross_attention_dim=1536, class_embed_type="identity", attention_head_dim=64,
                       resnet_time_scale_shift="scale_shift")
    sr_cfg = dict(sample_size=256, layers_per_block=3, block_out_channels=(320, 640, 960, 1280),
                  down_block_types=("ResnetDownsampleBlock2D",) * 4, up_block_types=("ResnetUpsampleBlock2D",) * 4,
                  in_channels=6, out_channels=3, add_attention=False)
    with torch.device("meta"):
        pairs = [
            (PriorTransformer(), RefPrior()),
            (UNet(), UNet2DConditionModel(**decoder_cfg)),
            (DecoderConditioning(), UnCLIPTextProjModel(clip_extra_context_tokens=4, clip_embeddings_dim=768,
                                                        time_embed_dim=1280, cross_attention_dim=1536)),
            (UNet(UPSAMPLER_UNET), UNet2DModel(**sr_cfg)),
        ]
        for ours, ref in pairs:
            assert shapes(ours) == shapes(ref), type(ref).__name__


def test_unet_outputs_and_context_mask():
    cfg = UNetConfig(channels=(16, 32), layers_per_block=1, attention_levels=(False, True), head_dim=8,
                     context_dim=12, groups=8)
    net = UNet(cfg).eval()
    x, ctx = torch.randn(2, 3, 16, 16), torch.randn(2, 5, 12)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    out = net(x, 10, torch.randn(2, 64), ctx, mask)
    assert out.shape == (2, 6, 16, 16)
    ctx2 = ctx.clone()
    ctx2[0, 3:] = 100.0  # masked tokens of image 0 must not matter
    assert torch.allclose(net(x, 10, None, ctx2, mask)[0], net(x, 10, None, ctx, mask)[0], atol=1e-6)


def test_prior_ignores_padding_and_is_causal_in_text():
    cfg = PriorConfig(clip_dim=16, width=32, layers=2, heads=4, text_ctx=8)
    prior = PriorTransformer(cfg).eval()
    torch.nn.init.normal_(prior.pos_embed, std=0.1)
    z, te, states = torch.randn(1, 16), torch.randn(1, 16), torch.randn(1, 8, 16)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0, 0, 0]], dtype=torch.bool)
    out = prior(z, 500, te, states, mask)
    states2 = states.clone()
    states2[:, 4:] = torch.randn(1, 4, 16)
    assert out.shape == (1, 16)
    assert torch.allclose(prior(z, 500, te, states2, mask), out, atol=1e-6)
    assert not torch.allclose(prior(z, 10, te, states, mask), out)


def test_conditioning_tokens_are_channel_major():
    cond = DecoderConditioning(ConditioningConfig(clip_dim=4, context_dim=3, time_dim=8, extra_tokens=2))
    z = torch.randn(1, 4)
    context, mask, time_term = cond(z, torch.randn(1, 4), torch.randn(1, 5, 4), torch.ones(1, 5, dtype=torch.bool))
    flat = cond.image_to_tokens(z)[0]  # (context_dim · tokens,) laid out as (context_dim, tokens)
    assert torch.allclose(context[0, :2], flat.reshape(3, 2).T)
    assert context.shape == (1, 7, 3) and mask.shape == (1, 7) and time_term.shape == (1, 8)
