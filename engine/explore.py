"""Strips through CLIP's image-embedding space (Ramesh et al. 2022, §3): interpolations and text diffs as
frames with shared decoder noise (fixed, or slerped DDIM inversions); the embedding math is engine.latent.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch
from PIL import Image

from .diffusion.noise import PerImageNoise
from .diffusion.samplers import ddim_invert, run_to_end
from .diffusion.schedule import respace
from .errors import UserError
from .latent import mix, slerp, text_diff, text_direction, vary_embedding  # noqa: F401 - the strips' math
from .model import UnCLIP
from .pipeline import resolve_settings, run_embedding
from .requests import EmbeddingToImage, Settings, TextToImage, clean_prompt
from .stage import Stage
from .stages.decoder import decoder_fn
from .stages.latent_decoder import invert_latent

TEXT_DIFF_MAX = 0.5  # the paper's text diffs use θ in [0, 0.5]


def frame_order(n: int) -> list[int]:
    """Render order for n frames, coarse to fine: both ends, the middle, the quarters, …"""
    if n <= 0:
        return []
    if n == 1:
        return [0]
    order, seen, spans = [0, n - 1], {0, n - 1}, [(0, n - 1)]
    while spans:
        nxt = []
        for lo, hi in spans:
            if hi - lo < 2:
                continue
            mid = (lo + hi) // 2
            if mid not in seen:
                seen.add(mid)
                order.append(mid)
            nxt += [(lo, mid), (mid, hi)]
        spans = nxt
    return order


def nearest_done(position: float, n: int, done: set[int] | dict) -> int | None:
    """The rendered frame index nearest to a slider position in [0, 1] (None while nothing is rendered)."""
    if not done:
        return None
    want = position * (n - 1)
    return min(done, key=lambda i: (abs(i - want), i))


@dataclass(frozen=True)
class Source:
    """One end of an exploration: an image, or a text whose embedding the prior draws from a fixed seed."""

    image: Image.Image | None = None
    text: str = ""
    label: str = ""

    @staticmethod
    def parse(spec: str, loader) -> "Source":
        """'text:PROMPT' or an image path (read with `loader`)."""
        if spec.startswith("text:"):
            return Source(text=clean_prompt(spec[5:]), label=spec)
        return Source(image=loader(spec), label=spec)


def embed_source(model: UnCLIP, source: Source, seed: int, settings: Settings = Settings()) -> torch.Tensor:
    """z_i (D,) of a source: CLIP's image embedding, or the prior's sample for the text (seed fixed)."""
    if source.image is not None:
        with torch.inference_mode(), model.running("clip"):
            return model.clip.encode_image(model.clip.image_pixels([source.image]))[0].float()
    return run_embedding(model, TextToImage(source.text, (seed,), settings))[0]


def source_pixels(image: Image.Image, size: int, device) -> torch.Tensor:
    """An image as the decoder's x_0: (1, 3, size, size) in [-1, 1], resized bicubic."""
    x0 = torch.from_numpy(np.asarray(image.convert("RGB").resize((size, size), Image.Resampling.BICUBIC)).copy())
    return (x0.permute(2, 0, 1)[None].float() / 127.5 - 1).to(device)


@torch.inference_mode()
def invert_decoder(model: UnCLIP, image: Image.Image, image_embed: torch.Tensor, settings: Settings) -> torch.Tensor:
    """DDIM inversion of the base decoder along the settings' even timesteps and guidance (paper §3.1): the x_T
    (1, 3, s, s) from which a deterministic DDIM render gives back `image`; for a latent decoder, the x_T
    (1, C, size/8, size/8) from which it gives back the image's MoVQ latent (at the settings' size)."""
    s = resolve_settings(model, settings)
    z_i = image_embed[None].to(model.device)  # (1, D)
    if model.movq is not None:
        negative = model.negative_embed()
        with model.running("decoder", "movq"):
            return invert_latent(model.decoder, model.movq, model.process("decoder"),
                                 source_pixels(image, s.size, model.device), z_i, negative, s,
                                 model.config.latent.steps_offset)
    with model.running("clip"):
        empty = model.clip.encode_text([""])  # the caption and the unconditional caption are both empty
    with model.running("decoder", "conditioning"):
        x0 = source_pixels(image, model.config.decoder.size, model.device)
        fn = decoder_fn(model.decoder, model.conditioning, z_i, empty, empty, s.decoder_guidance)
        timesteps, _ = respace(f"ddim{s.decoder_steps}", model.process("decoder").schedule.train_steps)
        return run_to_end(ddim_invert(fn, x0, timesteps, model.process("decoder"))).float()


class StartFrom:
    """Decoder noise whose first draw (x_T) is given; later draws (DDPM steps) stay seeded per image."""

    def __init__(self, x_T: torch.Tensor, seeds: list[int], stage: Stage, device) -> None:
        self.x_T, self.rest, self.first = x_T, PerImageNoise(seeds, stage.noise_name, device), True

    def __call__(self, shape: torch.Size) -> torch.Tensor:
        if self.first:
            self.first = False
            x_T = self.x_T.to(self.rest.device)
            return x_T.expand(shape).clone() if x_T.shape[0] == 1 else x_T
        return self.rest(shape)


