"""Generating in the real window: text to image, variations, drops and pastes, model states."""

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from tests.studio.helpers import close_window, generate_one, open_window

NAMES = ["promptEdit", "generateButton", "cancelButton", "seedSpin", "seedLockCheck", "priorGuidanceSlider",
         "decoderGuidanceSlider", "sourceDropZone", "interpolationSlider", "canvas", "gallery", "galleryFilterEdit",
         "favouritesOnlyButton", "modelCombo", "queueView"]


def test_widgets_carry_stable_names(window):
    from PySide6.QtWidgets import QWidget
    for name in NAMES:
        assert window.findChild(QWidget, name) is not None, name


def test_generate_shows_images_with_their_seeds(window, qtbot, tmp_path):
    window.prompt.edit.setPlainText("a red circle")
    window.settings.seed_lock.setChecked(True)
    window.settings.seed.setValue(42)
    window.settings.count.setValue(2)
    qtbot.mouseClick(window.prompt.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.gallery.count() == 2, timeout=60_000)
    seeds = [window.gallery.item(i).data(0x0100).seed for i in range(2)]
    assert seeds == [42, 43] and window.settings.seed.value() == 42
    files = sorted((tmp_path / "library").glob("*.png"))
    assert len(files) == 2 and "parameters" in Image.open(files[0]).text


def test_missing_model_shows_a_no_model_state(qtbot, tmp_path):
    w = open_window(qtbot, str(tmp_path / "nothing"), tmp_path)
    qtbot.waitUntil(lambda: w.state.model_status == "missing", timeout=30_000)
    assert "model folder not found" in w.status.text()
    assert not w.prompt.generate_button.isEnabled()
    w.engine_thread.quit()
    w.engine_thread.wait(5000)


def test_bad_drop_reports_one_line(window, tmp_path):
    bad = tmp_path / "x.png"
    bad.write_text("nope")
    window.vary(str(bad))
    assert window.status.text().startswith("⚠ not a readable image")


def test_variation_of_dropped_image(window, qtbot, tmp_path):
    src = tmp_path / "src.png"
    Image.fromarray(np.full((20, 30, 3), 120, np.uint8)).save(src)
    window.sources.image_dropped.emit(str(src))
    qtbot.waitUntil(lambda: window.gallery.count() == 1, timeout=60_000)
    assert window.state.results[0].metadata["kind"] == "variation"


def test_a_failed_switch_keeps_the_previous_model(window, qtbot, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}')
    previous = window.worker.model
    window.load_model(str(bad))
    qtbot.waitUntil(lambda: window.status.text().startswith("⚠ Could not load"), timeout=30_000)
    assert "not an unCLIP model" in window.status.text()
    assert window.worker.model is previous and window.prompt.generate_button.isEnabled()
    assert window.model_combo.currentText() == window.state.model_spec
    window.prompt.edit.setPlainText("still works")
    window.generate()
    qtbot.waitUntil(lambda: window.gallery.count() == 1, timeout=60_000)


def test_a_finished_job_says_its_time_and_the_size_list_keeps_it(window, qtbot):
    size = window.settings.size.currentText()
    generate_one(window, qtbot)
    qtbot.waitUntil(lambda: " · done in " in window.status.text(), timeout=30_000)
    seconds = float(window.status.text().rsplit(" in ", 1)[1].removesuffix(" s"))
    assert window.status.text().startswith("seed 7 — ") and seconds > 0
    tip = window.settings.size.toolTip()  # what the list does, then the chosen size's last time here
    assert tip.startswith("The picture's size") and tip.endswith(f"\n{size}: {seconds:.1f} s an image, last time "
                                                                 "on this machine")
    window.settings.size.setCurrentIndex(0 if window.settings.size.currentIndex() else 1)
    assert " s an image" not in window.settings.size.toolTip()  # never rendered at that size yet


def test_dropping_a_studio_png_offers_its_settings(window, qtbot):
    generate_one(window, qtbot, prompt="a blue star", seed=123)
    made = window.state.results[-1]
    window.prompt.edit.setPlainText("something else")
    window.settings.seed_lock.setChecked(False)
    window.settings.seed.setValue(5)
    window.ask_restore = lambda path: "restore"
    window.sources.image_dropped.emit(made.path)
    assert window.prompt.prompt == "a blue star"
    assert window.settings.seed.value() == 123 and window.settings.seed_lock.isChecked()
    window.ask_restore = lambda path: "vary"
    window.sources.image_dropped.emit(made.path)
    qtbot.waitUntil(lambda: window.gallery.count() == 2, timeout=60_000)
    assert window.state.results[-1].metadata["kind"] == "variation"


def test_pasted_image_makes_variations(window, qtbot):
    from PySide6.QtGui import QGuiApplication, QImage
    image = QImage(40, 30, QImage.Format.Format_RGB888)
    image.fill(0x3366CC)
    QGuiApplication.clipboard().setImage(image)
    window.paste()
    qtbot.waitUntil(lambda: window.gallery.count() == 1, timeout=60_000)
    assert window.state.results[0].metadata["source"]["name"] == "pasted image"


def test_ctrl_enter_shows_previews_then_a_saved_result(window, qtbot, tmp_path):
    captions = []
    for name in ("show_pixels", "show_preview"):
        show = getattr(window.canvas, name)
        setattr(window.canvas, name, lambda pixels, caption="", show=show: (captions.append(caption),
                                                                              show(pixels, caption)))
    window.prompt.edit.setFocus()
    window.prompt.edit.setPlainText("a red circle")
    qtbot.keyClick(window.prompt.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.gallery.count() == 1, timeout=60_000)
    steps = [c for c in captions if " step " in c]
    assert steps and captions.index(steps[0]) < captions.index(next(c for c in captions if c.startswith("seed ")))
    assert Image.open(window.state.results[0].path).text["unclip"]


def test_gui_heartbeat_keeps_ticking_while_the_default_generates(qtbot, tmp_path, capsys):
    """A 10 ms timer on the GUI thread during a CPU job on the shipped model: ticks keep coming (the gap is
    printed; the 50 ms target is measured by bench/cpu_studio.py, never asserted as a timing here)."""
    import time

    from PySide6.QtCore import QTimer
    w = open_window(qtbot, "default", tmp_path)
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=60_000)
    ticks = []
    timer = QTimer(interval=10, timeout=lambda: ticks.append(time.perf_counter()))
    w.prompt.edit.setPlainText("a large red circle on a blue background")
    timer.start()
    w.generate()
    qtbot.waitUntil(lambda: w.gallery.count() == 1, timeout=120_000)
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    with capsys.disabled():
        print(f"\nGUI heartbeat during a 256 px job on the default: {len(ticks)} ticks, "
              f"longest gap {1000 * max(gaps):.0f} ms")
    assert len(ticks) > 20
    close_window(w)


def test_long_lived_objects_stay_out_of_collections_and_a_replaced_model_is_freed(qtbot, tiny_bundle, tmp_path):
    import gc
    import weakref
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    assert gc.get_freeze_count() > 10 * len(gc.get_objects())  # a full collection walks a small fraction
    old = weakref.ref(w.worker.model)
    w.load_model(str(tiny_bundle))  # a switch: the previous model must not stay frozen in memory
    qtbot.waitUntil(lambda: w.state.model_status == "ready" and w.worker.model is not old(), timeout=30_000)
    assert old() is None
    close_window(w)
    assert gc.get_freeze_count() == 0
