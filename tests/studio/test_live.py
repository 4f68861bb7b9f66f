"""Live interaction: the pad, the interpolation slider over frames not rendered, the variation amount and the
guidance sliders answer the hand with the live decoder's images; only the newest position is rendered, nothing live
enters the queue, and the full render replaces the live image when the hand rests or lets go."""
import threading

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QSlider

from engine import EmbeddingToImage
from studio.live import REST_MS
from studio.messages import Kind, LiveAsk
from tests.studio.helpers import close_window, generate_one, open_ready, save_live_bundle

WAIT = 60_000


@pytest.fixture(scope="module")
def live_bundle(tmp_path_factory):
    return save_live_bundle(tmp_path_factory.mktemp("live") / "tiny-live")


@pytest.fixture
def live_window(qtbot, live_bundle, tmp_path):
    w = open_ready(qtbot, str(live_bundle), tmp_path)
    w.settings.steps["decoder"].setValue(2)
    w.settings.steps["prior"].setValue(2)
    yield w
    close_window(w)


class Watch:
    """The live images the worker made (id → pixels), the ones shown, and every job the job model heard of."""

    def __init__(self, window) -> None:
        self.made, self.shown, self.jobs = {}, [], set()
        window.jobs.changed.connect(self._message)
        window.live.shown.connect(self.shown.append)

    def _message(self, job, message) -> None:
        if message.kind is Kind.LIVE and message.payload.pixels is not None:
            self.made[message.payload.id] = message.payload.pixels
        elif job is not None:
            self.jobs.add(job.id)

    def latest(self):
        return self.made[self.shown[-1]]


class Gate:
    """Holds the engine thread inside a live ask until opened, so that what the hand asks meanwhile waits."""

    def __init__(self, window, qtbot) -> None:
        self.entered, self.opened = threading.Event(), threading.Event()
        window.worker.ask_live(LiveAsk(-1, "gate", self._make))
        qtbot.waitUntil(self.entered.is_set, timeout=WAIT)

    def _make(self, model, memo):
        self.entered.set()
        self.opened.wait(30)
        return EmbeddingToImage(torch.ones(model.clip.encode_text([""]).embed.shape[-1]), (0,)), None

    def open(self) -> None:
        self.opened.set()


def mouse(widget, kind, x, y) -> None:
    """A mouse event on `widget` at unit point (x, y) of the pad's area, as the hand makes it."""
    r = widget._area()
    pos = QPointF(r.left() + x * r.width(), r.top() + y * r.height())
    button = Qt.MouseButton.LeftButton
    buttons = Qt.MouseButton.NoButton if kind is QEvent.Type.MouseButtonRelease else button
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons,
                                               Qt.KeyboardModifier.NoModifier))


def drag(slider: QSlider, value: int) -> None:
    """The hand drags the slider's handle to `value`."""
    slider.setSliderDown(True)
    slider.setSliderPosition(value)


def wait_live(qtbot, window, watch, tag: str, after: int = 0) -> np.ndarray:
    qtbot.waitUntil(lambda: bool(watch.shown) and watch.shown[-1] > after and window.canvas.live == tag, timeout=WAIT)
    assert window.canvas.caption.startswith("live ") and window.status.text().startswith("Live preview")
    return watch.latest()


def hold(window) -> None:
    """The hand keeps moving: a slow, loaded machine must not look like a hand at rest while a test looks."""
    window.live.timer.setInterval(WAIT)


def rest(window) -> None:
    """The hand rests from now on (an active rest timer starts again with the studio's interval)."""
    window.live.timer.setInterval(REST_MS)


def three_sources(window) -> None:
    for key, text in zip("abc", ("a red circle", "a blue star", "a green ring")):
        window.explorer.set_source(key, "text:" + text)


def test_the_pad_is_live_and_only_the_newest_point_renders(live_window, qtbot):
    w, pad = live_window, live_window.explore.pad
    three_sources(w)
    watch = Watch(w)
    hold(w)
    mouse(pad, QEvent.Type.MouseButtonPress, 0.05, 0.05)
    first = wait_live(qtbot, w, watch, "mix")
    gate = Gate(w, qtbot)  # the engine thread is busy: ten quick moves wait in the one slot
    asked = w.live.last_id
    for i in range(10):
        mouse(pad, QEvent.Type.MouseMove, 0.1 + 0.08 * i, 0.9)
    gate.open()
    second = wait_live(qtbot, w, watch, "mix", after=asked)
    assert [i for i in watch.made if i > asked] == [w.live.last_id], "only the newest point was rendered"
    assert w.queue_view.count() == 0 and not watch.jobs, "nothing live entered the queue"
    assert np.abs(first.astype(int) - second).max() > 0, "the live image follows the hand"
    mouse(pad, QEvent.Type.MouseButtonRelease, 0.82, 0.9)  # letting go starts the full mix at once
    qtbot.waitUntil(lambda: w.canvas.caption.startswith("mix ") and not w.canvas.live, timeout=WAIT)
    assert len(watch.jobs) == 1 and w.gallery.count() == 0


