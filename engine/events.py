"""The one event type the engine sends to its callers, in its six kinds, and the one loop that drains them."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Generator, TypeVar

import numpy as np

from .stage import Stage

R = TypeVar("R")


@dataclass(frozen=True)
class Event:
    """Something that happened while serving a request."""


@dataclass(frozen=True)
class StageStarted(Event):
    stage: Stage
    steps: int


@dataclass(frozen=True)
class StepDone(Event):
    stage: Stage
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


class FailureKind(str, Enum):
    USER = "user"  # bad input: one line to the user, nothing to log
    OUT_OF_MEMORY = "out of memory"  # the device ran out: a smaller batch may fit
    INTERNAL = "internal"  # a bug or a broken model: `details` has the traceback


@dataclass(frozen=True)
class Failed(Event):
    message: str
    details: str = ""  # traceback, for logs
    kind: FailureKind = FailureKind.USER


@dataclass(frozen=True)
class Cancelled(Event):
    stage: Stage | None
    step: int


END = (Finished, Failed, Cancelled)  # a request's last event is one of these


def drain(events: Generator[Event, None, R], on_event: Callable[[Event], None] | None = None) -> R:
    """The one loop over engine events: hand each to `on_event`, return what the generator returns."""
    while True:
        try:
            event = next(events)
        except StopIteration as end:
            return end.value
        if on_event is not None:
            on_event(event)
