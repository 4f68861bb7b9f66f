"""Exploring: interpolation and text-diff strips, scrubbing, the mixing pad."""
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSlider

from studio.messages import Kind
from tests.studio.helpers import close_window, open_window


def test_interpolation_strip_fills_coarse_to_fine_and_scrubs_from_cache(window, qtbot, tmp_path):
    window.settings.steps["decoder"].setValue(2)
    window.prompt.edit.setPlainText("a red circle")
    window.explore.source_from_prompt.emit("a")
    window.prompt.edit.setPlainText("a blue star")
    window.explore.source_from_prompt.emit("b")
    window.explore.frames.setValue(5)
    arrived = []
    window.jobs.changed.connect(lambda job, message: message.kind is Kind.FRAME and arrived.append(message.payload.index))
    window.explore.render_requested.emit()
    assert window.queue_view.count() >= 2  # batches of the plan, waiting behind the first
    qtbot.waitUntil(lambda: len(window.explorer.strip.done) == 5 and len(arrived) == 5, timeout=60_000)
    assert arrived[:2] == [0, 4] and sorted(arrived) == list(range(5))
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=30_000)
    assert window.status.text().startswith("frames [") and " · done in " in window.status.text()  # not a stage
    slider = window.findChild(QSlider, "interpolationSlider")
    slider.setValue(510)  # no event processing: the nearest frame is on the canvas at once
    assert window.canvas.caption.startswith("frame 3/5")
    assert window.gallery.count() == 0  # frames are cached apart from the library
    key = window.explorer.strip.key
    window.explorer.strip = None
    window.explore.render_requested.emit()  # same sources and settings: every frame comes from disk
    assert window.explorer.strip.key == key and len(window.explorer.strip.done) == 5 and not window.explorer.strip.jobs
    out = tmp_path / "strip.gif"
    window.explorer.export_frames(str(out))
    with Image.open(out) as im:
        assert im.n_frames == 5


def test_corner_weights_are_normalised_bilinear():
    from studio.panels.mixpad import corner_weights
    assert corner_weights(0, 0, set("abcd")) == {"a": 1, "b": 0, "c": 0, "d": 0}
    centre = corner_weights(0.5, 0.5, set("abc"))
    assert centre == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    assert sum(corner_weights(0.2, 0.9, set("abcd")).values()) == pytest.approx(1)


def test_mixing_pad_renders_the_mix_with_fixed_noise(window, qtbot):
    window.settings.steps["decoder"].setValue(2)
    for key, text in zip("abc", ("a red circle", "a blue star", "a green ring")):
        window.explorer.set_source(key, "text:" + text)
    assert window.explore.pad.present == {"a", "b", "c"}
    window.explore.pad.released.emit(0.5, 0.5)  # the end of a drag
    qtbot.waitUntil(lambda: window.canvas.caption.startswith("mix") and window.explorer.mix_job is None,
                    timeout=60_000)  # the frame arrives before its job's end
    assert window.gallery.count() == 0


def test_text_diff_strip_in_the_studio(window, qtbot, tmp_path):
    src = tmp_path / "src.png"
    Image.fromarray(np.full((20, 20, 3), 90, np.uint8)).save(src)
    window.settings.steps["decoder"].setValue(2)
    window.explore.noise.setCurrentText("text diff")
    window.explorer.set_source("a", "text:not an image")
    window.explorer.set_source("b", "text:a blue star")
    window.explore.render_requested.emit()
    assert window.status.text().startswith("⚠ A text diff moves image A")
    window.explorer.set_source("a", str(src))
    window.explore.frames.setValue(3)
    window.explore.render_requested.emit()
    qtbot.waitUntil(lambda: len(window.explorer.strip.done) == 3, timeout=60_000)


def test_scrubbing_on_the_embedded_default(qtbot, tmp_path, capsys):
    """The latency from slider move to canvas, measured on the shipped model (reported, not asserted)."""
    import random
    import time
    w = open_window(qtbot, "default", tmp_path)
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=60_000)
    w.settings.size.setCurrentText("64 px")
    w.explorer.set_source("a", "text:a large red circle on a blue background")
    w.explorer.set_source("b", "text:a small yellow star on a green background")
    w.explore.frames.setValue(5)
    w.explore.render_requested.emit()
    qtbot.waitUntil(lambda: len(w.explorer.strip.done) == 5, timeout=120_000)
    rng, times = random.Random(0), []
    for _ in range(100):
        value = rng.randint(0, 1000)
        start = time.perf_counter()
        w.explore.slider.setValue(value)
        times.append((time.perf_counter() - start) * 1000)
        index = w.explorer.strip.nearest(value / 1000)
        assert w.canvas.caption.startswith(f"frame {index + 1}/5")
    times.sort()
    with capsys.disabled():
        print(f"\nscrub → canvas on the default (64 px frames): median {times[50]:.2f} ms, max {times[-1]:.2f} ms")
    close_window(w)


