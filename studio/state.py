"""The studio's observable view-model: widgets bind to it and never call the engine."""
from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal


@dataclass
class Result:
    """A finished image: its pixels, where it was saved and how to make it again."""

    pixels: object  # (H, W, 3) uint8
    path: str
    metadata: dict = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return int(self.metadata.get("seed", 0))


class StudioState(QObject):
    """What the user has set and what the engine has produced."""

    model_changed = Signal(str, str)  # status ('loading'|'ready'|'missing'|'failed'), message
    busy_changed = Signal(bool)
    progress = Signal(str, int, int)  # stage, step, steps
    preview = Signal(object)  # (H, W, 3) uint8
    result_added = Signal(object)  # Result
    message = Signal(str)
    queue_changed = Signal(list)  # labels of waiting jobs

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
