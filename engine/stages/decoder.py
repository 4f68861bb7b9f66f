"""The decoder p(x | z_i, y): CLIP image embedding (+ caption) → 64 px image (unCLIP §2.1)."""
from __future__ import annotations

from typing import Generator

import torch

from ..diffusion.guidance import Scale, classifier_free
from ..diffusion.samplers import SAMPLERS, NoiseFn, Process, Step
from ..diffusion.schedule import respace
from ..nn.conditioning import DecoderConditioning
from ..nn.unet import UNet
from ..requests import Settings
from .embed import TextEncoding



def layout_schedule(guidance: float, layout_guidance: float | None, train_steps: int,
                    layout_from: float = 0.9) -> Scale:
    """The decoder's guidance: `layout_guidance` on the layout steps (t ≥ layout_from · T), `guidance` after them.

    A layout scale below the main one leaves the composition (position, size, count) to the noise while the
    later steps still draw what z_i asks for: the variations' freedom. None keeps one scale throughout.
    """
    if layout_guidance is None or layout_guidance == guidance:
        return guidance
    start = layout_from * train_steps
    return lambda t: layout_guidance if t >= start else guidance


def decoder_fn(unet: UNet, conditioning: DecoderConditioning, image_embed: torch.Tensor, text: TextEncoding,
               uncond: TextEncoding | None, guidance: Scale):
    """The decoder as a function of (x_t, t), conditioned on z_i (B, D) and the caption, guided if asked."""
    dtype = unet.conv_in.weight.dtype
    b = image_embed.shape[0]
    guided = uncond is not None and (callable(guidance) or guidance != 1)
    z_i = image_embed.to(dtype)
    if guided:
        null = conditioning.null_image_embed.to(dtype).expand(b, -1)
        z_i, text = torch.cat([null, z_i]), TextEncoding.cat([uncond, text])
    context, mask, time_term = conditioning(z_i, text.embed.to(dtype), text.states.to(dtype), text.mask)

    def model_fn(x_t: torch.Tensor, t: int) -> torch.Tensor:
        return unet(x_t.to(dtype), t, time_term, context, mask)

    return classifier_free(model_fn, guidance, guided_channels=3) if guided else model_fn


def decoder_timesteps(s: Settings) -> int | str:
    """The decoder's respacing spec: Karlo's rounded spacing, or even DDIM strides ("ddimN")."""
    return f"ddim{s.decoder_steps}" if s.decoder_spacing == "even" else s.decoder_steps


def decode(unet: UNet, conditioning: DecoderConditioning, process: Process, image_embed: torch.Tensor,
           text: TextEncoding, uncond: TextEncoding | None, noise: NoiseFn, size: int, s: Settings,
           x_T: torch.Tensor | None = None) -> Generator[Step, None, torch.Tensor]:
    """Render z_i (B, D) with the resolved settings' decoder steps, spacing, guidance and sampler.

    Guidance swaps in the learned null embedding and `uncond` (empty caption).
    Yields sampler steps; returns the image (B, 3, size, size) in [-1, 1].
    """
    schedule = layout_schedule(s.decoder_guidance, s.layout_guidance, process.schedule.train_steps, s.layout_from)
    fn = decoder_fn(unet, conditioning, image_embed, text, uncond, schedule)
    b = image_embed.shape[0]
    timesteps, _ = respace(decoder_timesteps(s), process.schedule.train_steps)
    x = noise(torch.Size((b, 3, size, size))) if x_T is None else x_T.float()  # x_T ~ N(0, I)
    for step in SAMPLERS[s.sampler](fn, x, timesteps, process, noise, **s.sampler_options):
        yield step
        x = step.x
    return x.clamp(-1, 1)
