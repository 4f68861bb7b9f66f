"""The live decoder: z_i (+ caption) and the decoder's x_T → a 64 px image in one network pass, for the hand.

Its images are previews while a control moves; the full decoder renders what is saved (the records never name
the live decoder, and its folder is outside the bundle's fingerprint).
"""
from __future__ import annotations

import torch

from ..diffusion.process import Process
from ..nn.live import LiveDecoder
from .embed import TextEncoding


def live_guidance(live: LiveDecoder, guidance: float) -> float:
    """The guidance scale clamped to the range the live decoder learnt."""
    low, high = live.config.guidance_range
    return min(max(float(guidance), low), high)


@torch.inference_mode()
def live_decode(live: LiveDecoder, process: Process, image_embed: torch.Tensor, text: TextEncoding,
                x_T: torch.Tensor, guidance: float) -> torch.Tensor:
    """z_i (B, D), the caption's encoding, x_T (B, 3, S, S) ~ N(0, I), decoder guidance w → (B, 3, S, S) in [-1, 1]."""
    device = live.unet.conv_in.weight.device
    t = process.schedule.train_steps - 1  # the student runs where the teacher's sampler starts
    w = torch.full((image_embed.shape[0],), live_guidance(live, guidance), device=device)
    x_T = x_T.float().to(device)
    out = live(x_T, t, image_embed.to(device), text.embed.to(device), text.states.to(device),
               text.mask.to(device), w)
    pred, _ = process.split(out.float(), x_T)
    return process.pred_x0(x_T, t, pred).clamp(-1, 1)
