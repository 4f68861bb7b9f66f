"""The evaluation's rows for CLIP alone: retrieval among held-out captions and shape zero-shot."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..model import UnCLIP
from .data import rendered
from .prompts import prompt_of, single_object_prompts, with_shape
from .world import SHAPES, Scene


@torch.no_grad()
def render_z_i(model: UnCLIP, scenes: list[Scene]) -> torch.Tensor:
    """CLIP z_i of each scene's render at CLIP's size (N, D), unnormalised as the decoder takes it."""
    images = rendered(scenes, model.config.clip.image_size)  # (N, 3, H, W) in [-1, 1]
    return model.clip.encode_image(model.clip.tensor_pixels(images))


def render_embeddings(model: UnCLIP, scenes: list[Scene]) -> torch.Tensor:
    """Normalised CLIP z_i of each scene's render (N, D)."""
    return F.normalize(render_z_i(model, scenes), dim=-1)


@torch.no_grad()
def text_embeddings(model: UnCLIP, captions: list[str]) -> torch.Tensor:
    """Normalised CLIP z_t of each caption (N, D)."""
    return F.normalize(model.clip.encode_text(captions).embed, dim=-1)


def top1_by_caption(queries: torch.Tensor, keys: torch.Tensor, captions: list[str]) -> float:
    """How often query i's most similar key (dot product of (N, D) and (N, D)) is one with query i's caption."""
    best = (queries @ keys.T).argmax(1)
    return float(np.mean([captions[int(j)] == captions[i] for i, j in enumerate(best)]))


def retrieval_top1(model: UnCLIP, rng: np.random.Generator, n: int) -> float:
    """Each of n held-out renders finds its own caption among the n captions (CLIP, cosine)."""
    scenes = single_object_prompts(rng, n, ("small", "medium", "large"))
    captions = [prompt_of(s) for s in scenes]
    return top1_by_caption(render_embeddings(model, scenes), text_embeddings(model, captions), captions)


def shape_zero_shot(model: UnCLIP, rng: np.random.Generator, n: int) -> float:
    """CLIP alone: how often a render's z_i is closest to its own caption among the 8 that differ only in shape."""
    scenes = single_object_prompts(rng, n, ("medium", "large"))
    options = [prompt_of(with_shape(sc, shape)) for sc in scenes for shape in SHAPES]
    z_t = text_embeddings(model, options).view(len(scenes), len(SHAPES), -1)  # (N, 8, D)
    best = torch.einsum("nkd,nd->nk", z_t, render_embeddings(model, scenes)).argmax(1)
    return float(np.mean([SHAPES[int(k)] == sc.things[0].shape for k, sc in zip(best, scenes)]))
