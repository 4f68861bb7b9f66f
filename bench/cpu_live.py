"""Live interaction on this machine's CPU: the mixing pad dragged through the real window (offscreen).

    QT_QPA_PLATFORM=offscreen python bench/cpu_live.py [--json] [--model default] [--seconds 5] [--interval 16]

The window opens on `--model` (a bundle with a live decoder: its folder has live_decoder/), puts three text sources
on the pad's corners, warms up (the first live image needs the sources' embeddings; the full mix the first rest
starts is let finish), then drags the pad's point in a circle with a synthetic mouse move every `--interval` ms for
`--seconds` s, and lets go. Measured while dragging:
- live_frame_ms: median and p95 of hand move → the live image of that move painted on the canvas (for each live
  image painted: from the move it answers);
- live_fps: live images painted per second;
- max_gui_stall_ms: the longest gap of a 10 ms GUI-thread timer beyond its period (as bench/studio_start.py);
- live_engine_ms: median engine time of one live preview (the worker's own clock), moves and frames counted.
Then, engine only, in the same run: t2i_256_s_ratio, the 256 px text→image time with the bundle's sampling defaults
over the time with the defaults it had before defaults.json (DDPM, 25 prior, 25 decoder and 7 upsampler steps),
each the median of 3 after a warm-up (bench/cpu_steps.py's timing); and with `--steps-json` (the JSON of
`bench/cpu_steps.py --json` run with those two configs), eval_delta_points: the worst eval row's drop, in
percentage points, of the config that equals the bundle's defaults.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/cpu_steps.py, bench/report.py

from PySide6.QtCore import QEvent, QObject, QPointF, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from report import print_result  # noqa: E402

SOURCES = ("a large red circle on a blue background", "a small yellow star on a green background",
           "a purple square on a white background")
PERIOD = 10  # ms: the stall meter's timer


def wait(app: QApplication, condition, timeout: float = 600) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise SystemExit("the studio did not answer in time")
        app.processEvents()
        time.sleep(0.001)


def mouse(pad, kind: QEvent.Type, x: float, y: float) -> None:
    """A mouse event at unit point (x, y) of the pad, as the hand makes it (button held but on release)."""
    r = pad._area()
    pos = QPointF(r.left() + x * r.width(), r.top() + y * r.height())
    held = Qt.MouseButton.NoButton if kind is QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
    QApplication.sendEvent(pad, QMouseEvent(kind, pos, pad.mapToGlobal(pos), Qt.MouseButton.LeftButton, held,
                                            Qt.KeyboardModifier.NoModifier))


class Paints(QObject):
    """Times the canvas's paints: the first paint after a live image was shown is when the artist sees it."""

    def __init__(self, window) -> None:
        super().__init__()
        self.waiting: int | None = None  # the live ask shown and not yet painted
        self.painted: dict[int, float] = {}
        window.live.shown.connect(self.shown)
        window.canvas.installEventFilter(self)

    def shown(self, ask: int) -> None:
        self.waiting = ask

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Paint and self.waiting is not None:
            self.painted[self.waiting] = time.perf_counter()
            self.waiting = None
        return False


def open_window(app: QApplication, model: str):
    from studio.app import create_main_window
    tmp = Path(tempfile.mkdtemp())
    w = create_main_window(model, "cpu", tmp / "library", QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat))
    w.show()
    wait(app, lambda: w.state.model_status != "loading")
    if w.state.model_status != "ready":
        close(w)
        raise SystemExit(f"could not load {model!r}: {w.state.model_message}")
    if not w.state.model.live:
        close(w)
        raise SystemExit(f"{model!r} has no live decoder (its bundle folder has no live_decoder/): nothing to "
                         f"measure; pass --model FOLDER of a bundle with one")
    return w


def close(w) -> None:
    """Close the window (its queue emptied, a running job cancelled) and stop its engine thread."""
    w.close()
    w.engine_thread.quit()
    w.engine_thread.wait(60_000)


def warm_up(app: QApplication, w) -> None:
    """Sources on the corners, the first live image, and the full mix the rest starts, let finish."""
    for key, text in zip("abc", SOURCES):
        w.explorer.set_source(key, "text:" + text)
    mouse(w.explore.pad, QEvent.Type.MouseButtonPress, 0.5, 0.2)
    wait(app, lambda: w.live.shown_id > 0)
    wait(app, lambda: w.explorer.mix_job is not None)
    wait(app, lambda: w.explorer.mix_job is None and not w.jobs.busy)


