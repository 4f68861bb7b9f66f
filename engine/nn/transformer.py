"""The diffusion prior's causal transformer (unCLIP §2.2; Karlo `xf.py`)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .layers import TimestepMLP


@dataclass(frozen=True)
class PriorConfig:
    """Shape of the prior; the defaults are Karlo v1 alpha's 1B prior on ViT-L/14 embeddings."""

    clip_dim: int = 768
    width: int = 2048
    layers: int = 20
    heads: int = 32
    text_ctx: int = 77
    dropout: float = 0.0

    @property
    def tokens(self) -> int:
        """77 text states + text embedding + timestep + noised image embedding + query."""
        return self.text_ctx + 4


class SelfAttention(nn.Module):
    """Multi-head self-attention with a boolean mask (True = attend)."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = nn.Linear(width, width), nn.Linear(width, width), nn.Linear(width, width)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, w = x.shape
        q, k, v = (f(x).view(b, n, self.heads, w // self.heads).transpose(1, 2) for f in (self.q, self.k, self.v))
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out(o.transpose(1, 2).reshape(b, n, w))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)); x + mlp(ln(x))."""

    def __init__(self, width: int, heads: int, dropout: float):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.fc = nn.Linear(width, 4 * width)
        self.proj = nn.Linear(4 * width, width)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.dropout(self.attn(self.ln_1(x), mask))
        return x + self.dropout(self.proj(F.gelu(self.fc(self.ln_2(x)))))


class PriorTransformer(nn.Module):
    """Predicts the clean, normalised CLIP image embedding from its noised version and the caption."""

    def __init__(self, config: PriorConfig = PriorConfig()):
        super().__init__()
        self.config = c = config
        self.time_embed = TimestepMLP(c.width, c.width)
        self.image_in = nn.Linear(c.clip_dim, c.width)
        self.text_embed_in = nn.Linear(c.clip_dim, c.width)
        self.text_states_in = nn.Linear(c.clip_dim, c.width)
        self.pos_embed = nn.Parameter(torch.zeros(1, c.tokens, c.width))
        self.query = nn.Parameter(torch.zeros(1, 1, c.width))
        self.blocks = nn.ModuleList(Block(c.width, c.heads, c.dropout) for _ in range(c.layers))
        self.final_ln = nn.LayerNorm(c.width)
        self.out = nn.Linear(c.width, c.clip_dim)
        self.register_buffer("clip_mean", torch.zeros(1, c.clip_dim))  # embedding statistics of the data
        self.register_buffer("clip_std", torch.ones(1, c.clip_dim))

    def normalise(self, z: torch.Tensor) -> torch.Tensor:
        """CLIP image embedding → the prior's (z − mean) / std space."""
        return (z - self.clip_mean) / self.clip_std

    def denormalise(self, z: torch.Tensor) -> torch.Tensor:
        """The prior's space → an unnormalised CLIP image embedding."""
        return z * self.clip_std + self.clip_mean

    def forward(self, x_t: torch.Tensor, t: torch.Tensor | int, text_embed: torch.Tensor,
                text_states: torch.Tensor, text_mask: torch.Tensor) -> torch.Tensor:
        """x_t (B, D) normalised; z_t (B, D); states (B, 77, D); mask (B, 77) bool → pred x_0 (B, D)."""
        b = x_t.shape[0]
        t = torch.as_tensor(t, device=x_t.device).reshape(-1).expand(b)
        tokens = torch.cat([
            self.text_states_in(text_states),
            self.text_embed_in(text_embed)[:, None],
            self.time_embed(t)[:, None].to(x_t.dtype),
            self.image_in(x_t)[:, None],
            self.query.expand(b, -1, -1),
        ], dim=1) + self.pos_embed  # (B, 81, W)
        n = tokens.shape[1]
        causal = torch.ones(n, n, dtype=torch.bool, device=x_t.device).tril()
        keys = torch.cat([text_mask.bool(), torch.ones(b, 4, dtype=torch.bool, device=x_t.device)], dim=1)
        mask = causal[None, None] & keys[:, None, None, :]  # (B, 1, 81, 81)
        for block in self.blocks:
            tokens = block(tokens, mask)
        return self.out(self.final_ln(tokens)[:, -1])
