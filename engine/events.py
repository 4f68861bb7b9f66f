"""The one event type the engine sends to its callers, in its six kinds."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Event:
    """Something that happened while serving a request."""


@dataclass(frozen=True)
class StageStarted(Event):
    stage: str  # "prior", "decoder", "upsampler0", …
    steps: int
    size: int | None = None  # output side in px, for image stages


@dataclass(frozen=True)
class StepDone(Event):
    stage: str
    step: int  # 1-based
    steps: int
    preview: np.ndarray | None = None  # (B, H, W, 3) uint8 guess of the final image, or None


@dataclass(frozen=True)
class ImageReady(Event):
    index: int
    seed: int
    image: np.ndarray  # (H, W, 3) uint8
    metadata: dict = field(default_factory=dict)  # the `unclip` record: everything to reproduce it


@dataclass(frozen=True)
class Finished(Event):
    images: tuple[ImageReady, ...]
    seconds: float
    samples: object = None  # (B, 3, H, W) float32 in [-1, 1]: the images before 8-bit rounding


@dataclass(frozen=True)
class Failed(Event):
    message: str
    details: str = ""  # traceback, for logs


@dataclass(frozen=True)
class Cancelled(Event):
    stage: str | None
    step: int
