"""The live decoder's network: the decoder's UNet and conditioning plus an embedding of the guidance scale w.

A one-step student of the 64 px decoder (Luhman & Luhman 2021: a student fitted to the teacher's deterministic
sampler output from the same x_T), conditioned on w as Meng et al. 2023 condition a guided student: an embedding
of w added to the time embedding, so one network answers every guidance scale without a second, unguided pass.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .conditioning import ConditioningConfig, DecoderConditioning
from .unet import UNet, UNetConfig


@dataclass(frozen=True)
class LiveConfig:
    """The live decoder: the decoder's shapes, the w it learnt, and the teacher it was fitted to."""

    network: UNetConfig = UNetConfig()
    conditioning: ConditioningConfig = ConditioningConfig()
    guidance_range: tuple[float, float] = (1.0, 8.0)  # the w it was trained on; the studio clamps to it
    teacher_sampler: str = "dpm++2m"
    teacher_steps: int = 10
    frequencies: int = 8  # Fourier features of w


class GuidanceEmbedding(nn.Module):
    """w → a term (B, time_dim) added to the time embedding; zero at initialisation, so the student starts as
    the teacher's own one-step prediction."""

    def __init__(self, time_dim: int, frequencies: int):
        super().__init__()
        self.frequencies = frequencies
        self.mlp = nn.Sequential(nn.Linear(2 * frequencies, time_dim), nn.SiLU(), nn.Linear(time_dim, time_dim))
        nn.init.zeros_(self.mlp[2].weight)
        nn.init.zeros_(self.mlp[2].bias)

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        """w (B,) → (B, time_dim)."""
        freqs = 2.0 ** torch.arange(self.frequencies, device=w.device) * math.pi / 16  # w = 8: π/2 at the lowest
        angles = w.float()[:, None] * freqs[None]
        return self.mlp(torch.cat([angles.sin(), angles.cos()], dim=1).to(self.mlp[0].weight.dtype))


class LiveDecoder(nn.Module):
    """UNet + decoder conditioning + guidance embedding; one forward at t = T − 1 gives x_0."""

    def __init__(self, config: LiveConfig):
        super().__init__()
        self.config = config
        self.unet = UNet(config.network)
        self.conditioning = DecoderConditioning(config.conditioning)
        self.guidance = GuidanceEmbedding(config.conditioning.time_dim, config.frequencies)

    def forward(self, x_T: torch.Tensor, t: int, image_embed: torch.Tensor, text_embed: torch.Tensor,
                text_states: torch.Tensor, text_mask: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """x_T (B, 3, S, S), z_i (B, D), caption (B, D), (B, 77, D), (B, 77), w (B,) → the network's output."""
        dtype = self.unet.conv_in.weight.dtype
        context, mask, time_term = self.conditioning(image_embed.to(dtype), text_embed.to(dtype),
                                                     text_states.to(dtype), text_mask)
        return self.unet(x_T.to(dtype), t, time_term + self.guidance(w), context, mask)
