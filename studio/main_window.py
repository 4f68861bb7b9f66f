"""The main window: panels wired to the view-model and to the one engine worker."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QListWidget, QMainWindow, QProgressBar,
                               QSplitter, QVBoxLayout, QWidget)

from engine import Failed, ImageVariation, StageStarted, StepDone, TextToImage, UserError
from engine.hub import cached_unclip_repos
from engine.sources import load_image

from .panels.canvas import Canvas
from .panels.gallery import Gallery
from .panels.prompt import PromptPanel
from .panels.settings import SettingsPanel
from .panels.sources import SourceDropZone
from .state import Result, StudioState
from .worker import EngineWorker

PREVIEW_INTERVAL = 0.05  # s between canvas previews: cheap to draw, never a brake on sampling
OPEN_FOLDER = "Open model folder…"


class MainWindow(QMainWindow):
    """Prompt, sources and settings on the left; canvas and progress in the middle; gallery below."""

    load_requested = Signal(str)

    def __init__(self, worker: EngineWorker, state: StudioState, model: str) -> None:
        super().__init__()
        self.worker, self.state = worker, state
        self.setWindowTitle("unCLIP Studio")
        self.resize(1100, 760)
        self._last_preview = 0.0
        self._current_model = self._loading = ""
        self._build()
        self._wire()
        self.load_model(model)

    def _build(self) -> None:
        self.model_combo = QComboBox(objectName="modelCombo")
        self.model_combo.addItems(["default", *cached_unclip_repos(), OPEN_FOLDER])
        self.prompt = PromptPanel()
        self.sources = SourceDropZone()
        self.settings = SettingsPanel()
        self.queue_view = QListWidget(objectName="queueView")
        self.queue_view.setMaximumHeight(90)
        left = QVBoxLayout()
        for widget in (QLabel("Model"), self.model_combo, self.prompt, self.sources, self.settings,
                       QLabel("Queue"), self.queue_view):
            left.addWidget(widget)
        left.addStretch(1)
        left_box = QWidget()
        left_box.setLayout(left)
        left_box.setMaximumWidth(380)
        self.canvas = Canvas()
        self.progress_bar = QProgressBar(objectName="progressBar")
        self.progress_bar.setFormat("%v / %m  %p%")
        self.status = QLabel(objectName="statusLabel")
        self.status.setWordWrap(True)
        self.gallery = Gallery()
        center = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        for widget in (self.canvas, self.progress_bar, self.status):
            top_layout.addWidget(widget)
        center.addWidget(top)
        center.addWidget(self.gallery)
        center.setStretchFactor(0, 4)
        root = QWidget()
        layout = QHBoxLayout(root)
        layout.addWidget(left_box)
        layout.addWidget(center, 1)
        self.setCentralWidget(root)

    def _wire(self) -> None:
        w, s = self.worker, self.state
        self.load_requested.connect(w.load)
        w.model_loaded.connect(s.set_model)
        w.event.connect(self._on_event)
        w.image_saved.connect(self._on_image)
        w.job_started.connect(self._on_started)
        w.job_done.connect(self._on_done)
        w.queue_changed.connect(self._on_queue)
        s.model_changed.connect(self._on_model)
        s.busy_changed.connect(self.prompt.cancel_button.setEnabled)
        s.result_added.connect(self.gallery.add)
        s.result_added.connect(self._show_result)
        self.gallery.result_selected.connect(self._show_result)
        self.prompt.generate_requested.connect(self.generate)
        self.prompt.cancel_requested.connect(self.cancel)
        self.sources.image_dropped.connect(self.vary)
        self.model_combo.activated.connect(self._on_model_combo)

    # --- actions --------------------------------------------------------------------------------
    def load_model(self, spec: str) -> None:
        """Load a bundle in the background; the current one stays usable meanwhile."""
        if self.model_combo.findText(spec) < 0:
            self.model_combo.insertItem(self.model_combo.count() - 1, spec)
        self.model_combo.setCurrentText(spec)
        self._loading = spec
        self.state.set_model("loading", f"Loading {spec}…")
        self.load_requested.emit(spec)

    def generate(self) -> None:
        """Queue a text → image job from the prompt and settings."""
        try:
            request = TextToImage(self.prompt.prompt, self.settings.take_seeds(), self.settings.settings())
        except UserError as err:
            return self._say(f"⚠ {err}")
        self._submit(request, f"“{request.prompt[:40]}” seeds {request.seeds[0]}…")

    def vary(self, path: str) -> None:
        """Queue variations of a dropped image."""
        try:
            image = load_image(path)
            request = ImageVariation(image, self.settings.take_seeds(), self.settings.settings(),
                                     source_name=Path(path).name)
        except UserError as err:
            return self._say(f"⚠ {err}")
        self.canvas.show_pixels(np.asarray(image), f"source: {Path(path).name}")
        self._submit(request, f"variations of {Path(path).name}")

    def cancel(self) -> None:
        """Stop the running job before its next step (called here, on the GUI thread: the worker is busy)."""
        self.worker.cancel_current()

    def _submit(self, request, label: str) -> None:
        if self.state.model_status not in ("ready", "loading") and self.worker.model is None:
            return self._say("⚠ No model is loaded: choose a model folder first.")
        self.worker.submit(request, label)

    # --- reactions ------------------------------------------------------------------------------
    def _on_model(self, status: str, message: str) -> None:
        ready = status == "ready"
        self.prompt.generate_button.setEnabled(ready or self.worker.model is not None)
        if ready:
            self._current_model = self._loading
            self.settings.set_model(self.worker.model.config)
            self._say(f"Model ready: {message}")
            if not self.state.results:
                self.canvas.show_message("Type a prompt and press Ctrl+Enter,\nor drop an image for variations.")
        elif status == "loading":
            self._say(message)
        elif self.worker.model is not None:
            self.model_combo.setCurrentText(self._current_model)
            self._say(f"⚠ Could not load that model, keeping {self._current_model}: {message}")
        else:
            self._say(f"No model: {message}")
            if self.worker.model is None:
                self.canvas.show_message("No model loaded.\nChoose “Open model folder…” in the model list.")

    def _on_model_combo(self, index: int) -> None:
        if self.model_combo.itemText(index) == OPEN_FOLDER:
            folder = QFileDialog.getExistingDirectory(self, "Open model folder")
            if folder:
                self.load_model(folder)
            return
        self.load_model(self.model_combo.itemText(index))

    def _on_event(self, job_id: int, event) -> None:
        if isinstance(event, StageStarted):
            self.progress_bar.setRange(0, event.steps)
            self.progress_bar.setValue(0)
            self._say(f"{event.stage}…")
        elif isinstance(event, StepDone):
            self.progress_bar.setValue(event.step)
            now = time.monotonic()
            if event.preview is not None and (now - self._last_preview >= PREVIEW_INTERVAL
                                              or event.step == event.steps):
                self._last_preview = now
                self.canvas.show_pixels(event.preview[0], f"{event.stage} step {event.step}/{event.steps}")
        elif isinstance(event, Failed):
            self._say(f"⚠ Failed: {event.message}")

    def _on_started(self, job_id: int, label: str) -> None:
        self.state.set_busy(True)
        self._say(f"Working: {label}")

    def _on_image(self, job_id: int, image, path: str) -> None:
        self.state.add_result(Result(image.image, path, image.metadata))

    def _show_result(self, result: Result) -> None:
        self.canvas.show_pixels(result.pixels, f"seed {result.seed}")
        self._say(f"seed {result.seed} — {result.path}")

    def _on_done(self, job_id: int, outcome: str) -> None:
        if not self.queue_view.count():
            self.state.set_busy(False)
        if outcome == "cancelled":
            self._say("Cancelled.")

    def _on_queue(self, labels: list) -> None:
        self.queue_view.clear()
        self.queue_view.addItems(labels)

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.worker.clear_queue()
        self.worker.cancel_current()
        super().closeEvent(event)
