"""Strips refined where neighbouring frames differ most (as Latent Blending places its transitions), not on a
fixed even plan: the ends first, then each new frame at the midpoint of the two neighbours furthest apart.

Distance: the RMS difference of two frames' pixels (0–1), read at 64 px.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from PIL import Image

from .explore import Strip
from .model import UnCLIP
from .pipeline import CancelToken
from .record import frame_fields
from .runner import Frame, OnEvent, run

READ_AT = 64  # px: frames are compared at this size


def reading(image: np.ndarray) -> np.ndarray:
    """A frame (H, W, 3) uint8 as it is compared: (64, 64, 3) float32 in [0, 1]."""
    return np.asarray(Image.fromarray(image).resize((READ_AT, READ_AT), Image.Resampling.BOX), np.float32) / 255


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """RMS difference of two readings."""
    return float(np.sqrt(np.mean((a - b) ** 2)))


def jump(a: np.ndarray, b: np.ndarray) -> float:
    """RMS pixel difference (0–1) of two frames (H, W, 3) uint8, read at 64 px."""
    return distance(reading(a), reading(b))


def largest_jump(images: list[np.ndarray]) -> float:
    """The largest jump between neighbouring frames of a strip in order."""
    return max(jump(a, b) for a, b in zip(images, images[1:]))


def render_refined(model: UnCLIP, strip: Strip, frames: int, *, key: str | None = None,
                   cancel: CancelToken | None = None, on_event: OnEvent | None = None,
                   on_count: Callable[[int], None] | None = None) -> list[Frame]:
    """`frames` frames of the strip's path from its first to its last position, placed where the frames already
    rendered differ most; sorted by position, each record with its frame index and position."""
    lo, hi = float(strip.positions[0]), float(strip.positions[-1])
    done: dict[float, tuple[np.ndarray, dict, np.ndarray]] = {}  # position → image, record, reading

    def draw(positions: list[float]) -> None:
        part = strip.at(torch.tensor(positions, dtype=torch.float64))
        request, noise = part.request(list(range(len(positions))), model.device)
        for p, image in zip(positions, run(model, request, cancel=cancel, noise=noise, on_event=on_event)):
            done[p] = (image.image, image.metadata, reading(image.image))
        if on_count is not None:
            on_count(len(done))

    draw([lo, hi])
    while len(done) < frames:
        order = sorted(done)
        gaps = [distance(done[a][2], done[b][2]) for a, b in zip(order, order[1:])]
        i = int(np.argmax(gaps))
        draw([(order[i] + order[i + 1]) / 2])
    order = sorted(done)
    return [Frame(i, done[p][0], dict(done[p][1], **frame_fields(i, p, len(order), key)))
            for i, p in enumerate(order)]
