"""MoVQ (Zheng et al. 2022, arXiv:2209.09002), as Kandinsky 2.2 uses it: the decoder (latent → pixels, every
normalisation modulated by the latent itself: spatial norm) and its encoder (pixels → latent, plain GroupNorm)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

SPATIAL_GROUPS = 32  # the spatial norm's GroupNorm always has 32 groups (its config's norm groups only shape the encoder)


@dataclass(frozen=True)
class MoVQConfig:
    """Shape of the decoder and the encoder; the defaults are Kandinsky 2.2's MoVQ (67M; 8× up- and downscaling)."""

    latent_channels: int = 4
    out_channels: int = 3
    channels: tuple[int, ...] = (128, 256, 256, 512)  # per resolution level, finest first
    layers_per_block: int = 2
    attention_levels: tuple[bool, ...] = (False, False, False, True)  # self-attention at the coarsest level
    mid_attention: bool = True
    in_channels: int = 3  # the encoder's image channels
    encoder_attention_levels: tuple[bool, ...] | None = None  # finest first; None: as the decoder's levels
    encoder_groups: int = 32  # the encoder's GroupNorm groups (its config's norm_num_groups)

    def __post_init__(self) -> None:
        if self.encoder_attention_levels is None:
            object.__setattr__(self, "encoder_attention_levels", self.attention_levels)
        if not len(self.channels) == len(self.attention_levels) == len(self.encoder_attention_levels):
            raise ValueError("channels, attention_levels and encoder_attention_levels need one entry per level")
        if any(c % self.encoder_groups for c in self.channels):
            raise ValueError(f"every channel count must be a multiple of the encoder's {self.encoder_groups} groups")
        if any(c % SPATIAL_GROUPS for c in self.channels):
            raise ValueError(f"every channel count must be a multiple of {SPATIAL_GROUPS} (the spatial norm's groups)")

    @property
    def scale(self) -> int:
        """Pixels per latent cell along a side."""
        return 2 ** (len(self.channels) - 1)


class SpatialNorm(nn.Module):
    """GroupNorm(f) · conv_y(z) + conv_b(z), with z the latent resized (nearest) to f's grid."""

    def __init__(self, channels: int, latent_channels: int):
        super().__init__()
        self.norm = nn.GroupNorm(SPATIAL_GROUPS, channels, eps=1e-6)
        self.scale = nn.Conv2d(latent_channels, channels, 1)
        self.shift = nn.Conv2d(latent_channels, channels, 1)

    def forward(self, f: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        z = F.interpolate(z, size=f.shape[-2:], mode="nearest")
        return self.norm(f) * self.scale(z) + self.shift(z)


class SpatialResBlock(nn.Module):
    """Residual block whose two norms are spatial norms."""

    def __init__(self, in_ch: int, out_ch: int, latent_channels: int):
        super().__init__()
        self.norm1 = SpatialNorm(in_ch, latent_channels)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.norm2 = SpatialNorm(out_ch, latent_channels)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else None

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x, z)))
        h = self.conv2(F.silu(self.norm2(h, z)))
        return (x if self.skip is None else self.skip(x)) + h


class SpatialAttention(nn.Module):
    """One-head self-attention over the pixels, after a spatial norm; residual."""

    def __init__(self, channels: int, latent_channels: int):
        super().__init__()
        self.norm = SpatialNorm(channels, latent_channels)
        self.q, self.k, self.v = (nn.Linear(channels, channels) for _ in range(3))
        self.out = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        s = self.norm(x, z).flatten(2).transpose(1, 2)[:, None]  # (B, 1, HW, C)
        o = F.scaled_dot_product_attention(self.q(s), self.k(s), self.v(s))[:, 0]
        return x + self.out(o).transpose(1, 2).reshape(b, c, h, w)


