"""Opening and closing the real window in tests, and generating through it."""
from PySide6.QtCore import QSettings

from studio.app import create_main_window
from studio.messages import Kind

MODEL_NEWS = (Kind.MODEL_LOADED, Kind.MODEL_FAILED)


def open_window(qtbot, model, tmp_path):
    settings = QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    w = create_main_window(model, device="cpu", library=tmp_path / "library", settings=settings)
    qtbot.addWidget(w)
    return w


def open_ready(qtbot, model, tmp_path, timeout=30_000):
    """The window on `model`, shown, once its model is ready."""
    w = open_window(qtbot, model, tmp_path)
    w.show()
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=timeout)
    return w


def close_window(w):
    w.close()
    w.worker.cancel_current()
    w.engine_thread.quit()
    w.engine_thread.wait(10_000)


def generate_one(window, qtbot, prompt="a red circle", seed=7, count=1):
    before = window.gallery.count()
    window.prompt.edit.setPlainText(prompt)
    window.settings.seed_lock.setChecked(True)
    window.settings.seed.setValue(seed)
    window.settings.count.setValue(count)
    window.generate()
    qtbot.waitUntil(lambda: window.gallery.count() == before + count, timeout=60_000)


def record(window):
    """Every message about jobs the job model takes in, in order. The model's own news is left out: its queued copy
    for the job model may still be on its way when the state's copy has said the model is ready."""
    seen = []
    window.jobs.changed.connect(lambda job, message: message.kind not in MODEL_NEWS and seen.append(message))
    return seen
