"""ADM/GLIDE UNet (Dhariwal & Nichol 2021) as used by unCLIP's decoder and its upsamplers."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .layers import ContextAttention, ResBlock, TimestepMLP


@dataclass(frozen=True)
class UNetConfig:
    """UNet shape; the defaults are Karlo v1 alpha's 64 px decoder (learned variance: 6 outputs)."""

    in_channels: int = 3
    out_channels: int = 6
    channels: tuple[int, ...] = (320, 640, 960, 1280)  # per resolution level
    layers_per_block: int = 3
    attention_levels: tuple[bool, ...] = (False, True, True, True)  # Karlo: 32, 16, 8 px at 64 px
    mid_attention: bool = True
    head_dim: int = 64
    context_dim: int | None = 1536  # width of the context tokens; None = no cross-attention
    scale_shift: bool = True
    groups: int = 32
    dropout: float = 0.0
    level_head_dims: tuple[int, ...] | None = None  # diffusers' per-level head widths; None: head_dim everywhere
    fold: int = 1  # f × f pixels folded into channels at the input, unfolded at the output (PixelUnshuffle)

    def __post_init__(self) -> None:
        if len(self.channels) != len(self.attention_levels):
            raise ValueError("channels and attention_levels must have one entry per level")
        if self.level_head_dims is not None and len(self.level_head_dims) != len(self.channels):
            raise ValueError("level_head_dims must have one entry per level")
        if any(c % self.groups for c in self.channels):
            raise ValueError(f"every channel count must be a multiple of groups={self.groups}")

    def head_dim_at(self, index: int) -> int:
        """Entry `index` of the per-level head widths, read as diffusers' UNet2DConditionModel reads it: down level i
        (0 = finest) and up block i (0 = coarsest) both take entry i, the middle the last entry."""
        return self.head_dim if self.level_head_dims is None else self.level_head_dims[index]


# Karlo's 64→256 upsampler: no attention, no context, additive time embedding, input = x_t ⊕ upsampled image.
UPSAMPLER_UNET = UNetConfig(in_channels=6, out_channels=3, attention_levels=(False,) * 4, mid_attention=False,
                            context_dim=None, scale_shift=False)


class UNetLevel(nn.Module):
    """One resolution: residual blocks, optional attention after each, optional 2× resampling block."""

    def __init__(self, in_chs: list[int], out_ch: int, emb_dim: int, config: UNetConfig, attention: bool,
                 resample: str | None, head_dim: int | None = None):
        super().__init__()
        c = config
        self.resnets = nn.ModuleList(
            ResBlock(i, out_ch, emb_dim, c.scale_shift, groups=c.groups, dropout=c.dropout) for i in in_chs)
        self.attentions = nn.ModuleList(
            ContextAttention(out_ch, head_dim or c.head_dim, c.context_dim, c.groups) for _ in in_chs) if attention else None
        self.resample = ResBlock(out_ch, out_ch, emb_dim, c.scale_shift, resample, c.groups, c.dropout) \
            if resample else None


class UNet(nn.Module):
    """eps (and variance) prediction for x_t at timestep t, conditioned by an extra time-embedding term
    and by context tokens shared by every attention layer."""

    def __init__(self, config: UNetConfig = UNetConfig()):
        super().__init__()
        self.config = c = config
        emb_dim = 4 * c.channels[0]
        self.time_embed = TimestepMLP(c.channels[0], emb_dim)
        self.conv_in = nn.Conv2d(c.in_channels * c.fold ** 2, c.channels[0], 3, padding=1)
        n = len(c.channels)
        self.down = nn.ModuleList()
        for i, ch in enumerate(c.channels):
            ins = [c.channels[max(i - 1, 0)]] + [ch] * (c.layers_per_block - 1)
            self.down.append(UNetLevel(ins, ch, emb_dim, c, c.attention_levels[i], "down" if i < n - 1 else None,
                                      c.head_dim_at(i)))
        mid = c.channels[-1]
        self.mid = UNetLevel([mid, mid], mid, emb_dim, c, False, None)
        self.mid_attention = ContextAttention(mid, c.head_dim_at(n - 1), c.context_dim, c.groups) \
            if c.mid_attention else None
        self.up = nn.ModuleList()
        rev = list(reversed(c.channels))
        for j, ch in enumerate(rev):
            prev, skip_last = rev[max(j - 1, 0)], rev[min(j + 1, n - 1)]
            layers = c.layers_per_block + 1
            ins = [(prev if i == 0 else ch) + (skip_last if i == layers - 1 else ch) for i in range(layers)]
            self.up.append(UNetLevel(ins, ch, emb_dim, c, c.attention_levels[n - 1 - j], "up" if j < n - 1 else None,
                                    c.head_dim_at(j)))
        self.norm_out = nn.GroupNorm(c.groups, c.channels[0])
        self.conv_out = nn.Conv2d(c.channels[0], c.out_channels * c.fold ** 2, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor | int, emb_extra: torch.Tensor | None = None,
                context: torch.Tensor | None = None, context_mask: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, in, H, W); t scalar or (B,); emb_extra (B, 4·C0); context (B, S, D); mask (B, S) → (B, out, H, W)."""
        t = torch.as_tensor(t, device=x.device).reshape(-1).expand(x.shape[0])
        emb = self.time_embed(t)
        if emb_extra is not None:
            emb = emb + emb_extra.to(emb.dtype)
        f = self.config.fold
        h = self.conv_in(F.pixel_unshuffle(x, f) if f > 1 else x)  # (B, in·f², H/f, W/f)
        skips = [h]
        for level in self.down:
            for k, res in enumerate(level.resnets):
                h = res(h, emb)
                if level.attentions is not None:
                    h = level.attentions[k](h, context, context_mask)
                skips.append(h)
            if level.resample is not None:
                h = level.resample(h, emb)
                skips.append(h)
        h = self.mid.resnets[0](h, emb)
        if self.mid_attention is not None:
            h = self.mid_attention(h, context, context_mask)
        h = self.mid.resnets[1](h, emb)
        for level in self.up:
            for k, res in enumerate(level.resnets):
                h = res(torch.cat([h, skips.pop()], dim=1), emb)
                if level.attentions is not None:
                    h = level.attentions[k](h, context, context_mask)
            if level.resample is not None:
                h = level.resample(h, emb)
        out = self.conv_out(F.silu(self.norm_out(h)))
        return F.pixel_shuffle(out, f) if f > 1 else out
