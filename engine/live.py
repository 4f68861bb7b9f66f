"""Live previews: a request's 64 px image from the bundle's live decoder in one pass, for a control in motion.

The same z_i, caption and decoder x_T as the full render of that request would use (so the preview is a quick
guess at the saved image's 64 px stage); nothing here is saved or recorded.
"""
from __future__ import annotations

import numpy as np
import torch

from .errors import UserError
from .model import UnCLIP
from .pipeline import NoiseFactory, request_embedding, resolve_settings, seeded_noise, to_uint8
from .requests import Request
from .stage import Stage
from .stages.live import live_decode


def has_live(model: UnCLIP) -> bool:
    """Whether the bundle carries a live decoder."""
    return model.live is not None


def live_preview(model: UnCLIP, request: Request, noise: NoiseFactory | None = None) -> np.ndarray:
    """The request's live 64 px images (B, 64, 64, 3) uint8, one per seed; `noise` as `generate` takes it."""
    if model.live is None:
        raise UserError(f"{model.model_id} has no live decoder")
    s = resolve_settings(model, request.settings)
    seeds = list(request.seeds)
    noise = noise or seeded_noise(seeds, model.device)
    z_i, text, _ = request_embedding(model, request, s, noise)
    size = model.config.decoder.size
    x_T = noise(Stage.decoder(size, 0))(torch.Size((len(seeds), 3, size, size)))
    with model.running("live"):
        x = live_decode(model.live, model.process("decoder"), z_i, text, x_T, s.decoder_guidance)
    return to_uint8(x).numpy()
