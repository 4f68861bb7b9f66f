"""The decoder's CLIP conditioning (unCLIP §2.1): image and text embeddings into time and context."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ConditioningConfig:
    """Widths; the defaults are Karlo v1 alpha's (ViT-L/14, 1536-wide context, 1280-wide time embedding)."""

    clip_dim: int = 768
    context_dim: int = 1536
    time_dim: int = 1280
    extra_tokens: int = 4


class DecoderConditioning(nn.Module):
    """CLIP image embedding → a time-embedding term and 4 extra context tokens; text states → context."""

    def __init__(self, config: ConditioningConfig = ConditioningConfig()):
        super().__init__()
        self.config = c = config
        self.null_image_embed = nn.Parameter(torch.zeros(c.clip_dim))  # learned for guidance
        self.image_to_time = nn.Linear(c.clip_dim, c.time_dim)
        self.text_to_time = nn.Linear(c.clip_dim, c.time_dim)
        self.image_to_tokens = nn.Linear(c.clip_dim, c.context_dim * c.extra_tokens)
        self.text_states_proj = nn.Linear(c.clip_dim, c.context_dim)
        self.text_states_norm = nn.LayerNorm(c.context_dim)

    def forward(self, image_embed: torch.Tensor, text_embed: torch.Tensor, text_states: torch.Tensor,
                text_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """z_i (B, D), z_t (B, D), states (B, 77, D), mask (B, 77) → context (B, 4+77, W), mask (B, 4+77), time term."""
        b, n = image_embed.shape[0], self.config.extra_tokens
        time_term = self.image_to_time(image_embed) + self.text_to_time(text_embed)
        tokens = self.image_to_tokens(image_embed).reshape(b, -1, n).permute(0, 2, 1)  # channel-major, as Karlo
        context = torch.cat([tokens, self.text_states_norm(self.text_states_proj(text_states))], dim=1)
        mask = torch.cat([torch.ones(b, n, dtype=torch.bool, device=text_mask.device), text_mask.bool()], dim=1)
        return context, mask, time_term