def drag(app: QApplication, w, seconds: float, interval: int) -> tuple[dict[int, float], list[float], float]:
    """The point moves in a circle every `interval` ms for `seconds` s: each move's live ask and time, the stall
    meter's ticks, and how long the drag took."""
    asked: dict[int, float] = {}
    ticks: list[float] = []
    start = time.perf_counter()

    def move() -> None:
        t = time.perf_counter() - start
        mouse(w.explore.pad, QEvent.Type.MouseMove, 0.5 + 0.3 * math.sin(t * 2.1), 0.5 + 0.3 * math.cos(t * 1.3))
        asked.setdefault(w.live.last_id, time.perf_counter())

    mover = QTimer(interval=interval, timeout=move)
    meter = QTimer(interval=PERIOD, timeout=lambda: ticks.append(time.perf_counter()))
    mover.setTimerType(Qt.TimerType.PreciseTimer)
    meter.setTimerType(Qt.TimerType.PreciseTimer)
    mover.start()
    meter.start()
    wait(app, lambda: time.perf_counter() - start >= seconds)
    mover.stop()
    meter.stop()
    return asked, ticks, time.perf_counter() - start


def measure(args) -> dict:
    from engine.cpu import keep_freed_memory
    keep_freed_memory()  # as main.py does for the studio
    app = QApplication.instance() or QApplication([])
    w = open_window(app, args.model)
    warm_up(app, w)
    paints, engine_ms = Paints(w), []
    w.jobs.changed.connect(lambda job, m: m.kind.value == "live" and engine_ms.append(1000 * m.payload.seconds))
    asked, ticks, took = drag(app, w, args.seconds, args.interval)
    mouse(w.explore.pad, QEvent.Type.MouseButtonRelease, 0.5, 0.5)
    latencies = sorted(1000 * (t - asked[i]) for i, t in paints.painted.items() if i in asked)
    gaps = [1000 * (b - a) - PERIOD for a, b in zip(ticks, ticks[1:])]
    close(w)  # the full mix letting go asked for: taken out of the queue, or cancelled
    if not latencies:
        raise SystemExit("no live image was painted while dragging")
    return {"model": w.state.model.name, "live_frame_ms": round(statistics.median(latencies), 1),
            "live_frame_p95_ms": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1),
            "live_fps": round(len(latencies) / took, 1), "max_gui_stall_ms": round(max(gaps, default=0.0), 1),
            "live_engine_ms": round(statistics.median(engine_ms), 1) if engine_ms else None,
            "moves": len(asked), "live_frames": len(latencies), "drag_s": round(took, 2)}


def defaults_ratio(args) -> dict:
    """The bundle's default 256 px text→image time over the old defaults', engine only, in one process."""
    from cpu_steps import OLD_DEFAULTS, parse, seconds_256

    from engine import Settings, load_bundle, resolve_settings
    from engine.cpu import dtype_named
    model = load_bundle(args.model, "cpu", dtype_named("auto", "cpu"))
    old, new = seconds_256(model, parse(OLD_DEFAULTS), 3), seconds_256(model, Settings(), 3)
    s = resolve_settings(model, Settings(size=256))
    steps = f"{s.sampler}:{s.prior_steps},{s.decoder_steps},{model.config.upsamplers[0].steps}"
    out = {"defaults": steps, "t2i_256_s_old": round(old, 3), "t2i_256_s_new": round(new, 3),
           "t2i_256_s_ratio": round(new / old, 3)}
    if args.steps_json:
        configs = json.loads(Path(args.steps_json).read_text())["configs"]
        if steps in configs:
            out["eval_delta_points"] = round(configs[steps]["worst_delta_points"], 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--model", default="default", help="default | a bundle FOLDER with a live decoder")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long the drag lasts")
    parser.add_argument("--interval", type=int, default=16, help="ms between synthetic mouse moves")
    parser.add_argument("--steps-json", help="a bench/cpu_steps.py --json result holding the bundle's defaults")
    args = parser.parse_args()
    result = measure(args)
    result.update(defaults_ratio(args))
    print_result(result, args.json)


if __name__ == "__main__":
    main()
