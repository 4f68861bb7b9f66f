"""Diffusion upsamplers: 64 → 256 px and 256 → 1024 px, conditioned on the bicubic-upsampled image."""
from __future__ import annotations

from typing import Generator

import torch
import torch.nn.functional as F

from ..diffusion.samplers import SAMPLERS, NoiseFn, Process, Step
from ..diffusion.schedule import respace
from ..nn.unet import UNet
from ..requests import Settings


def upsample(first: UNet, last: UNet | None, process: Process, image: torch.Tensor, size: int, noise: NoiseFn,
             steps: int, s: Settings) -> Generator[Step, None, torch.Tensor]:
    """Image (B, 3, h, h) in [-1, 1] → (B, 3, size, size) in [-1, 1]; `last` runs the final step (Karlo).

    The low-resolution image is upsampled bicubically with antialiasing, as Karlo and diffusers do.
    """
    dtype = first.conv_in.weight.dtype
    low = F.interpolate(image.float(), size=(size, size), mode="bicubic", align_corners=False, antialias=True)
    low = low.to(dtype)  # (B, 3, size, size)
    timesteps, _ = respace(steps, process.schedule.train_steps)

    def model_fn(x_t: torch.Tensor, t: int) -> torch.Tensor:
        net = last if last is not None and t == timesteps[-1] else first
        return net(torch.cat([x_t.to(dtype), low], dim=1), t)

    x = noise(torch.Size((image.shape[0], 3, size, size)))
    for step in SAMPLERS[s.sampler](model_fn, x, timesteps, process, noise, **s.sampler_options):
        yield step
        x = step.x
    return x.clamp(-1, 1)
