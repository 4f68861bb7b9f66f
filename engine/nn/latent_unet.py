"""The latent decoder of Kandinsky 2.2: the ADM UNet conditioned only on the CLIP image embedding."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .unet import UNet, UNetConfig


@dataclass(frozen=True)
class ImageConditioningConfig:
    """Widths; the defaults are Kandinsky 2.2's (ViT-bigG image embeddings, 32 context tokens of 768)."""

    clip_dim: int = 1280
    context_dim: int = 768
    time_dim: int = 1536  # 4 × the UNet's first width
    tokens: int = 32


class ImageConditionedUNet(UNet):
    """The UNet with z_i's two ways in (unCLIP §2.1, as Kandinsky 2.2 does it): LayerNorm(Linear(z_i)) added to the
    time embedding, and LayerNorm(Linear(z_i)) reshaped into `tokens` context tokens for every attention layer."""

    def __init__(self, config: UNetConfig, image: ImageConditioningConfig = ImageConditioningConfig()):
        super().__init__(config)
        self.image = i = image
        self.image_to_time = nn.Linear(i.clip_dim, i.time_dim)
        self.time_norm = nn.LayerNorm(i.time_dim)
        self.image_to_tokens = nn.Linear(i.clip_dim, i.tokens * i.context_dim)
        self.tokens_norm = nn.LayerNorm(i.context_dim)

    def condition(self, image_embed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z_i (B, D) → the time-embedding term (B, time_dim) and the context (B, tokens, context_dim)."""
        b = image_embed.shape[0]
        time_term = self.time_norm(self.image_to_time(image_embed))
        context = self.tokens_norm(self.image_to_tokens(image_embed).reshape(b, self.image.tokens, -1))  # row-major
        return time_term, context
