"""Layers shared by the UNets and the prior: timestep embeddings, residual blocks, attention."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding [cos | sin] of timesteps (B,) → (B, dim) float32 (guided-diffusion)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    return F.pad(emb, (0, 1)) if dim % 2 else emb


class TimestepMLP(nn.Module):
    """Sinusoidal timestep features → Linear → SiLU → Linear."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.in_dim = in_dim
        self.fc1 = nn.Linear(in_dim, out_dim)
        self.fc2 = nn.Linear(out_dim, out_dim)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        h = timestep_embedding(t, self.in_dim).to(self.fc1.weight.dtype)
        return self.fc2(F.silu(self.fc1(h)))


class ResBlock(nn.Module):
    """ADM residual block with time conditioning (scale-shift or additive) and optional 2× resampling."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, scale_shift: bool, resample: str | None = None,
                 groups: int = 32, dropout: float = 0.0):
        super().__init__()
        self.resample, self.scale_shift = resample, scale_shift
        self.norm1 = nn.GroupNorm(groups, in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.time_proj = nn.Linear(emb_dim, out_ch * (2 if scale_shift else 1))
        self.norm2 = nn.GroupNorm(groups, out_ch)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else None
        self.norm_act = None  # engine.nn.fused.enable sets the fast path's fused GroupNorm+SiLU; None: unfused

    def _resample(self, x: torch.Tensor) -> torch.Tensor:
        if self.resample == "up":
            return F.interpolate(x, scale_factor=2.0, mode="nearest")
        if self.resample == "down":
            return F.avg_pool2d(x, kernel_size=2, stride=2)
        return x

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        fused = self.norm_act
        h = F.silu(self.norm1(x)) if fused is None else fused(x, self.norm1)
        h, x = self._resample(h), self._resample(x)
        h = self.conv1(h)
        e = self.time_proj(F.silu(emb))[:, :, None, None]
        if self.scale_shift:
            scale, shift = e.chunk(2, dim=1)
            h = F.silu(self.norm2(h) * (1 + scale) + shift) if fused is None else fused(h, self.norm2, scale, shift)
        else:
            h = F.silu(self.norm2(h + e)) if fused is None else fused(h + e, self.norm2)
        h = self.conv2(self.dropout(h))
        return (x if self.skip is None else self.skip(x)) + h


class ContextAttention(nn.Module):
    """Spatial self-attention whose keys and values are prefixed by projected context tokens (GLIDE)."""

    def __init__(self, channels: int, head_dim: int, context_dim: int | None, groups: int = 32):
        super().__init__()
        self.heads = channels // head_dim
        self.norm = nn.GroupNorm(groups, channels)
        self.q = nn.Linear(channels, channels)
        self.k = nn.Linear(channels, channels)
        self.v = nn.Linear(channels, channels)
        self.context_k = nn.Linear(context_dim, channels) if context_dim else None
        self.context_v = nn.Linear(context_dim, channels) if context_dim else None
        self.out = nn.Linear(channels, channels)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        return x.view(b, n, self.heads, c // self.heads).transpose(1, 2)  # (B, heads, N, d)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None,
                context_mask: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, C, H, W); context (B, S, context_dim); context_mask (B, S) bool, True = attend."""
        b, c, hgt, wid = x.shape
        h = self.norm(x).flatten(2).transpose(1, 2)  # (B, HW, C)
        q, k, v = self.q(h), self.k(h), self.v(h)
        mask = None
        if self.context_k is not None and context is not None:
            k = torch.cat([self.context_k(context), k], dim=1)
            v = torch.cat([self.context_v(context), v], dim=1)
            if context_mask is not None:
                keep = torch.ones(b, hgt * wid, dtype=torch.bool, device=x.device)
                mask = torch.cat([context_mask.bool(), keep], dim=1)[:, None, None, :]  # (B, 1, 1, S+HW)
        o = F.scaled_dot_product_attention(self._heads(q), self._heads(k), self._heads(v), attn_mask=mask)
        o = self.out(o.transpose(1, 2).reshape(b, hgt * wid, c))
        return x + o.transpose(1, 2).reshape(b, c, hgt, wid)
