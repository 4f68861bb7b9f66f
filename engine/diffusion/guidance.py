"""Classifier-free guidance (Ho & Salimans 2022), written once as a wrapper around a model function."""
from __future__ import annotations

from typing import Callable

import torch

from .samplers import ModelFn

Scale = float | Callable[[int], float]  # a guidance scale, or one per timestep t


def classifier_free(model_fn: ModelFn, scale: Scale, guided_channels: int | None = None) -> ModelFn:
    """Guide `model_fn`, whose conditioning is batched [unconditional; conditional].

    The sample is doubled so both halves run in one forward pass; the first `guided_channels`
    output channels become u + s·(c − u), the rest (a learned variance) come from the conditional half.
    `scale` may be a function of t (a guidance schedule).
    """

    def guided(x_t: torch.Tensor, t: int) -> torch.Tensor:
        out = model_fn(torch.cat([x_t, x_t]), t)  # (2B, ...) = [uncond; cond]
        uncond, cond = out.chunk(2)
        n = guided_channels or cond.shape[1]
        s = scale(t) if callable(scale) else scale
        mixed = uncond[:, :n] + s * (cond[:, :n] - uncond[:, :n])
        return torch.cat([mixed, cond[:, n:]], dim=1)

    return guided
