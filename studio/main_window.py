"""The main window: panels wired to the view-models (the state and the job model) and to the one engine worker."""
from __future__ import annotations

import gc
import json
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QByteArray, QSettings, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from engine import ImageVariation, TextToImage, UserError
from engine.record import read_png
from engine.sources import load_image_with_notes

from .explore import Explorer
from .jobs import JobModel
from .live import LivePreview, SettingsLive
from .menus import build_menus
from .panels.prompt import saved_history
from .progress import JobProgress
from .results import Results
from .state import ModelStatus, Result, StudioState
from .theme import app_icon
from .window_layout import OPEN_FOLDER, build
from .worker import EngineWorker

WARN_SECONDS = 20  # how long the status bar shows that a prompt has none of the model's words


class MainWindow(QMainWindow):
    """Prompt, sources and settings on the left; the canvas, exploration and progress in the middle; the gallery
    and the mixing pad on the right (studio.window_layout)."""

    OPEN_FOLDER = OPEN_FOLDER

    def __init__(self, worker: EngineWorker, state: StudioState, jobs: JobModel, model: str,
                 settings: QSettings) -> None:
        super().__init__()
        self.worker, self.state, self.jobs, self.store = worker, state, jobs, settings
        self.setWindowTitle("unCLIP Studio")
        self.setWindowIcon(app_icon())
        self.ask_restore = self._ask_restore  # replaceable in tests: path → 'restore' | 'vary' | 'cancel'
        self.warned: set[str] = set()  # prompts already warned about (none of the model's words)
        build(self)
        self._wire()
        build_menus(self)
        self._restore_layout()
        self.results.load()
        self.results.restore_last(str(self.store.value("canvas/last", "") or ""))
        self.load_model(model)  # after the wiring: the worker's answer has someone to hear it

    def _wire(self) -> None:
        w, s, jobs = self.worker, self.state, self.jobs
        w.message.connect(s.receive)  # the model's news
        w.message.connect(jobs.receive)  # the jobs' news: queued from the engine thread, direct from this one
        self.results = Results(w.library, s, self.canvas, self)
        self.progress = JobProgress(jobs, s, self.canvas, self.progress_bar, self.status_bar, self.settings.note_time,
                                    self)
        self.live = LivePreview(w, jobs, s, self.canvas, self)
        self.settings_live = SettingsLive(self.live, self.settings, w, self)
        self.explorer = Explorer(self.explore, jobs, w, s, w.library.folder / ".frames",
                                 lambda: (self.settings.seed.value(), self.settings.settings()),
                                 lambda: self.prompt.prompt, self.live, self)
        for source in (self.results, self.progress, self.explorer, self.live):
            source.said.connect(self._say)
        self.progress.result_made.connect(self.results.show)
        self.progress.batch_made.connect(self.results.show_batch)
        self.explorer.shown.connect(self.canvas.show_pixels)
        self.explorer.previewed.connect(self.canvas.show_preview)
        self.explorer.keep.connect(self.results.keep)
        s.focus_changed.connect(lambda r: r is not None and self.settings.seed_row.show_seed(r.seed))
        s.focus_changed.connect(self.gallery.select)
        s.shown_changed.connect(self.gallery.scroll_to)
        self.queue_view.bind(jobs)
        s.model_changed.connect(self._on_model)
        jobs.busy_changed.connect(self.prompt.cancel_button.setEnabled)
        s.result_added.connect(self.gallery.add)
        s.result_removed.connect(self.gallery.remove)
        s.result_changed.connect(self.gallery.refresh)
        self.gallery.result_selected.connect(self.results.show)
        self.gallery.action.connect(self.act)
        # the worker's thread is busy sampling: queue edits are direct, thread-safe calls, never queued slots
        self.queue_view.remove_requested.connect(lambda job_id: w.remove(job_id))
        self.queue_view.front_requested.connect(lambda job_id: w.move_to_front(job_id))
        self.prompt.generate_requested.connect(self.generate)
        self.prompt.cancel_requested.connect(self.cancel)
        self.sources.image_dropped.connect(self.drop)
        self.sources.image_pasted.connect(lambda pixels: self.vary_image(Image.fromarray(pixels), "pasted image"))
        self.model_combo.activated.connect(self._on_model_combo)

    # --- persistence ----------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry, split = self.store.value("window/geometry"), self.store.value("window/split")
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
        self.store.setValue("window/split", self.splitter.saveState())
        self.store.setValue("prompt/text", self.prompt.prompt)
        focus = self.state.focus or (self.state.shown[0] if self.state.shown else None)
        self.store.setValue("canvas/last", focus.path if focus is not None else "")
        for key, value in self.settings.values().items():
            self.store.setValue(f"settings/{key}", value)
        self.store.sync()

    # --- actions --------------------------------------------------------------------------------
    def load_model(self, spec: str, device: str = "", dtype: str = "") -> None:
        """Load a bundle in the background; the current one stays usable meanwhile."""
        if self.model_combo.findText(spec) < 0:
            self.model_combo.insertItem(self.model_combo.count() - 1, spec)
        self.model_combo.setCurrentText(spec)
        self.state.start_loading(spec)
        self.progress_bar.setRange(0, 0)  # busy until the worker answers
        self.worker.ask_load(spec, device, dtype)

    def set_engine(self, device: str = "", dtype: str = "") -> None:
        """Reload the current model on another device or in another precision."""
        model = self.state.model
        if device or model is not None:
            self.store.setValue("engine/device", device or model.device)
        if dtype or model is not None:
            self.store.setValue("engine/dtype", dtype or model.dtype)
        self.load_model(self.state.model_spec or self.state.loading, device, dtype)

    def generate(self) -> None:
        """Queue a text → image job from the prompt and settings."""
        try:
            request = TextToImage(self.prompt.prompt, self.settings.take_seeds(), self.settings.settings())
        except UserError as err:
            return self._say(f"⚠ {err}")
        self.prompt.remember(request.prompt)
        self.store.setValue("prompt/history", json.dumps(self.prompt.history))
        self._submit(request, f"“{request.prompt[:40]}” seeds {request.seeds[0]}…")
        self.warn_unknown(request.prompt)

    def warn_unknown(self, prompt: str) -> None:
        """Say once, in the status bar, when a prompt has none of the model's words (the job goes on)."""
        vocabulary = self.state.vocabulary
        if vocabulary is None or prompt in self.warned:
            return
        known, unknown = vocabulary.known(prompt)
        if not known:
            self.warned.add(prompt)
            self.status_bar.showMessage(f"⚠ This model knows none of these words ({', '.join(unknown) or 'none'}): "
                                        f"it draws only what it was trained on — hover the prompt to see its words",
                                        WARN_SECONDS * 1000)

    def drop(self, path: str) -> None:
        """A dropped or opened file: a studio PNG may restore its settings, anything else is varied."""
        try:
            meta = read_png(path) if path.lower().endswith(".png") else None
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
        try:
            self.settings.apply(meta)
        except UserError as err:
            return self._say(f"⚠ {err}")
        if meta.get("kind") == "text2image":
            self.prompt.edit.setPlainText(str(meta.get("prompt", "")))
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
            self.results.compare(result)
        elif key == "restore":
            self.restore(result.metadata)
        elif key == "favourite":
            self.results.favourite(result)
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
                self.results.export(result, target)
        elif key == "delete":
            self.results.delete(result)
        elif key in ("use_a", "use_b", "use_c", "use_d"):
            self.explorer.set_source(key[-1], result.path)

    def _selected(self, key: str) -> None:
        result = self.gallery.selected()
        if result is None:
            return self._say("Select an image in the gallery first.")
        self.act(key, result)

    def _submit(self, request, label: str) -> None:
        if self.state.model is None and self.state.model_status not in (ModelStatus.READY, ModelStatus.LOADING):
            return self._say("⚠ No model is loaded: choose a model folder first.")
        self.worker.submit(request, label)
        self.settings_live.remember(request, label)
        if self.state.model is None:
            self._say("Queued: it starts as soon as the model has loaded.")

    def _ask_restore(self, path: str) -> str:
        box = QMessageBox(QMessageBox.Icon.Question, "Image made by unCLIP Studio",
                          f"{Path(path).name} carries the settings that made it.", parent=self)
        restore = box.addButton("Restore its settings", QMessageBox.ButtonRole.AcceptRole)
        vary = box.addButton("Make variations", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return "restore" if box.clickedButton() is restore else "vary" if box.clickedButton() is vary else "cancel"

    # --- reactions ------------------------------------------------------------------------------
    def _on_model(self, status: ModelStatus, message: str) -> None:
        model = self.state.model
        self.prompt.generate_button.setEnabled(status in (ModelStatus.READY, ModelStatus.LOADING) or model is not None)
        if status is not ModelStatus.LOADING:
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)
        if status is ModelStatus.READY:
            self.settings.set_model(model.config)
            self.prompt.edit.set_vocabulary(self.state.vocabulary)
            self.status_bar.set_engine(model.device, model.dtype, message)
            self._say(f"Model ready: {message}")
            if not self.state.shown:
                self.canvas.show_message("Type a prompt and press Ctrl+Enter,\nor drop an image for variations.")
        elif status is ModelStatus.LOADING:
            self._say(message)
        elif model is not None:
            self.model_combo.setCurrentText(model.spec)
            self._say(f"⚠ Could not load that model, keeping {model.spec}: {message}")
        else:
            self._say(f"No model: {message}")
            self.canvas.show_message("No model loaded.\nChoose “Open model folder…” in the model list.")

    def _on_model_combo(self, index: int) -> None:
        if self.model_combo.itemText(index) == OPEN_FOLDER:
            folder = QFileDialog.getExistingDirectory(self, "Open model folder")
            if folder:
                self.load_model(folder)
            else:
                self.model_combo.setCurrentText(self.state.model_spec)
            return
        self.load_model(self.model_combo.itemText(index))

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setToolTip(text)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.save_layout()
        self.worker.clear_queue()
        self.worker.cancel_current()
        self.worker.library.empty_trash()
        gc.unfreeze()  # collections may walk everything again (studio.app.keep_long_lived_objects_out_of_collections)
        super().closeEvent(event)

