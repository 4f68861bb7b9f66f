"""The status bar: device, model, process memory and the time per sampling step."""
from __future__ import annotations

import time

import psutil
import torch
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar


class StudioStatusBar(QStatusBar):
    """Permanent fields on the right; transient messages on the left."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("statusBar")
        self.device = QLabel(objectName="deviceLabel")
        self.model = QLabel(objectName="modelLabel")
        self.memory = QLabel(objectName="memoryLabel")
        self.timing = QLabel(objectName="timingLabel")
        for label in (self.timing, self.memory, self.model, self.device):
            self.addPermanentWidget(label)
        self._process = psutil.Process()
        self._last: tuple[str, float] | None = None
        self._timer = QTimer(self, interval=1000, timeout=self.update_memory)
        self._timer.start()
        self.update_memory()

    def set_engine(self, device: str, dtype: str, model: str) -> None:
        self.device.setText(f"{device} · {dtype}")
        self.model.setText(model)

    def update_memory(self) -> None:
        text = f"RAM {self._process.memory_info().rss / 2**30:.2f} GiB"
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            text += f" · GPU {torch.cuda.memory_allocated() / 2**30:.2f} GiB"
        self.memory.setText(text)

    def step(self, stage: str, step: int) -> None:
        """Called at every sampler step: shows the time since the previous step of the same stage."""
        now = time.perf_counter()
        if self._last is not None and self._last[0] == stage and step > 1:
            self.timing.setText(f"{stage}: {1000 * (now - self._last[1]):.0f} ms/step")
        self._last = (stage, now)
