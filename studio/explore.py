"""Exploration in the studio: a strip of frames between two sources, rendered coarse to fine on the engine
thread and scrubbed with `interpolationSlider`; frames are cached in memory and on disk per strip key."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, Signal

from engine.explore import frame_order, nearest_done

BATCH = 2  # frames per engine job: small, so the strip fills in while the artist scrubs


def strip_key(a: str, b: str, seed: int, settings, frames: int, noise: str, model: str) -> str:
    """What makes a strip's frames what they are (sources, seed, settings, frame count, noise, model)."""
    blob = json.dumps([a, b, seed, asdict(settings), frames, noise, model], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class FrameStrip(QObject):
    """The frames of one strip: which are rendered, which are queued, and the one nearest a position."""

    frame_added = Signal(int)  # index

    def __init__(self, key: str, frames: int, cache: Path) -> None:
        super().__init__()
        self.key, self.count, self.folder = key, frames, cache / key
        self.done: dict[int, np.ndarray] = {}
        self.jobs: dict[int, list[int]] = {}  # engine job id → frame indices it renders
        for index in range(frames):  # frames rendered in an earlier session come back from disk
            path = self.folder / f"{index:03d}.png"
            if path.is_file():
                with Image.open(path) as im:
                    self.done[index] = np.asarray(im.convert("RGB"))

    def missing(self) -> list[int]:
        """Frames not rendered and not queued, coarse to fine."""
        queued = {i for chunk in self.jobs.values() for i in chunk}
        return [i for i in frame_order(self.count) if i not in self.done and i not in queued]

    def plan(self) -> list[list[int]]:
        """The batches still to render, coarse to fine."""
        todo = self.missing()
        return [todo[i: i + BATCH] for i in range(0, len(todo), BATCH)]

    def add(self, index: int, pixels: np.ndarray) -> None:
        self.done[index] = pixels
        self.frame_added.emit(index)

    def nearest(self, position: float) -> int | None:
        return nearest_done(position, self.count, self.done)

    def job_for(self, position: float) -> int | None:
        """The queued job holding the frame nearest `position`, if that frame is still missing."""
        want = round(position * (self.count - 1))
        if want in self.done:
            return None
        return next((job for job, chunk in self.jobs.items() if want in chunk), None)
