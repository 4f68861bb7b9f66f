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


def v_config():
    """The tiny bundle with a v-predicting decoder (the embedded default's kind; one-step x0 is well-conditioned),
    no upsamplers (as tests/engine/test_live.py's)."""
    from dataclasses import replace

    from engine.diffusion.schedule import DiffusionConfig
    from engine.tiny import tiny_config
    c = tiny_config(upsampler_sizes=())
    return replace(c, decoder=replace(c.decoder, network=replace(c.decoder.network, out_channels=3),
                                      diffusion=DiffusionConfig(prediction="v_prediction", variance="fixed_small_log")))


def save_live_bundle(folder):
    """A tiny bundle with a live decoder whose guidance input matters, saved to `folder`."""
    from dataclasses import replace

    import torch

    from engine import UnCLIP, save_bundle
    from engine.training.live import live_config_of
    base = UnCLIP.random(v_config(), 0)
    model = UnCLIP.random(replace(base.config, live=live_config_of(base)), 0)
    with torch.no_grad():
        model.live.guidance.mlp[2].weight.normal_(0, 0.5)
    return save_bundle(model, folder)