def test_dropping_two_images_on_a_and_b_interpolates(window, qtbot, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent
    paths = []
    for name, value in (("one.png", 40), ("two.png", 220)):
        Image.fromarray(np.full((24, 24, 3), value, np.uint8)).save(tmp_path / name)
        paths.append(tmp_path / name)
    for key, path in zip("ab", paths):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
        window.explore.labels[key].dropEvent(event)
    assert window.explore.labels["a"].text() == "one.png" and window.explore.labels["b"].text() == "two.png"
    window.settings.steps["decoder"].setValue(2)
    window.explore.frames.setValue(3)
    window.explore.noise.setCurrentText("inverted")
    window.explore.render_requested.emit()
    qtbot.waitUntil(lambda: len(window.explorer.strip.done) == 3, timeout=60_000)


def test_sources_show_thumbnails_and_long_names_never_widen_the_window(window, qtbot, tmp_path):
    window.resize(1359, 900)
    qtbot.waitUntil(lambda: window.width() == 1359)
    long = tmp_path / ("a-very-long-file-name-for-a-source-image-" * 3 + ".png")
    Image.fromarray(np.full((32, 32, 3), 200, np.uint8)).save(long)
    window.explorer.set_source("a", str(long))
    window.explorer.set_source("b", "text:" + "a large red circle on a blue background and much more " * 3)
    window.explorer.set_source("c", str(long))
    window.explorer.set_source("d", "text:a blue star")
    for _ in range(5):
        qtbot.wait(10)
        assert window.width() == 1359 and window.minimumSizeHint().width() <= 1359
    a, b = window.explore.labels["a"], window.explore.labels["b"]
    assert "…" in a.text() and "…" in b.text() and a.toolTip() == long.name
    assert a.fontMetrics().horizontalAdvance(a.text()) <= a.width()
    assert not window.explore.thumbs["a"].pixmap().isNull() and window.explore.thumbs["b"].text() == "T"
    pad = window.explore.pad
    assert pad.thumbnails["c"] is not None and pad.thumbnails["d"] is None and pad.present == set("abcd")


def test_the_filmstrip_shows_rendered_queued_and_shown_frames_and_the_slider_says_which(window, qtbot):
    window.settings.steps["decoder"].setValue(2)
    window.explorer.set_source("a", "text:a red circle")
    window.explorer.set_source("b", "text:a blue star")
    window.explore.frames.setValue(5)
    strip, label = window.explore.filmstrip, window.explore.fill
    previews = []
    strip_preview = strip.set_preview
    strip.set_preview = lambda i, pixels: (previews.append(i), strip_preview(i, pixels))
    window.explore.render_requested.emit()
    assert strip.count == 5 and strip.queued == {0, 1, 2, 3, 4} and strip.rendered == set()
    qtbot.waitUntil(lambda: strip.rendered == {0, 4}, timeout=60_000)
    assert strip.queued >= {1, 2, 3} and label.text().startswith("frame 1 of 5")
    qtbot.waitUntil(lambda: strip.rendered == set(range(5)) and not window.jobs.busy, timeout=60_000)
    assert strip.queued == set() and strip.previews == {}
    assert {0, 4} <= set(previews)  # step previews of the frames being rendered, in their cells
    window.explore.slider.setValue(510)
    assert label.text() == "frame 3 of 5" and strip.shown == 2  # the frame shown, not how many are rendered
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=strip.cell(4).center().toPoint())
    assert window.explore.slider.value() == 1000 and label.text() == "frame 5 of 5" and strip.shown == 4
    assert window.canvas.caption.startswith("frame 5/5")


def drag(pad, points):
    """Press at the first point, move through the rest with the button held, release at the last."""
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    for kind, (x, y) in [(QEvent.Type.MouseButtonPress, points[0])] + \
            [(QEvent.Type.MouseMove, p) for p in points[1:]] + [(QEvent.Type.MouseButtonRelease, points[-1])]:
        pos = QPointF(x, y)
        held = Qt.MouseButton.NoButton if kind is QEvent.Type.MouseButtonRelease else left
        QApplication.sendEvent(pad, QMouseEvent(kind, pos, pad.mapToGlobal(pos), left, held, none))


def test_one_render_per_drag_with_step_previews_and_keep_this_mix(window, qtbot):
    from engine.record import read_png
    window.settings.steps["decoder"].setValue(2)
    for key, text in zip("abc", ("a red circle", "a blue star", "a green ring")):
        window.explorer.set_source(key, "text:" + text)
    started, captions = [], []
    window.jobs.changed.connect(lambda job, m: m.kind is Kind.STARTED and started.append(job.label))
    preview = window.canvas.show_preview
    window.canvas.show_preview = lambda pixels, caption: (captions.append(caption), preview(pixels, caption))
    panel = window.explore.mix_panel
    assert panel.findChild(QLabel, "mixPadLabel").text() == "Mixing pad" and not panel.keep.isEnabled()
    drag(window.explore.pad, [(20 + 8 * i, 30 + 5 * i) for i in range(12)])
    assert panel.weights.text().startswith("A ")  # the weights follow the point
    qtbot.waitUntil(lambda: window.explorer.mixed is not None and not window.jobs.busy, timeout=60_000)
    assert len(started) == 1 and started[0].startswith("mix ")  # one render for the whole drag
    assert any(c.startswith("mix · decoder") for c in captions)  # step previews of the mix
    qtbot.mouseClick(panel.keep, Qt.MouseButton.LeftButton)
    assert window.gallery.count() == 1
    kept = window.state.results[-1]
    weights = kept.metadata["mix"]["weights"]
    assert set(weights) == {"A", "B", "C"} and abs(sum(weights.values()) - 1) < 0.01
    assert kept.metadata["mix"]["sources"]["B"] == "text:a blue star"
    assert read_png(kept.path)["mix"] == kept.metadata["mix"]  # in the saved record too
    assert window.gallery.currentItem().text().startswith("mix of A")
