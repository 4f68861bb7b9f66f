"""The studio as an artist feels it, on this machine's CPU with the embedded default.

    QT_QPA_PLATFORM=offscreen python bench/cpu_studio.py [--json] [--frames 5]

Measured in one run, through the real window and its engine thread:
- first_preview_ms: Generate pressed → first step preview painted on the canvas;
- t2i_256_s: Generate pressed → the 256 px image saved and shown;
- scrub_frame_ms: interpolation slider moved → nearest cached frame on the canvas (median and max of
  200 random positions, strip fully rendered);
- max_gui_stall_ms: the longest gap of a 5 ms GUI-thread timer beyond its period while jobs ran;
- preview_overhead: engine time with step previews / without (same request, same seed);
- full_collection_ms: one full cyclic garbage collection on the GUI thread with the studio's long-lived objects
  frozen; full_collection_unfrozen_ms: the same with none frozen (a collection the GUI thread could otherwise run).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/report.py

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine import Finished, Settings, TextToImage, serve  # noqa: E402
from report import print_result  # noqa: E402

PROMPT = "a large red circle on a blue background"


class StallMeter:
    """A 5 ms timer on the GUI thread; a late tick means the GUI thread was busy."""

    def __init__(self) -> None:
        self.worst, self.last = 0.0, None
        self.timer = QTimer(interval=5, timeout=self.tick)

    def tick(self) -> None:
        now = time.perf_counter()
        if self.last is not None:
            self.worst = max(self.worst, (now - self.last) * 1000 - 5)
        self.last = now


def wait(app: QApplication, condition, timeout: float = 600) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the studio did not answer in time")
        app.processEvents()
        time.sleep(0.001)


def engine_preview_overhead(model) -> float:
    """Best-of-2 engine time with previews divided by without."""
    times = {}
    for previews in (True, False, True, False):
        start = time.perf_counter()
        assert isinstance(serve(model, TextToImage(PROMPT, (3,), Settings(size=64)), previews=previews), Finished)
        times[previews] = min(times.get(previews, 1e9), time.perf_counter() - start)
    return times[True] / times[False]


def full_collections_ms() -> tuple[float, float]:
    """One full cyclic collection on the GUI thread as the studio leaves the heap (long-lived objects frozen), then
    the same with everything unfrozen (as before the studio froze them), then frozen again."""
    import gc
    times = []
    for unfreeze in (False, True):
        if unfreeze:
            gc.unfreeze()
        t0 = time.perf_counter()
        gc.collect()
        times.append(round(1000 * (time.perf_counter() - t0), 1))
    gc.freeze()
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--frames", type=int, default=5)
    args = parser.parse_args()
    from engine.cpu import keep_freed_memory
    keep_freed_memory()  # as main.py does for the studio
    app = QApplication.instance() or QApplication([])
    from studio.app import create_main_window
    tmp = Path(tempfile.mkdtemp())
    w = create_main_window("default", "cpu", tmp / "library", QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat))
    w.show()
    wait(app, lambda: w.state.model_status == "ready")
    meter = StallMeter()
    meter.timer.start()
    w.prompt.edit.setPlainText(PROMPT)
    w.settings.seed_lock.setChecked(True)
    w.settings.seed.setValue(3)
    first, show = {}, w.canvas.show_preview

    def spy(pixels, caption: str) -> None:  # the canvas paints a step preview: the artist sees it
        first.setdefault("t", time.perf_counter())
        show(pixels, caption)

    w.canvas.show_preview = spy
    start = time.perf_counter()
    w.generate()
    wait(app, lambda: "t" in first)
    first_preview = (first["t"] - start) * 1000
    wait(app, lambda: w.gallery.count() == 1)
    t2i = time.perf_counter() - start

    w.explorer.set_source("a", "text:" + PROMPT)
    w.explorer.set_source("b", "text:a small yellow star on a green background")
    w.explore.frames.setValue(args.frames)
    w.explore.render_requested.emit()
    wait(app, lambda: len(w.explorer.strip.done) == args.frames)
    meter.timer.stop()
    rng, scrubs = random.Random(0), []
    for _ in range(200):
        value = rng.randint(0, 1000)
        t0 = time.perf_counter()
        w.explore.slider.setValue(value)
        scrubs.append((time.perf_counter() - t0) * 1000)
    scrubs.sort()
    collection = full_collections_ms()
    result = {
        "first_preview_ms": round(first_preview, 1), "t2i_256_s": round(t2i, 2),
        "scrub_frame_ms": round(scrubs[len(scrubs) // 2], 2), "scrub_frame_max_ms": round(scrubs[-1], 2),
        "max_gui_stall_ms": round(meter.worst, 1),
        "preview_overhead": round(engine_preview_overhead(w.worker.model), 3),
        "full_collection_ms": collection[0], "full_collection_unfrozen_ms": collection[1],
    }
    w.close()
    print_result(result, args.json)


if __name__ == "__main__":
    main()
