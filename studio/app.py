"""Application entry: `create_main_window` wires worker, state and panels; `main` runs the studio."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QApplication

from .main_window import MainWindow
from .state import StudioState
from .worker import start_worker


def library_dir() -> Path:
    """Where finished images are kept: $UNCLIP_STUDIO_LIBRARY, else the user's data folder."""
    env = os.environ.get("UNCLIP_STUDIO_LIBRARY")
    base = Path(env) if env else Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation) or Path.home() / ".unclip-studio") / "library"
    base.mkdir(parents=True, exist_ok=True)
    return base


def create_main_window(model: str = "default", device: str = "auto", library: Path | None = None) -> MainWindow:
    """The ready main window: engine worker on its thread, state and panels wired, model loading."""
    if QApplication.instance() is None:
        raise RuntimeError("create a QApplication before the main window")
    device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    dtype = torch.float16 if device == "cuda" else torch.float32
    worker, thread = start_worker(library or library_dir(), device, dtype)
    window = MainWindow(worker, StudioState(), model)
    window.engine_thread = thread

    def stop() -> None:
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