class MoVQLevel(nn.Module):
    """One resolution of the decoder: residual blocks, optional attention after each, optional 2× upsampling."""

    def __init__(self, in_ch: int, out_ch: int, config: MoVQConfig, attention: bool, upsample: bool):
        super().__init__()
        n, z = config.layers_per_block + 1, config.latent_channels
        self.resnets = nn.ModuleList(SpatialResBlock(in_ch if i == 0 else out_ch, out_ch, z) for i in range(n))
        self.attentions = nn.ModuleList(SpatialAttention(out_ch, z) for _ in range(n)) if attention else None
        self.upsample = nn.Conv2d(out_ch, out_ch, 3, padding=1) if upsample else None

    def forward(self, h: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        for k, res in enumerate(self.resnets):
            h = res(h, z)
            if self.attentions is not None:
                h = self.attentions[k](h, z)
        if self.upsample is not None:
            h = self.upsample(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return h


class MoVQDecoder(nn.Module):
    """Latent (B, latent_channels, h, w) → image (B, 3, h·scale, w·scale), about [-1, 1] (unquantised, as
    diffusers' Kandinsky 2.2 pipelines decode: `force_not_quantize=True`); `encoder` maps images back to latents."""

    def __init__(self, config: MoVQConfig = MoVQConfig()):
        super().__init__()
        self.config = c = config
        self.encoder = MoVQEncoder(c)  # travels (device, dtype, offload) with the decoder it serves
        z, top = c.latent_channels, c.channels[-1]
        self.post_quant_conv = nn.Conv2d(z, z, 1)
        self.conv_in = nn.Conv2d(z, top, 3, padding=1)
        self.mid = nn.ModuleList([SpatialResBlock(top, top, z), SpatialResBlock(top, top, z)])
        self.mid_attention = SpatialAttention(top, z) if c.mid_attention else None
        rev, n = list(reversed(c.channels)), len(c.channels)
        self.up = nn.ModuleList(MoVQLevel(rev[max(j - 1, 0)], rev[j], c, c.attention_levels[n - 1 - j], j < n - 1)
                                for j in range(n))
        self.norm_out = SpatialNorm(c.channels[0], z)
        self.conv_out = nn.Conv2d(c.channels[0], c.out_channels, 3, padding=1)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        z = latent
        h = self.conv_in(self.post_quant_conv(z))
        h = self.mid[0](h, z)
        if self.mid_attention is not None:
            h = self.mid_attention(h, z)
        h = self.mid[1](h, z)
        for level in self.up:
            h = level(h, z)
        return self.conv_out(F.silu(self.norm_out(h, z)))


class ResBlock(nn.Module):
    """The encoder's residual block: GroupNorm → SiLU → conv, twice; a 1×1 skip where the width changes."""

    def __init__(self, in_ch: int, out_ch: int, groups: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_ch, eps=1e-6)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, out_ch, eps=1e-6)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.silu(self.norm2(self.conv1(F.silu(self.norm1(x))))))
        return (x if self.skip is None else self.skip(x)) + h


class Attention(nn.Module):
    """The encoder's one-head self-attention over the pixels, after a GroupNorm; residual."""

    def __init__(self, channels: int, groups: int):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels, eps=1e-6)
        self.q, self.k, self.v = (nn.Linear(channels, channels) for _ in range(3))
        self.out = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        s = self.norm(x).flatten(2).transpose(1, 2)[:, None]  # (B, 1, HW, C)
        o = F.scaled_dot_product_attention(self.q(s), self.k(s), self.v(s))[:, 0]
        return x + self.out(o).transpose(1, 2).reshape(b, c, h, w)


class EncoderLevel(nn.Module):
    """One resolution of the encoder: residual blocks, optional attention after each, optional 2× downsampling."""

    def __init__(self, in_ch: int, out_ch: int, config: MoVQConfig, attention: bool, downsample: bool):
        super().__init__()
        n, g = config.layers_per_block, config.encoder_groups
        self.resnets = nn.ModuleList(ResBlock(in_ch if i == 0 else out_ch, out_ch, g) for i in range(n))
        self.attentions = nn.ModuleList(Attention(out_ch, g) for _ in range(n)) if attention else None
        self.downsample = nn.Conv2d(out_ch, out_ch, 3, stride=2) if downsample else None

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        for k, res in enumerate(self.resnets):
            h = res(h)
            if self.attentions is not None:
                h = self.attentions[k](h)
        if self.downsample is not None:
            h = self.downsample(F.pad(h, (0, 1, 0, 1)))  # pad right and bottom, then stride 2 (diffusers' padding=0)
        return h


class MoVQEncoder(nn.Module):
    """Image (B, in_channels, H, W) in [-1, 1] → unquantised latent (B, latent_channels, H/scale, W/scale), the
    latent the decoder reads (diffusers' VQModel.encode: encoder, then quant_conv)."""

    def __init__(self, config: MoVQConfig = MoVQConfig()):
        super().__init__()
        self.config = c = config
        top, n, g = c.channels[-1], len(c.channels), c.encoder_groups
        self.conv_in = nn.Conv2d(c.in_channels, c.channels[0], 3, padding=1)
        attention = c.encoder_attention_levels
        self.down = nn.ModuleList(EncoderLevel(c.channels[max(i - 1, 0)], c.channels[i], c, attention[i], i < n - 1)
                                  for i in range(n))
        self.mid = nn.ModuleList([ResBlock(top, top, g), ResBlock(top, top, g)])
        self.mid_attention = Attention(top, g) if c.mid_attention else None
        self.norm_out = nn.GroupNorm(g, top, eps=1e-6)
        self.conv_out = nn.Conv2d(top, c.latent_channels, 3, padding=1)
        self.quant_conv = nn.Conv2d(c.latent_channels, c.latent_channels, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(image)
        for level in self.down:
            h = level(h)
        h = self.mid[0](h)
        if self.mid_attention is not None:
            h = self.mid_attention(h)
        h = self.mid[1](h)
        return self.quant_conv(self.conv_out(F.silu(self.norm_out(h))))
