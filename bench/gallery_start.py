"""Opening the studio on a large library: how long until the window is usable, and how long the GUI thread is held.

    QT_QPA_PLATFORM=offscreen python bench/gallery_start.py [--images 500] [--json]

A temporary library of `--images` 256 px PNGs (the world's renders, saved by the engine's library with full
metadata), then, in one process, the real window opened on it twice: with the gallery's thumbnail budget as shipped
(decoded a few per event-loop turn) and with an unlimited budget (every thumbnail decoded in one go, as the gallery
did before). No model is loaded (a missing folder), so that only the gallery is measured. Per run: open_ms,
create_main_window until it returns; thumbnails_ms, until every thumbnail is drawn; max_gui_stall_ms, the longest
lateness of a 5 ms GUI-thread timer from the window's return until the thumbnails are done.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import studio.panels.gallery as gallery  # noqa: E402
from engine import Settings  # noqa: E402
from engine.library import Library  # noqa: E402
from engine.record import ENGINE_VERSION  # noqa: E402
from engine.training.world import caption, render, sample_scene  # noqa: E402
from studio.app import create_main_window  # noqa: E402


def fill(folder: Path, n: int) -> None:
    """n world renders at 256 px, saved as the studio saves its results."""
    library, rng = Library(folder), np.random.default_rng(0)
    for i in range(n):
        scene = sample_scene(rng)
        library.save(render(scene, 256), {
            "kind": "text2image", "prompt": caption(scene, rng), "seed": i, "index": 0,
            "settings": dataclasses.asdict(Settings()), "size": [256, 256], "upsampler_steps": [7],
            "model": {"id": "default", "name": "bench", "hash": "0" * 12}, "device": "cpu", "dtype": "float32",
            "engine_version": ENGINE_VERSION})


def open_once(app: QApplication, tmp: Path, budget: float) -> dict:
    """One start of the window on the library with this thumbnail budget (s per event-loop turn)."""
    gallery.THUMBNAIL_BUDGET = budget
    settings = QSettings(str(tmp / f"studio-{budget}.ini"), QSettings.Format.IniFormat)
    start = time.perf_counter()
    w = create_main_window(str(tmp / "no model"), device="cpu", library=tmp / "library", settings=settings)
    w.show()
    open_ms = 1000 * (time.perf_counter() - start)
    last, stall = [time.perf_counter()], [0.0]

    def tick() -> None:
        now = time.perf_counter()
        stall[0] = max(stall[0], now - last[0] - 0.005)
        last[0] = now

    timer = QTimer(interval=5, timeout=tick)
    timer.start()
    while not w.gallery.thumbnails_done():
        app.processEvents()
    thumbnails_ms = 1000 * (time.perf_counter() - start)
    settle = time.perf_counter() + 0.05  # the timer's first tick after the last decode counts that turn's lateness
    while time.perf_counter() < settle:
        app.processEvents()
    timer.stop()
    out = {"images": w.gallery.count(), "open_ms": round(open_ms, 1), "thumbnails_ms": round(thumbnails_ms, 1),
           "max_gui_stall_ms": round(1000 * stall[0], 1)}
    w.close()
    w.engine_thread.quit()
    w.engine_thread.wait(10_000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="unclip-gallery-"))
    t = time.perf_counter()
    fill(tmp / "library", args.images)
    print(f"library of {args.images} written in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    shipped = gallery.THUMBNAIL_BUDGET
    runs = {"shipped": open_once(app, tmp, shipped), "all_at_once": open_once(app, tmp, float("inf"))}
    if args.json:
        print(json.dumps(runs))
        return
    print(f"{args.images} images | open_ms | thumbnails_ms | max_gui_stall_ms")
    for name, r in runs.items():
        print(f"{name} | {r['open_ms']} | {r['thumbnails_ms']} | {r['max_gui_stall_ms']}")


if __name__ == "__main__":
    main()
