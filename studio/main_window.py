"""The main window: panels wired to the view-model and to the one engine worker."""
from __future__ import annotations

import gc
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QByteArray, QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QProgressBar,
                               QSplitter, QVBoxLayout, QWidget)

from engine import Failed, Finished, ImageVariation, StageStarted, StepDone, TextToImage, UserError
from engine.hub import cached_unclip_repos
from engine.metadata import read_png_metadata, save_png
from engine.sources import load_image_with_notes

from .explore import Explorer
from .menus import build_menus
from .panels.canvas import Canvas
from .panels.explore import ExplorePanel
from .panels.gallery import Gallery, GalleryPanel
from .panels.prompt import PromptPanel, saved_history
from .panels.queue import QueueView
from .panels.settings import SettingsPanel
from .panels.sources import SourceDropZone
from .state import Result, StudioState
from .status import StudioStatusBar, stage_label
from .theme import app_icon
from .worker import EngineWorker

PREVIEW_INTERVAL = 0.05  # s between canvas previews: cheap to draw, never a brake on sampling
OPEN_FOLDER = "Open model folder…"


class MainWindow(QMainWindow):
    """Prompt, sources and settings on the left; canvas and progress in the middle; gallery below."""

    OPEN_FOLDER = OPEN_FOLDER

    load_requested = Signal(str, str, str)  # model spec, device, dtype name

    def __init__(self, worker: EngineWorker, state: StudioState, model: str, settings: QSettings) -> None:
        super().__init__()
        self.worker, self.state, self.store = worker, state, settings
        self.setWindowTitle("unCLIP Studio")
        self.setWindowIcon(app_icon())
        self.resize(1180, 800)
        self._last_preview = 0.0
        self._job_label = self._stage = ""  # the running job's label; its current stage as shown
        self._current_model = self._loading = ""
        self._deleted: list[Result] = []  # undo stack of deletions
        self.ask_restore = self._ask_restore  # replaceable in tests: path → 'restore' | 'vary' | 'cancel'
        self._build()
        build_menus(self)
        self._wire()
        self._restore_layout()
        self.load_library()
        self.load_model(model)

    # --- construction ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.model_combo = QComboBox(objectName="modelCombo")
        self.model_combo.addItems(["default", *cached_unclip_repos(), OPEN_FOLDER])
        self.prompt = PromptPanel()
        self.sources = SourceDropZone()
        self.settings = SettingsPanel()
        self.queue_view = QueueView()
        left = QVBoxLayout()
        for widget in (QLabel("Model"), self.model_combo, self.prompt, self.sources, self.settings,
                       QLabel("Queue"), self.queue_view):
            left.addWidget(widget)
        left.addStretch(1)
        left_box = QWidget()
        left_box.setLayout(left)
        left_box.setMaximumWidth(400)
        self.canvas = Canvas()
        self.progress_bar = QProgressBar(objectName="progressBar")
        self.progress_bar.setFormat("%v / %m  %p%")
        self.status = QLabel(objectName="statusLabel")
        self.status.setWordWrap(True)
        self.gallery = Gallery()
        self.splitter = QSplitter(Qt.Orientation.Vertical, objectName="centerSplitter")
        top = QWidget()
        top_layout = QVBoxLayout(top)
        self.explore = ExplorePanel()
        for widget in (self.canvas, self.explore, self.progress_bar, self.status):
            top_layout.addWidget(widget)
        self.splitter.addWidget(top)
        self.gallery_panel = GalleryPanel(self.gallery)
        self.splitter.addWidget(self.gallery_panel)
        self.splitter.setStretchFactor(0, 4)
        root = QWidget()
        layout = QHBoxLayout(root)
        layout.addWidget(left_box)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(root)
        self.status_bar = StudioStatusBar()
        self.setStatusBar(self.status_bar)

    def _wire(self) -> None:
        w, s = self.worker, self.state
        self.load_requested.connect(w.load)
        w.model_loaded.connect(s.set_model)
        w.event.connect(self._on_event)
        w.image_saved.connect(self._on_image)
        w.job_started.connect(self._on_started)
        w.job_done.connect(self._on_done)
        w.queue_changed.connect(self.queue_view.show_jobs)
        s.model_changed.connect(self._on_model)
        s.busy_changed.connect(self.prompt.cancel_button.setEnabled)
        s.result_added.connect(self.gallery.add)
        s.result_removed.connect(self.gallery.remove)
        s.result_changed.connect(self.gallery.refresh)
        self.gallery.result_selected.connect(self._show_result)
        self.gallery.action.connect(self.act)
        # the worker's thread is busy sampling: queue edits are direct, thread-safe calls, never queued slots
        self.queue_view.remove_requested.connect(lambda job_id: w.remove(job_id))
        self.queue_view.front_requested.connect(lambda job_id: w.move_to_front(job_id))
        self.prompt.generate_requested.connect(self.generate)
        self.prompt.cancel_requested.connect(self.cancel)
        self.sources.image_dropped.connect(self.drop)
        self.sources.image_pasted.connect(lambda pixels: self.vary_image(Image.fromarray(pixels), "pasted image"))
        self.model_combo.activated.connect(self._on_model_combo)
        self.explorer = Explorer(self)

    # --- persistence ----------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry, split = self.store.value("window/geometry"), self.store.value("window/splitter")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(split, QByteArray):
            self.splitter.restoreState(split)
        self.prompt.edit.setPlainText(str(self.store.value("prompt/text", "") or ""))
        self.prompt.history = saved_history(self.store.value("prompt/history", ""))
        self.store.beginGroup("settings")
        self.settings.restore({k: self.store.value(k) for k in self.store.childKeys()})
        self.store.endGroup()

    def save_layout(self) -> None:
        """Window geometry, splitter, prompt and controls, for the next start."""
        self.store.setValue("window/geometry", self.saveGeometry())
        self.store.setValue("window/splitter", self.splitter.saveState())
        self.store.setValue("prompt/text", self.prompt.prompt)
        for key, value in self.settings.values().items():
            self.store.setValue(f"settings/{key}", value)
        self.store.sync()

    def load_library(self) -> None:
        """Show every image already in the library (oldest first)."""
        for entry in self.worker.library.entries():
            self.state.add_result(Result(None, str(self.worker.library.folder / entry.name), entry.metadata,
                                         entry.favourite))
        if self.worker.library.rebuilt:
            self._say("The library index was damaged and has been rebuilt from the images.")

    # --- actions --------------------------------------------------------------------------------
    def load_model(self, spec: str, device: str = "", dtype: str = "") -> None:
        """Load a bundle in the background; the current one stays usable meanwhile."""
        if self.model_combo.findText(spec) < 0:
            self.model_combo.insertItem(self.model_combo.count() - 1, spec)
        self.model_combo.setCurrentText(spec)
        self._loading = spec
        self.state.set_model("loading", f"Loading {spec}…")
        self.progress_bar.setRange(0, 0)  # busy until the worker answers
        self.load_requested.emit(spec, device, dtype)

    def set_engine(self, device: str = "", dtype: str = "") -> None:
        """Reload the current model on another device or in another precision."""
        spec = self._current_model or self._loading
        self.store.setValue("engine/device", device or self.worker.device)
        self.store.setValue("engine/dtype", dtype or str(self.worker.dtype).removeprefix("torch."))
        self.load_model(spec, device, dtype)

    def generate(self) -> None:
        """Queue a text → image job from the prompt and settings."""
        try:
            request = TextToImage(self.prompt.prompt, self.settings.take_seeds(), self.settings.settings())
        except UserError as err:
            return self._say(f"⚠ {err}")
        self.prompt.remember(request.prompt)
        self.store.setValue("prompt/history", json.dumps(self.prompt.history))
        self._submit(request, f"“{request.prompt[:40]}” seeds {request.seeds[0]}…")

    def drop(self, path: str) -> None:
        """A dropped or opened file: a studio PNG may restore its settings, anything else is varied."""
        try:
            meta = read_png_metadata(path) if path.lower().endswith(".png") else None
        except UserError:
            meta = None
        if meta is not None and "settings" in meta:
            choice = self.ask_restore(path)
            if choice == "restore":
                return self.restore(meta)
            if choice == "cancel":
                return None
        return self.vary(path)

    def vary(self, path: str) -> None:
        """Queue variations of an image file."""
        try:
            image, notes = load_image_with_notes(path)
        except UserError as err:
            return self._say(f"⚠ {err}")
        self.vary_image(image, Path(path).name)
        if notes:
            self._say("ℹ " + "; ".join(notes))

    def vary_image(self, image: Image.Image, name: str) -> None:
        try:
            request = ImageVariation(image, self.settings.take_seeds(), self.settings.settings(), source_name=name,
                                     amount=self.settings.amount.value)
        except UserError as err:
            return self._say(f"⚠ {err}")
        self.canvas.show_pixels(np.asarray(image.convert("RGB")), f"source: {name}")
        self._submit(request, f"variations of {name}")

    def paste(self) -> None:
        """Vary the image (or image file) on the clipboard."""
        if not self.sources.take(QGuiApplication.clipboard().mimeData()):
            self._say("⚠ The clipboard holds no image.")

    def restore(self, meta: dict) -> None:
        """Put a saved image's prompt and settings back into the controls."""
        if meta.get("kind") == "text2image":
            self.prompt.edit.setPlainText(str(meta.get("prompt", "")))
        self.settings.apply(meta)
        self._say(f"Settings restored (seed {meta.get('seed')}).")

    def cancel(self) -> None:
        """Stop the running job before its next step (called here, on the GUI thread: the worker is busy)."""
        self.worker.cancel_current()

    def act(self, key: str, result: Result) -> None:
        """What the gallery's menu and keys ask for."""
        if not result.path and key in ("favourite", "reveal", "use_a", "use_b", "use_c", "use_d"):
            return self._say("⚠ This image is not saved yet: Export… it first.")
        if key == "vary":
            if result.path:
                self.vary(result.path)
            else:
                self.vary_image(Image.fromarray(result.image()), result.name)
        elif key == "compare":
            self.compare(result)
        elif key == "restore":
            self.restore(result.metadata)
        elif key == "favourite":
            self.worker.library.set_favourite(result.name, not result.favourite)
            self.state.set_favourite(result, not result.favourite)
        elif key == "copy_seed":
            QGuiApplication.clipboard().setText(str(result.seed))
            self._say(f"Copied seed {result.seed}.")
        elif key == "copy_prompt":
            QGuiApplication.clipboard().setText(result.prompt)
            self._say("Copied the prompt.")
        elif key == "reveal":
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(result.path).parent)))
        elif key == "export":
            target, _ = QFileDialog.getSaveFileName(self, "Export image", result.name, "PNG image (*.png)")
            if target:
                self.export(result, target)
        elif key == "delete":
            self.delete(result)
        elif key in ("use_a", "use_b", "use_c", "use_d"):
            self.explorer.set_source(key[-1], result.path)

    def compare(self, result: Result | None) -> None:
        """Pin a result beside whatever the canvas shows next (select others to compare them); None unpins."""
        if result is None:
            self.canvas.compare_with(None)
            return self._say("Stopped comparing.")
        try:
            pixels = result.image()
        except OSError as err:
            return self._say(f"⚠ Could not open {result.path}: {err}")
        self.canvas.compare_with(pixels, f"seed {result.seed}")
        self._say(f"Comparing with seed {result.seed} (right of the divider; move the mouse over the canvas). "
                  "Select another result to compare it; Ctrl+K stops.")

    def export(self, result: Result, target: str) -> None:
        """Copy a saved image elsewhere, or write one the library could not hold."""
        try:
            if result.path:
                self._say(f"Exported to {self.worker.library.export(result.name, target)}")
            else:
                self._say(f"Saved to {save_png(target, result.image(), result.metadata)}")
        except UserError as err:
            self._say(f"⚠ {err}")
        except OSError as err:
            self._say(f"⚠ Could not save to {target}: {err.strerror or err}")

    def delete(self, result: Result) -> None:
        """Move to the library's trash; Ctrl+Z brings it back."""
        if not result.path:
            return self.state.remove_result(result)
        try:
            self.worker.library.delete(result.name)
        except (OSError, UserError) as err:
            return self._say(f"⚠ Could not delete {result.name}: {err}")
        self._deleted.append(result)
        self.state.remove_result(result)
        self.undo_action.setEnabled(True)
        self._say(f"Deleted {result.name} — Ctrl+Z to undo.")

    def undo_delete(self) -> None:
        if not self._deleted:
            return
        result = self._deleted.pop()
        try:
            self.worker.library.undo_delete(result.name)
        except (OSError, UserError) as err:
            return self._say(f"⚠ Could not restore {result.name}: {err}")
        self.state.add_result(result)
        self.undo_action.setEnabled(bool(self._deleted))
        self._say(f"Restored {result.name}.")

    def _selected(self, key: str) -> None:
        result = self.gallery.selected()
        if result is None:
            return self._say("Select an image in the gallery first.")
        self.act(key, result)

    def _submit(self, request, label: str) -> None:
        if self.state.model_status not in ("ready", "loading") and self.worker.model is None:
            return self._say("⚠ No model is loaded: choose a model folder first.")
        self.worker.submit(request, label)

    def _ask_restore(self, path: str) -> str:
        box = QMessageBox(QMessageBox.Icon.Question, "Image made by unCLIP Studio",
                          f"{Path(path).name} carries the settings that made it.", parent=self)
        restore = box.addButton("Restore its settings", QMessageBox.ButtonRole.AcceptRole)
        vary = box.addButton("Make variations", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return "restore" if box.clickedButton() is restore else "vary" if box.clickedButton() is vary else "cancel"

    # --- reactions ------------------------------------------------------------------------------
    def _on_model(self, status: str, message: str) -> None:
        ready = status == "ready"
        self.prompt.generate_button.setEnabled(ready or self.worker.model is not None)
        if status != "loading":
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)
        if ready:
            self._current_model = self._loading
            self.settings.set_model(self.worker.model.config)
            self.status_bar.set_engine(self.worker.device, self.worker.dtype, message)
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
            self.canvas.show_message("No model loaded.\nChoose “Open model folder…” in the model list.")

    def _on_model_combo(self, index: int) -> None:
        if self.model_combo.itemText(index) == OPEN_FOLDER:
            folder = QFileDialog.getExistingDirectory(self, "Open model folder")
            if folder:
                self.load_model(folder)
            else:
                self.model_combo.setCurrentText(self._current_model)
            return
        self.load_model(self.model_combo.itemText(index))

    def _on_event(self, job_id: int, event) -> None:
        if isinstance(event, StageStarted):
            self.progress_bar.setRange(0, event.steps)
            self.progress_bar.setValue(0)
            self._stage = stage_label(event.stage, event.size)
            self._say(f"{self._stage}…")
        elif isinstance(event, StepDone):
            self.progress_bar.setValue(event.step)
            self.status_bar.step(self._stage or event.stage, event.step)
            now = time.monotonic()
            if event.preview is not None and (now - self._last_preview >= PREVIEW_INTERVAL
                                              or event.step == event.steps):
                self._last_preview = now
                self.canvas.show_pixels(event.preview[0], f"{self._stage or event.stage} · step {event.step}/"
                                        f"{event.steps}")
        elif isinstance(event, Finished) and event.images:
            self._finished(event)
        elif isinstance(event, Failed):
            self._say(f"⚠ Failed: {event.message}")

    def _finished(self, event: Finished) -> None:
        """Say how long the job took, and let the Size list show each size's last time on this machine."""
        n, size = len(event.images), event.images[0].image.shape[0]
        said = self.status.text()
        if said == f"{self._stage}…":  # nothing shown since the last stage began (a strip frame saves no image)
            said = self._job_label
        self._say(f"{said} · {'done' if n == 1 else f'{n} images'} in {event.seconds:.1f} s")
        self.settings.note_time(size, event.seconds / n)

    def _on_started(self, job_id: int, label: str) -> None:
        self.state.set_busy(True)
        self._job_label, self._stage = label, ""
        self._say(f"Working: {label}")

    def _on_image(self, job_id: int, image, path: str) -> None:
        self.state.add_result(Result(image.image, path, image.metadata))
        self._show_result(self.state.results[-1])

    def _show_result(self, result: Result) -> None:
        try:
            pixels = result.image()
        except OSError as err:
            return self._say(f"⚠ Could not open {result.path}: {err}")
        self.canvas.show_pixels(pixels, f"seed {result.seed}")
        self._say(f"seed {result.seed} — {result.path}")

    def _on_done(self, job_id: int, outcome: str) -> None:
        self.explorer.job_done(job_id)
        if not self.queue_view.count():
            self.state.set_busy(False)
        if outcome == "cancelled":
            self._say("Cancelled.")

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.save_layout()
        self.worker.clear_queue()
        self.worker.cancel_current()
        self.worker.library.empty_trash()
        gc.unfreeze()  # collections may walk everything again (studio.app.keep_long_lived_objects_out_of_collections)
        super().closeEvent(event)

