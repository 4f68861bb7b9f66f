"""One start of the real window on the default, in a fresh process as a user's start is: the GUI thread's 10 ms
timer from the window's first paint until the model is ready. Prints JSON: the longest gap beyond the period (ms),
the ticks, and every thread's stack when a gap first passed the bound (faulthandler's watchdog, which runs
without Python's lock).

    QT_QPA_PLATFORM=offscreen python -m tests.studio.start_probe TMPDIR BOUND_MS
"""
import faulthandler
import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

PERIOD = 10  # ms: the heartbeat timer's interval


def measure(tmp: Path, bound: float) -> dict:
    from studio.app import create_main_window
    app = QApplication.instance() or QApplication([])
    w = create_main_window("default", device="cpu", library=tmp / "library",
                           settings=QSettings(str(tmp / "studio.ini"), QSettings.Format.IniFormat))
    ticks: list[float] = []
    stacks = (tmp / "stacks.txt").open("w+")

    def tick() -> None:
        ticks.append(time.perf_counter())
        faulthandler.dump_traceback_later((PERIOD + bound) / 1000, file=stacks)  # re-armed each tick

    timer = QTimer(interval=PERIOD, timeout=tick)
    ready: list[float] = []
    w.state.model_changed.connect(lambda status, _m: status == "ready" and ready.append(time.perf_counter()))
    w.show()
    QTimer.singleShot(0, timer.start)  # from the first turn of the event loop, which paints the window
    QTimer.singleShot(120_000, app.quit)
    done = QTimer(interval=5, timeout=lambda: ready and time.perf_counter() > ready[0] + 2 * PERIOD / 1000
                  and app.quit())
    done.start()
    app.exec()
    timer.stop()
    faulthandler.cancel_dump_traceback_later()
    w.close()
    stacks.seek(0)
    gaps = [1000 * (b - a) - PERIOD for a, b in zip(ticks, ticks[1:])]
    return {"ready": bool(ready), "held_ms": max(gaps, default=0.0), "ticks": len(ticks), "stacks": stacks.read()}


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]), float(sys.argv[2]))))
