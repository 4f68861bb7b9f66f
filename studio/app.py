"""Application entry: `create_main_window` wires worker, state and panels; `main` runs the studio."""
from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

import shiboken6
import torch
from PySide6.QtCore import QSettings, QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

from engine.cpu import default_dtype

from .jobs import JobModel
from .main_window import MainWindow
from .state import ModelStatus, StudioState
from .theme import app_icon, apply_dark_theme
from .worker import start_worker


def library_dir() -> Path:
    """Where finished images are kept: $UNCLIP_STUDIO_LIBRARY, else the user's data folder."""
    env = os.environ.get("UNCLIP_STUDIO_LIBRARY")
    base = Path(env) if env else Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation) or Path.home() / ".unclip-studio") / "library"
    base.mkdir(parents=True, exist_ok=True)
    return base


def engine_choice(device: str, store: QSettings) -> tuple[str, torch.dtype]:
    """An explicit device wins; 'auto' takes the one chosen in the Engine menu last time if it still exists."""
    if device == "auto":
        saved = str(store.value("engine/device", "") or "")
        device = saved if saved == "cpu" or (saved == "cuda" and torch.cuda.is_available()) else \
            ("cuda" if torch.cuda.is_available() else "cpu")
        name = str(store.value("engine/dtype", "") or "")
        if name in ("float32", "float16", "bfloat16"):
            return device, getattr(torch, name)
    return device, default_dtype(device)


def collect_garbage_on_the_gui_thread(window) -> None:
    """Python's cyclic collector runs in whichever thread happens to allocate, and finalising a Qt object off
    the GUI thread crashes; so automatic collection is switched off and the GUI thread collects, generation
    by generation, ten times a second (the pattern of pyqtgraph's GarbageCollector)."""
    gc.disable()
    thresholds = gc.get_threshold()

    def check() -> None:
        counts = gc.get_count()
        loading = window.state.model_status is ModelStatus.LOADING  # the old walk would cover the new model's objects:
        for generation in (1, 0) if loading else (2, 1, 0):  # wait until they are frozen
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return

    window.gc_timer = QTimer(window, interval=100, timeout=check)
    window.gc_timer.start()
    keep_long_lived_objects_out_of_collections(window)


def keep_long_lived_objects_out_of_collections(window) -> None:
    """A full collection walks every tracked object, about 440,000 with torch, Qt and a model loaded: 312 ms of
    the GUI thread. What start-up made and each loaded model are frozen (`gc.freeze`) so that collections skip
    them; a model replaced later is freed by reference counting (this project's models hold no cycles), and after
    a switch one full collection runs first in case one did. Closing the window unfreezes everything."""
    gc.freeze()
    loaded = []

    def on_model(status: ModelStatus, _message: str) -> None:
        if status is not ModelStatus.READY:
            return
        if loaded:
            gc.collect()  # once per model switch, while the busy bar shows: whatever of the old model had cycles
        loaded.append(True)
        gc.freeze()

    window.state.model_changed.connect(on_model)


SWITCH_INTERVAL = 0.0005  # s: how long the GUI thread waits before the engine thread must hand over the interpreter


def keep_the_gui_thread_first() -> None:
    """Python lets one thread run at a time; a thread that wants to run waits up to the switch interval (5 ms by
    default) each time before the running one must yield, and every Qt call back into Python (a paint, a timer, a
    slot) is such a wait while the engine thread runs Python (loading a model builds modules and a tokenizer). At
    0.5 ms those waits stay short; the engine thread spends its time in torch, which lets go of the interpreter, so
    this costs it nothing measurable (bench/studio_start.py measures the GUI thread while the default loads)."""
    sys.setswitchinterval(SWITCH_INTERVAL)


def create_main_window(model: str = "default", device: str = "auto", library: Path | None = None,
                       settings: QSettings | None = None) -> MainWindow:
    """The ready main window: engine worker on its thread, state and panels wired, model loading.

    `settings` defaults to the user's QSettings; tests pass an INI file of their own.
    """
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("create a QApplication before the main window")
    if app.property("unclip_themed") is None:
        apply_dark_theme(app)
        app.setWindowIcon(app_icon())
        app.setProperty("unclip_themed", True)
    store = settings if settings is not None else QSettings("unCLIP Studio", "unCLIP Studio")
    keep_the_gui_thread_first()
    device, dtype = engine_choice(device, store)
    worker, thread = start_worker(library or library_dir(), device, dtype)
    window = MainWindow(worker, StudioState(), JobModel(), model, store)
    collect_garbage_on_the_gui_thread(window)
    window.engine_thread = thread

    def stop() -> None:
        if not shiboken6.isValid(thread):  # quitting, then the window's end: by then the thread may be gone
            return
        worker.clear_queue()
        worker.cancel_current()
        thread.quit()
        thread.wait(10_000)

    window.destroyed.connect(stop)
    QApplication.instance().aboutToQuit.connect(stop)
    return window


def main(argv: list[str] | None = None) -> int:
    """Open the studio window."""
    parser = argparse.ArgumentParser(prog="unclip-studio", description="unCLIP Studio")
    parser.add_argument("--model", default="default", help="default | FOLDER")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("unCLIP Studio")
    app.setOrganizationName("unCLIP Studio")
    window = create_main_window(args.model, args.device)
    window.show()
    return app.exec()