def test_the_pad_renders_in_full_when_the_hand_rests(live_window, qtbot):
    w, pad = live_window, live_window.explore.pad
    three_sources(w)
    watch = Watch(w)
    mouse(pad, QEvent.Type.MouseButtonPress, 0.3, 0.3)
    wait_live(qtbot, w, watch, "mix")
    qtbot.waitUntil(lambda: w.canvas.caption.startswith("mix ") and not w.canvas.live, timeout=WAIT)  # no release
    assert len(watch.jobs) == 1
    mouse(pad, QEvent.Type.MouseButtonRelease, 0.3, 0.3)  # the rest already rendered this point
    qtbot.wait(50)
    assert len(watch.jobs) == 1


def test_the_slider_over_frames_not_rendered_is_live(live_window, qtbot):
    w = live_window
    w.explorer.set_source("a", "text:a red circle")
    w.explorer.set_source("b", "text:a blue star")
    w.explore.frames.setValue(9)
    watch = Watch(w)
    gate = Gate(w, qtbot)
    w.explore.render_requested.emit()  # its frames wait behind the gate; taken out but the ends, to render nothing
    strip = w.explorer.strip
    for job in list(strip.jobs)[1:]:
        assert w.worker.remove(job)
    gate.open()
    qtbot.waitUntil(lambda: sorted(strip.done) == [0, 8] and not w.jobs.busy, timeout=WAIT)
    slider, seen = w.explore.slider, len(watch.jobs)
    hold(w)
    drag(slider, 375)  # frame 4 of 9: not rendered
    first = wait_live(qtbot, w, watch, f"frame:{strip.key}:3")
    assert w.canvas.caption.startswith("live") and "frame 4/9" in w.canvas.caption
    drag(slider, 625)  # frame 6
    second = wait_live(qtbot, w, watch, f"frame:{strip.key}:5", after=watch.shown[-1])
    assert np.abs(first.astype(int) - second).max() > 0
    assert len(watch.jobs) == seen and w.queue_view.count() == 0
    rest(w)
    qtbot.waitUntil(lambda: 5 in strip.done and w.canvas.caption.startswith("frame 6/9"), timeout=WAIT)  # rested
    assert not w.canvas.live and 3 not in strip.done
    slider.setSliderDown(False)


def test_the_amount_slider_is_live_then_renders_its_variations(live_window, qtbot, tmp_path):
    w = live_window
    w.settings.seed_lock.setChecked(True)
    w.vary_image(Image.fromarray(np.tile(np.arange(32, dtype=np.uint8)[:, None, None] * 8, (1, 32, 3))), "src")
    qtbot.waitUntil(lambda: w.gallery.count() == 1, timeout=WAIT)
    watch = Watch(w)
    hold(w)
    slider = w.settings.amount.slider
    drag(slider, 10)
    first = wait_live(qtbot, w, watch, "settings:amount")
    drag(slider, 90)
    second = wait_live(qtbot, w, watch, "settings:amount", after=watch.shown[-1])
    assert np.abs(first.astype(int) - second).max() > 0
    assert not watch.jobs
    slider.setSliderDown(False)  # letting go: the variations at 0.9, in full
    qtbot.waitUntil(lambda: w.gallery.count() == 2 and not w.canvas.live, timeout=WAIT)
    assert w.state.results[-1].metadata["source"]["amount"] == pytest.approx(0.9)


@pytest.mark.parametrize("name", ["prior", "decoder"])
def test_the_guidance_sliders_are_live_then_render_when_the_hand_rests(live_window, qtbot, name):
    w = live_window
    generate_one(w, qtbot, "a red circle", seed=4)
    watch = Watch(w)
    hold(w)
    slider = getattr(w.settings, f"{name}_guidance").slider
    drag(slider, 10)
    first = wait_live(qtbot, w, watch, f"settings:{name}")
    drag(slider, 60)
    second = wait_live(qtbot, w, watch, f"settings:{name}", after=watch.shown[-1])
    assert np.abs(first.astype(int) - second).max() > 0, f"{name} guidance reaches the live image"
    slider.setSliderDown(False)
    rest(w)
    slider.triggerAction(QSlider.SliderAction.SliderSingleStepAdd)  # a key press: no release, the rest renders
    qtbot.waitUntil(lambda: w.gallery.count() == 3 and not w.canvas.live, timeout=WAIT)  # let go, then rested
    record = w.state.results[-1].metadata
    assert record["seed"] == 4 and record["settings"][f"{name}_guidance"] == pytest.approx(6.1)


def test_without_a_live_decoder_the_controls_stay_as_they_were(window, qtbot):
    three_sources(window)
    watch = Watch(window)
    pad = window.explore.pad
    mouse(pad, QEvent.Type.MouseButtonPress, 0.2, 0.2)
    mouse(pad, QEvent.Type.MouseMove, 0.4, 0.4)
    drag(window.settings.decoder_guidance.slider, 30)
    qtbot.wait(400)
    assert not watch.made and not watch.jobs and window.live.last_id == 0 and not window.canvas.live
    mouse(pad, QEvent.Type.MouseButtonRelease, 0.4, 0.4)  # letting go renders the mix, as before
    qtbot.waitUntil(lambda: window.canvas.caption.startswith("mix ") and window.explorer.mix_job is None,
                    timeout=WAIT)
