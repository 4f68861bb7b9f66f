"""The studio's observable view-model: widgets bind to it and never call the engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from .messages import Kind, Message, ModelReady


class ModelStatus(str, Enum):
    LOADING = "loading"
    READY = "ready"
    MISSING = "missing"  # no such model folder, or not an unCLIP model: the user can choose another
    FAILED = "failed"  # the model could not be loaded for another reason


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
    """What the user has set and what the engine has produced: the model, the results, and which of them the canvas
    shows (`shown`: one, or a job's several as a grid) with the one in focus (its seed is the seed field's)."""

    model_changed = Signal(object, str)  # ModelStatus, message
    result_added = Signal(object)  # Result
    result_removed = Signal(object)  # Result
    result_changed = Signal(object)  # Result (favourite toggled)
    shown_changed = Signal(object)  # tuple[Result, ...]: what the canvas shows now
    focus_changed = Signal(object)  # Result | None: the image in focus

    def __init__(self) -> None:
        super().__init__()
        self.model_status, self.model_message = ModelStatus.LOADING, ""
        self.model: ModelReady | None = None  # the model jobs run on
        self.loading = ""  # the spec asked for last
        self.results: list[Result] = []
        self.shown: tuple[Result, ...] = ()
        self.focus: Result | None = None

    @property
    def vocabulary(self):
        """The loaded model's words (engine.vocabulary.Vocabulary), or None where it has none or none is loaded."""
        return getattr(self.model, "vocabulary", None)

    def show(self, results, focus: Result | None) -> None:
        """The canvas now shows `results` (one, or a job's several), with `focus` the image in focus."""
        self.shown = tuple(results)
        self.shown_changed.emit(self.shown)
        self.set_focus(focus)

    def set_focus(self, result: Result | None) -> None:
        self.focus = result
        self.focus_changed.emit(result)

    @property
    def model_spec(self) -> str:
        """The spec of the model jobs run on ('' before one loaded)."""
        return self.model.spec if self.model is not None else ""

    def start_loading(self, spec: str) -> None:
        self.loading = spec
        self.set_model(ModelStatus.LOADING, f"Loading {spec}…")

    @Slot(object)
    def receive(self, message: Message) -> None:
        """The worker's news about the model; job messages are the job model's."""
        if message.kind is Kind.MODEL_LOADED:
            self.model = message.payload
            self.set_model(ModelStatus.READY, self.model.name)
        elif message.kind is Kind.MODEL_FAILED:
            failure = message.payload
            self.set_model(ModelStatus.MISSING if failure.missing else ModelStatus.FAILED, failure.message)

    def set_model(self, status: ModelStatus, message: str) -> None:
        self.model_status, self.model_message = status, message
        self.model_changed.emit(status, message)

    def add_result(self, result: Result) -> None:
        self.results.append(result)
        self.result_added.emit(result)

    def remove_result(self, result: Result) -> None:
        self.results = [r for r in self.results if r is not result]
        self.result_removed.emit(result)
        if result is self.focus:
            self.set_focus(None)

    def set_favourite(self, result: Result, favourite: bool) -> None:
        result.favourite = favourite
        self.result_changed.emit(result)