def interpolation_positions(frames: int) -> torch.Tensor:
    """t from 0 to 1 over `frames` frames, ends included."""
    if frames < 2:
        raise UserError(f"an interpolation needs at least 2 frames, got {frames}")
    return torch.linspace(0, 1, frames, dtype=torch.float64)


def text_diff_thetas(frames: int, theta_max: float = TEXT_DIFF_MAX) -> torch.Tensor:
    """θ from 0 to `theta_max` (at most 0.5, as the paper) over `frames` frames."""
    if not 0 < theta_max <= TEXT_DIFF_MAX:
        raise UserError(f"text-diff θ must be in (0, {TEXT_DIFF_MAX}], got {theta_max}")
    return torch.linspace(0, theta_max, frames, dtype=torch.float64)


@dataclass
class Strip:
    """The frames of an exploration: embeddings (N, D), optional decoder starts x_T (N, 3, s, s; a latent decoder's
    (N, C, size/8, size/8)), one seed."""

    embeds: torch.Tensor
    positions: torch.Tensor  # (N,) where each frame sits on its path (t or θ)
    seed: int
    settings: Settings
    label: str
    starts: torch.Tensor | None = None
    path: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]] | None = None  # positions → frames

    def __len__(self) -> int:
        return self.embeds.shape[0]

    @classmethod
    def along(cls, path: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]], positions: torch.Tensor,
              seed: int, settings: Settings, label: str) -> "Strip":
        """The frames of a path (positions (N,) → embeddings, decoder starts or None) at `positions`."""
        positions = positions.to(torch.float64)
        embeds, starts = path(positions)
        return cls(embeds, positions, seed, settings, label, starts, path)

    def at(self, positions: torch.Tensor) -> "Strip":
        """The same path's frames at other positions (in the span of this strip's ends)."""
        if self.path is None:
            raise UserError(f"{self.label}: this strip has only its own frames")
        return Strip.along(self.path, positions, self.seed, self.settings, self.label)

    def request(self, indices: list[int], device: torch.device | str = "cpu") -> tuple[EmbeddingToImage, object]:
        """The request and noise override that render the given frames in one batch on `device`."""
        req = EmbeddingToImage(self.embeds[indices], seeds=(self.seed,) * len(indices), settings=self.settings,
                               label=f"{self.label} frames {','.join(map(str, indices))}")
        if self.starts is None:
            return req, None
        seeds = [self.seed] * len(indices)
        x_T = self.starts[indices]
        return req, lambda stage: StartFrom(x_T, seeds, stage, device) if stage.noise_name == "decoder" else \
            PerImageNoise(seeds, stage.noise_name, device)


def interpolation(model: UnCLIP, a: Source, b: Source, frames: int, seed: int, settings: Settings,
                  noise: str = "fixed") -> Strip:
    """Slerp between two sources' z_i; decoder noise fixed (one seed) or slerped between DDIM inversions."""
    if noise not in ("fixed", "inverted"):
        raise UserError(f"unknown noise mode {noise!r}: choose fixed or inverted")
    z_a, z_b = embed_source(model, a, seed, settings), embed_source(model, b, seed, settings)
    t = interpolation_positions(frames)
    label = f"interpolate {a.label} → {b.label}"
    if noise == "fixed":
        return Strip.along(lambda p: (slerp(z_a, z_b, p), None), t, seed, settings, label)
    if a.image is None or b.image is None:
        raise UserError("inverted noise needs two images (a text has no picture to invert)")
    s = replace(settings, sampler="ddim", eta=0.0, decoder_spacing="even")
    x_a, x_b = invert_decoder(model, a.image, z_a, s), invert_decoder(model, b.image, z_b, s)
    return Strip.along(lambda p: (slerp(z_a, z_b, p), slerp(x_a[0], x_b[0], p)), t, seed, s, label)


def text_diff_strip(model: UnCLIP, image: Source, target: str, caption: str, frames: int, seed: int,
                    settings: Settings, theta_max: float = TEXT_DIFF_MAX) -> Strip:
    """Paper §3.3: push an image's z_i toward z_d = normalise(z_t − z_t0) for θ from 0 to theta_max."""
    z_i = embed_source(model, image, seed, settings)
    with torch.inference_mode(), model.running("clip"):
        z_t, z_t0 = model.clip.encode_text([clean_prompt(target), clean_prompt(caption)]).embed.float()
    thetas, direction = text_diff_thetas(frames, theta_max), text_direction(z_t, z_t0)
    return Strip.along(lambda p: (text_diff(z_i, direction, p), None), thetas, seed, settings,
                       f"text diff {image.label} → “{target}”")
