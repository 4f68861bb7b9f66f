"""The studio's observable view-model: widgets bind to it and never call the engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal


@dataclass
class Result:
    """A finished image: its pixels (read from disk on demand), where it was saved and how to make it again."""

    pixels: np.ndarray | None  # (H, W, 3) uint8, or None until first shown
    path: str
    metadata: dict = field(default_factory=dict)
    favourite: bool = False

    @property
    def seed(self) -> int:
        return int(self.metadata.get("seed", 0))

    @property
    def name(self) -> str:
        return Path(self.path).name if self.path else f"unsaved-{self.seed}.png"

    @property
    def prompt(self) -> str:
        return str(self.metadata.get("prompt", ""))

    def image(self) -> np.ndarray:
        """The full pixels, loaded from the saved PNG the first time."""
        if self.pixels is None:
            from PIL import Image
            with Image.open(self.path) as im:
                self.pixels = np.asarray(im.convert("RGB"))
        return self.pixels


class StudioState(QObject):
    """What the user has set and what the engine has produced."""

    model_changed = Signal(str, str)  # status ('loading'|'ready'|'missing'|'failed'), message
    busy_changed = Signal(bool)
    result_added = Signal(object)  # Result
    result_removed = Signal(object)  # Result
    result_changed = Signal(object)  # Result (favourite toggled)

    def __init__(self) -> None:
        super().__init__()
        self.model_status, self.model_message = "loading", ""
        self.busy = False
        self.results: list[Result] = []

    def set_model(self, status: str, message: str) -> None:
        self.model_status, self.model_message = status, message
        self.model_changed.emit(status, message)

    def set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.busy_changed.emit(busy)

    def add_result(self, result: Result) -> None:
        self.results.append(result)
        self.result_added.emit(result)

    def remove_result(self, result: Result) -> None:
        self.results = [r for r in self.results if r is not result]
        self.result_removed.emit(result)

    def set_favourite(self, result: Result, favourite: bool) -> None:
        result.favourite = favourite
        self.result_changed.emit(result)
