"""A UNet behind a 2 × 2 fold is the plain UNet on PixelUnshuffle'd input, its output shuffled back."""
from dataclasses import replace

import torch
import torch.nn.functional as F

from engine.nn.unet import UNet, UNetConfig

PLAIN = UNetConfig(in_channels=3, out_channels=3, channels=(16, 32), layers_per_block=1,
                   attention_levels=(False, True), head_dim=8, context_dim=8, groups=8)


def test_a_folded_unet_is_the_plain_one_on_folded_pixels():
    torch.manual_seed(0)
    folded = UNet(replace(PLAIN, fold=2))
    inner = UNet(replace(PLAIN, in_channels=12, out_channels=12))
    inner.load_state_dict(folded.state_dict(), strict=True)  # the same weights, shapes and keys
    x, context = torch.randn(2, 3, 16, 16), torch.randn(2, 3, 8)  # (B, 3, H, W), (B, S, D)
    with torch.no_grad():
        out = folded(x, 5, context=context)
        expected = F.pixel_shuffle(inner(F.pixel_unshuffle(x, 2), 5, context=context), 2)
    assert out.shape == x.shape and torch.equal(out, expected)
