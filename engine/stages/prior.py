"""The diffusion prior p(z_i | y): caption → CLIP image embedding (unCLIP §2.2)."""
from __future__ import annotations

from typing import Generator

import torch

from ..diffusion.guidance import classifier_free
from ..diffusion.samplers import SAMPLERS, NoiseFn, Process, Step
from ..diffusion.schedule import respace
from ..nn.transformer import PriorTransformer
from ..requests import Settings
from .embed import TextEncoding


def sample_prior(prior: PriorTransformer, process: Process, text: TextEncoding, uncond: TextEncoding | None,
                 noise: NoiseFn, s: Settings) -> Generator[Step, None, torch.Tensor]:
    """Sample z_i for each caption; `uncond` (the empty caption) is needed when guidance ≠ 1.

    Yields sampler steps in the prior's normalised space; returns z_i (B, D), unnormalised.
    """
    dtype = prior.out.weight.dtype
    cond = text if uncond is None or s.prior_guidance == 1 else TextEncoding.cat([uncond, text])

    def model_fn(x_t: torch.Tensor, t: int) -> torch.Tensor:
        return prior(x_t.to(dtype), t, cond.embed.to(dtype), cond.states.to(dtype), cond.mask)

    fn = model_fn if cond is text else classifier_free(model_fn, s.prior_guidance)
    timesteps, _ = respace(s.prior_steps, process.schedule.train_steps)
    x = noise(torch.Size((text.embed.shape[0], prior.config.clip_dim)))  # (B, D) x_T ~ N(0, I)
    for step in SAMPLERS[s.sampler](fn, x, timesteps, process, noise, **s.sampler_options):
        yield step
        x = step.x
    return prior.denormalise(x.to(dtype))
