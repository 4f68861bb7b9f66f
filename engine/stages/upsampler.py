"""Diffusion upsamplers: 64 → 256 px and 256 → 1024 px, conditioned on the bicubic-upsampled image."""
from __future__ import annotations

from typing import Generator

import torch
import torch.nn.functional as F

from ..config import UpsamplerStageConfig
from ..diffusion.samplers import SAMPLERS, NoiseFn, Process, Step
from ..diffusion.schedule import respace
from ..nn.unet import UNet
from ..requests import Settings

EDGE_MARGIN = 4  # px mirrored at each side with "reflect" padding (bench/edges.py: 2, 4 and 8 fix the edge alike)


def edge_padding(s: Settings, stage: UpsamplerStageConfig) -> str:
    """The padding a request's upsampler runs with: the request's own, else its bundle's (`stage.padding`).

    Karlo's upsamplers run as diffusers runs them, on the bare image ("zero"); the embedded default's mirror the
    edges ("reflect"): trained on 64 px crops, their zero-padded border ring is predicted about twice as far from
    the truth as the interior (bench/edges.py).
    """
    return s.upsampler_padding if s.upsampler_padding is not None else stage.padding


def edge_margin(net: UNet) -> int:
    """Pixels mirrored at each side: EDGE_MARGIN, or more where the UNet needs sides divisible by its downsampling."""
    return max(EDGE_MARGIN, 2 ** (len(net.config.channels) - 1) // 2)


def upsample(first: UNet, last: UNet | None, process: Process, image: torch.Tensor, size: int, noise: NoiseFn,
             steps: int, s: Settings) -> Generator[Step, None, torch.Tensor]:
    """Image (B, 3, h, h) in [-1, 1] → (B, 3, size, size) in [-1, 1]; `last` runs the final step (Karlo).

    The low-resolution image is upsampled bicubically with antialiasing, as Karlo and diffusers do. The edges are
    padded as `s.upsampler_padding` says (the pipeline sets it to the stage's own with `edge_padding`; None here:
    "zero"). With "reflect" padding every network call sees x_t ⊕ that image mirrored by `edge_margin` px at each side and its
    output is cropped back, so the image's border pixels are predicted like interior ones.
    """
    dtype = first.conv_in.weight.dtype
    low = F.interpolate(image.float(), size=(size, size), mode="bicubic", align_corners=False, antialias=True)
    low = low.to(dtype)  # (B, 3, size, size)
    timesteps, _ = respace(steps, process.schedule.train_steps)
    m = edge_margin(first) if s.upsampler_padding == "reflect" else 0
    if m:
        low = F.pad(low, (m, m, m, m), mode="reflect")  # (B, 3, size + 2m, size + 2m)

    def model_fn(x_t: torch.Tensor, t: int) -> torch.Tensor:
        net = last if last is not None and t == timesteps[-1] else first
        x_t = x_t.to(dtype)
        if not m:
            return net(torch.cat([x_t, low], dim=1), t)
        out = net(torch.cat([F.pad(x_t, (m, m, m, m), mode="reflect"), low], dim=1), t)
        return out[..., m:-m, m:-m]  # (B, C, size, size)

    x = noise(torch.Size((image.shape[0], 3, size, size)))
    for step in SAMPLERS[s.sampler](model_fn, x, timesteps, process, noise, **s.sampler_options):
        yield step
        x = step.x
    return x.clamp(-1, 1)
