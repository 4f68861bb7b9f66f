"""The real widgets with pytest-qt: model states, generate, previews, gallery, cancel."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QSlider

from engine import TextToImage
from engine.cpu import default_dtype
from studio.app import create_main_window

NAMES = ["promptEdit", "generateButton", "cancelButton", "seedSpin", "seedLockCheck", "priorGuidanceSlider",
         "decoderGuidanceSlider", "sourceDropZone", "interpolationSlider", "canvas", "gallery", "galleryFilterEdit",
         "favouritesOnlyButton", "modelCombo",
         "queueView"]


def open_window(qtbot, model, tmp_path):
    settings = QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    w = create_main_window(model, device="cpu", library=tmp_path / "library", settings=settings)
    qtbot.addWidget(w)
    return w


def close_window(w):
    w.close()
    w.worker.cancel_current()
    w.engine_thread.quit()
    w.engine_thread.wait(10_000)


@pytest.fixture
def window(qtbot, tiny_bundle, tmp_path):
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    w.show()
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    yield w
    close_window(w)


def test_controls_start_at_the_bundle_defaults(window):
    c = window.worker.model.config
    assert window.settings.decoder_guidance.value == c.decoder.guidance
    assert window.settings.layout_guidance.value == c.decoder.guidance
    assert window.settings.prior_guidance.value == c.prior.guidance
    assert window.settings.steps["decoder"].value() == c.decoder.steps


def test_layout_guidance_follows_the_decoder_until_set_apart(window):
    panel = window.settings
    panel.decoder_guidance.slider.setValue(60)
    assert panel.layout_guidance.value == 6.0
    panel.layout_guidance.set_value(0.25)  # the freer variations' setting is reachable
    panel.decoder_guidance.slider.setValue(70)
    assert panel.layout_guidance.value == 0.25 and panel.settings().layout_guidance == 0.25
    panel.apply({"settings": {"decoder_guidance": 3.0}})  # saved before layout guidance existed
    assert panel.layout_guidance.value == 3.0
    panel.apply({"settings": {"decoder_guidance": 4.0, "layout_guidance": 1.5, "decoder_candidates": 2}})
    assert (panel.decoder_guidance.value, panel.layout_guidance.value) == (4.0, 1.5)
    assert panel.settings().decoder_candidates == 2
    assert panel.accept.value() == 1.0 and panel.accept.isEnabled()  # saved before accept existed: closest of all
    panel.apply({"settings": {"decoder_candidates": 3, "accept_cosine": 0.99}})
    assert panel.settings().accept_cosine == 0.99 and panel.settings().decoder_candidates == 3
    panel.candidates.setValue(1)
    assert not panel.accept.isEnabled()


def test_free_layout_button_applies_the_preset_and_shows_whether_it_holds(window, qtbot):
    panel = window.settings
    panel.accept.setValue(1.0)
    qtbot.mouseClick(panel.free_layout, Qt.MouseButton.LeftButton)
    s = panel.settings()
    assert (s.layout_guidance, s.decoder_candidates) == (0.25, 6) and panel.free_layout.isChecked()
    assert s.accept_cosine == window.worker.model.config.decoder.accept_cosine  # the model's threshold
    panel.decoder_guidance.slider.setValue(50)  # the layout no longer follows the decoder while free
    assert panel.settings().layout_guidance == 0.25
    panel.candidates.setValue(3)  # set by hand away from the preset: the button comes up
    assert not panel.free_layout.isChecked()
    panel.candidates.setValue(6)
    assert panel.free_layout.isChecked()
    qtbot.mouseClick(panel.free_layout, Qt.MouseButton.LeftButton)  # off: the paper's variations
    s = panel.settings()
    assert (s.layout_guidance, s.decoder_candidates) == (5.0, 1) and not panel.free_layout.isChecked()
    panel.decoder_guidance.slider.setValue(40)
    assert panel.settings().layout_guidance == 4.0  # following again
    panel.apply({"settings": {"layout_guidance": 0.25, "decoder_candidates": 6, "accept_cosine": 0.99}})
    assert panel.free_layout.isChecked()  # a saved image made with the preset shows it


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


def test_cancel_stops_within_a_step_and_keeps_the_ui_alive(window, qtbot):
    window.settings.steps["decoder"].setValue(1000)
    window.prompt.edit.setPlainText("a slow one")
    window.generate()
    qtbot.waitUntil(lambda: window.status.text().startswith("decoder") and window.progress_bar.value() >= 1,
                    timeout=60_000)
    qtbot.mouseClick(window.prompt.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.status.text() == "Cancelled.", timeout=30_000)
    assert window.progress_bar.value() < 1000 and window.gallery.count() == 0
    window.settings.steps["decoder"].setValue(2)
    window.generate()
    qtbot.waitUntil(lambda: window.gallery.count() == 1, timeout=60_000)


def test_a_failed_switch_keeps_the_previous_model(window, qtbot, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}')
    previous = window.worker.model
    window.load_model(str(bad))
    qtbot.waitUntil(lambda: window.status.text().startswith("⚠ Could not load"), timeout=30_000)
    assert "not an unCLIP model" in window.status.text()
    assert window.worker.model is previous and window.prompt.generate_button.isEnabled()
    assert window.model_combo.currentText() == window._current_model
    window.prompt.edit.setPlainText("still works")
    window.generate()
    qtbot.waitUntil(lambda: window.gallery.count() == 1, timeout=60_000)


def generate_one(window, qtbot, prompt="a red circle", seed=7, count=1):
    before = window.gallery.count()
    window.prompt.edit.setPlainText(prompt)
    window.settings.seed_lock.setChecked(True)
    window.settings.seed.setValue(seed)
    window.settings.count.setValue(count)
    window.generate()
    qtbot.waitUntil(lambda: window.gallery.count() == before + count, timeout=60_000)


def test_a_finished_job_says_its_time_and_the_size_list_keeps_it(window, qtbot):
    size = window.settings.size.currentText()
    generate_one(window, qtbot)
    qtbot.waitUntil(lambda: " · done in " in window.status.text(), timeout=30_000)
    seconds = float(window.status.text().rsplit(" in ", 1)[1].removesuffix(" s"))
    assert window.status.text().startswith("seed 7 — ") and seconds > 0
    assert window.settings.size.toolTip() == f"{size}: {seconds:.1f} s an image, last time on this machine"
    window.settings.size.setCurrentIndex(0 if window.settings.size.currentIndex() else 1)
    assert window.settings.size.toolTip() == ""  # never rendered at that size yet


def test_upsampler_steps_auto_round_trips(window, qtbot):
    ups = window.settings.steps["upsampler"]
    assert ups.value() == 0 and ups.text() == "auto" and window.settings.settings().upsampler_steps is None
    ups.setValue(2)
    assert window.settings.settings().upsampler_steps == 2
    window.settings.apply({"settings": {"upsampler_steps": None}})
    assert ups.text() == "auto"
    window.settings.apply({"settings": {"upsampler_steps": 3}})  # records made before auto: one number for all
    assert window.settings.settings().upsampler_steps == 3


def test_queue_runs_next_removes_and_keeps_order(window, qtbot):
    order = []
    window.worker.job_started.connect(lambda job_id, label: order.append(label))
    window.settings.steps["decoder"].setValue(1000)
    window.prompt.edit.setPlainText("slow")
    window.generate()
    qtbot.waitUntil(lambda: len(order) == 1, timeout=30_000)
    window.settings.steps["decoder"].setValue(2)
    ids = [window.worker.submit(None, name) for name in ("a", "b", "c")]
    assert [window.queue_view.item(k).text() for k in range(3)] == ["a", "b", "c"]
    window.queue_view.front_requested.emit(ids[2])
    window.queue_view.remove_requested.emit(ids[1])
    qtbot.waitUntil(lambda: [window.queue_view.item(k).text() for k in range(window.queue_view.count())] == ["c", "a"],
                    timeout=5_000)
    window.worker.clear_queue()
    window.worker.submit(TextToImage("c", (1,), window.settings.settings()), "c")
    window.worker.submit(TextToImage("a", (2,), window.settings.settings()), "a")
    window.cancel()
    qtbot.waitUntil(lambda: window.gallery.count() == 2, timeout=60_000)
    assert order[1:] == ["c", "a"] and [r.prompt for r in window.state.results] == ["c", "a"]


def test_library_reloads_with_favourites_and_deletes_undo(qtbot, tiny_bundle, tmp_path):
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    generate_one(w, qtbot, count=3)
    first, second, third = w.state.results
    w.act("favourite", first)
    w.act("delete", second)
    assert w.gallery.count() == 2 and not Path(second.path).exists()
    w.undo_delete()
    assert w.gallery.count() == 3 and Path(second.path).exists()
    w.act("delete", third)
    close_window(w)
    assert not (tmp_path / "library" / ".trash" / third.name).exists()  # handed to the system trash on close
    w2 = open_window(qtbot, str(tiny_bundle), tmp_path)
    names = [r.name for r in w2.state.results]
    assert sorted(names) == sorted([first.name, second.name]) and w2.gallery.count() == 2
    assert [r.favourite for r in w2.state.results if r.name == first.name] == [True]
    assert w2.gallery.item(names.index(first.name)).text().startswith("★")
    w2.gallery.setCurrentRow(0)
    assert w2.canvas.caption == f"seed {w2.state.results[0].seed}"
    close_window(w2)


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


def test_layout_prompt_and_controls_persist(qtbot, tiny_bundle, tmp_path):
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    w.prompt.edit.setPlainText("kept across restarts")
    w.settings.seed.setValue(4242)
    w.settings.seed_lock.setChecked(True)
    w.settings.sampler.setCurrentText("ddim")
    close_window(w)
    w2 = open_window(qtbot, str(tiny_bundle), tmp_path)
    assert w2.prompt.prompt == "kept across restarts"
    assert w2.settings.seed.value() == 4242 and w2.settings.seed_lock.isChecked()
    assert w2.settings.sampler.currentText() == "ddim"
    close_window(w2)


def test_status_bar_and_precision_switch(window, qtbot):
    start = str(default_dtype("cpu")).removeprefix("torch.")  # this CPU's fastest: bfloat16 where native
    other = "float32" if start == "bfloat16" else "bfloat16"
    assert window.status_bar.device.text() == f"cpu · {start}"
    assert window.status_bar.memory.text().startswith("RAM ")
    window.set_engine(dtype=other)
    qtbot.waitUntil(lambda: window.status_bar.device.text() == f"cpu · {other}", timeout=30_000)
    generate_one(window, qtbot)
    assert window.state.results[-1].metadata["dtype"] == other
    tips = {a.text(): a.statusTip() for a in window.precision_menu.actions()}
    assert ("natively" in tips["bfloat16"]) == (start == "bfloat16") and "CUDA" in tips["float16"]
    assert "ms/step" in window.status_bar.timing.text() and " px: " in window.status_bar.timing.text()


def test_interpolation_strip_fills_coarse_to_fine_and_scrubs_from_cache(window, qtbot, tmp_path):
    window.settings.steps["decoder"].setValue(2)
    window.prompt.edit.setPlainText("a red circle")
    window.explore.source_from_prompt.emit("a")
    window.prompt.edit.setPlainText("a blue star")
    window.explore.source_from_prompt.emit("b")
    window.explore.frames.setValue(5)
    arrived = []
    window.worker.frame_ready.connect(lambda key, index, pixels: arrived.append(index))
    window.explore.render_requested.emit()
    assert window.queue_view.count() >= 2  # batches of the plan, waiting behind the first
    qtbot.waitUntil(lambda: len(window.explorer.strip.done) == 5 and len(arrived) == 5, timeout=60_000)
    assert arrived[:2] == [0, 4] and sorted(arrived) == list(range(5))
    qtbot.waitUntil(lambda: not window.state.busy, timeout=30_000)
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


def test_gallery_filter_matches_words_seeds_and_favourites():
    from studio.panels.gallery import matches
    from studio.state import Result
    r = Result(None, "x.png", {"prompt": "a Red circle", "seed": 12, "kind": "text2image"})
    v = Result(None, "v.png", {"seed": 3, "kind": "variation", "source": {"name": "heart.png"}}, favourite=True)
    assert matches(r, "") and matches(r, "red CIRCLE") and matches(r, "circle 12") and not matches(r, "circle 1")
    assert not matches(r, "red star") and not matches(r, "", favourites_only=True)
    assert matches(v, "heart variation 3", favourites_only=True) and not matches(v, "text2image")


def test_gallery_filter_hides_and_counts_in_the_window(window, qtbot):
    generate_one(window, qtbot, "a red circle", seed=1)
    generate_one(window, qtbot, "a blue star", seed=2)
    panel = window.gallery_panel
    window.gallery.setCurrentRow(1)
    panel.filter.setText("red")
    assert [window.gallery.item(i).isHidden() for i in range(2)] == [False, True]
    assert panel.shown.text() == "1 of 2" and window.gallery.selected() is None  # the hidden one is let go
    generate_one(window, qtbot, "a blue ring", seed=3)  # a new result that does not match arrives hidden
    assert window.gallery.item(2).isHidden() and panel.shown.text() == "1 of 3"
    panel.filter.setText("3")
    assert window.gallery.shown() == 1 and not window.gallery.item(2).isHidden()
    panel.filter.clear()
    panel.favourites.setChecked(True)
    assert window.gallery.shown() == 0 and panel.shown.text() == "0 of 3"
    window.act("favourite", window.state.results[1])
    assert window.gallery.shown() == 1 and not window.gallery.item(1).isHidden()
    panel.favourites.setChecked(False)
    assert window.gallery.shown() == 3 and panel.shown.text() == ""


def test_prompt_history_keeps_the_latest_first_once_and_reads_damage_as_none():
    from studio.panels.prompt import remember, saved_history
    h = remember(remember(remember([], "a red circle"), "  "), "a blue star ")
    assert h == ["a blue star", "a red circle"] and remember(h, "a red circle") == ["a red circle", "a blue star"]
    assert remember([str(i) for i in range(50)], "new")[-1] == "48"  # at most 50
    assert saved_history('["a", 3, " ", "b"]') == ["a", "b"]
    assert saved_history("{broken") == saved_history('{"a": 1}') == saved_history(None) == []


def test_prompt_history_steps_back_and_forth_and_comes_back_after_a_restart(qtbot, tiny_bundle, tmp_path):
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    w.show()
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    w.settings.steps["decoder"].setValue(2)
    for prompt in ("a red circle", "a blue star"):
        generate_one(w, qtbot, prompt)
    p = w.prompt
    p.edit.setPlainText("a half-typed gre")
    p.edit.setFocus()
    qtbot.keyClick(p.edit, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert p.prompt == "a blue star"
    p.step_history(+1)
    assert p.prompt == "a red circle"
    p.step_history(+1)  # the oldest stays
    assert p.prompt == "a red circle"
    p.step_history(-1)
    p.step_history(-1)  # past the newest: the draft comes back
    assert p.prompt == "a half-typed gre"
    p._fill_menu()
    p.recent.menu().actions()[1].trigger()
    assert p.prompt == "a red circle"
    close_window(w)
    w2 = open_window(qtbot, str(tiny_bundle), tmp_path)
    assert w2.prompt.history == ["a blue star", "a red circle"]
    close_window(w2)


def test_canvas_zooms_about_the_cursor_pans_and_keeps_the_zoom_for_new_pixels(qtbot):
    from PySide6.QtCore import QPointF
    from studio.panels.canvas import MAX_PIXEL, Canvas
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(512, 512)
    pixels = np.zeros((64, 64, 3), np.uint8)
    pixels[:, 32:] = 255  # right half white
    canvas.show_pixels(pixels, "seed 1")
    assert canvas.fit_scale() == 8 and canvas.pixmap().width() == 512 and canvas.overlay.text() == "seed 1"
    at = QPointF(384, 256)  # image point (48, 32)
    canvas.zoom(2, at)
    rect = canvas.visible()
    assert canvas.scale() == 16 and rect.width() == 32
    assert rect.left() + (384 / 16) == 48  # the point under the cursor stayed under it
    canvas.zoom(100)
    assert canvas.scale() == MAX_PIXEL and canvas.overlay.text() == "seed 1 · 1600%"
    canvas.fit()
    canvas.zoom(2)  # about the centre: 16 screen pixels an image pixel, the most
    canvas.mousePressEvent(type("E", (), {"button": lambda self: Qt.MouseButton.LeftButton,
                                          "position": lambda self: QPointF(100, 100)})())
    canvas.mouseMoveEvent(type("E", (), {"position": lambda self: QPointF(1100, 100)})())  # far right: clamped
    canvas.mouseReleaseEvent(None)
    assert canvas.visible().left() == 0
    image = canvas.pixmap().toImage()
    assert image.pixelColor(10, 10).red() == 0  # the left, black half is in view, drawn pixel-sharp
    canvas.show_pixels(np.full((256, 256, 3), 128, np.uint8), "seed 2")  # a new size: the same magnification
    assert canvas.magnification == 2 and canvas.scale() == 4 and canvas.visible().width() == 128
    canvas.zoom(1 / 100)
    assert canvas.magnification == 1 and canvas.overlay.text() == "seed 2"
    canvas.actual_pixels()
    assert canvas.scale() == 2  # a 256 px image in a 512 px view: never drawn smaller than fitted
    canvas.show_pixels(np.full((1024, 1024, 3), 9, np.uint8), "seed 3")
    canvas.actual_pixels()
    assert canvas.scale() == 1 and canvas.visible().width() == 512


def test_canvas_compares_a_pinned_image_right_of_a_divider_that_follows_the_mouse(qtbot):
    from PySide6.QtCore import QPointF
    from studio.panels.canvas import Canvas
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(512, 512)
    canvas.show_pixels(np.zeros((64, 64, 3), np.uint8), "seed 1")
    canvas.compare_with(np.full((256, 256, 3), 255, np.uint8), "seed 2")  # another size: drawn at the same place

    def red(x):
        return canvas.pixmap().toImage().pixelColor(x, 256).red()
    assert canvas.comparing and (red(100), red(400)) == (0, 255) and canvas.overlay.text() == "seed 1  |  seed 2"
    canvas.mouseMoveEvent(type("E", (), {"position": lambda self: QPointF(480, 256)})())
    assert canvas.split == 480 / 512 and red(400) == 0 and red(500) == 255
    canvas.show_pixels(np.full((64, 64, 3), 40, np.uint8), "seed 3")  # the next image is compared too
    assert red(10) == 40 and red(500) == 255
    canvas.zoom(2, QPointF(0, 0))  # both zoom together
    assert red(500) == 255 and canvas.overlay.text() == "seed 3 · 1600%  |  seed 2"
    canvas.compare_with(None)
    assert not canvas.comparing and red(500) == 40 and canvas.overlay.text() == "seed 3 · 1600%"


def test_compare_pins_a_result_and_the_next_selection_shows_beside_it(window, qtbot):
    generate_one(window, qtbot, "a red circle", seed=1)
    generate_one(window, qtbot, "a blue star", seed=2)
    window.gallery.setCurrentRow(0)
    window.gallery.setFocus()
    qtbot.keyClick(window.gallery, Qt.Key.Key_C)
    assert window.canvas.comparing and window.status.text().startswith("Comparing with seed 1")
    window.gallery.setCurrentRow(1)
    assert window.canvas.overlay.text() == "seed 2  |  seed 1"
    window.compare(None)
    assert not window.canvas.comparing and window.canvas.overlay.text() == "seed 2"


def test_saved_thumbnails_are_decoded_after_the_gallery_shows_a_few_per_turn(qtbot, tmp_path):
    from studio.panels.gallery import Gallery
    from studio.state import Result
    paths = []
    for i in range(3):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(np.full((64, 64, 3), 60 * i, np.uint8)).save(paths[-1])
    (tmp_path / "bad.png").write_bytes(b"not a png")
    g = Gallery()
    qtbot.addWidget(g)
    for path in paths + [str(tmp_path / "bad.png")]:
        g.add(Result(None, path, {"seed": 1}))
    assert g.count() == 4 and not g.thumbnails_done()  # the window is usable before any is decoded

    def colour(i):
        return g.item(i).icon().pixmap(96, 96).toImage().pixelColor(48, 48).red()
    assert colour(2) == 48  # the placeholder
    g.takeItem(1)  # deleted before its turn: skipped
    qtbot.waitUntil(g.thumbnails_done, timeout=5_000)
    assert (colour(0), colour(1)) == (0, 120) and g.item(2).toolTip().startswith("⚠ unreadable image")


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


def test_stages_are_named_by_what_they_make():
    from studio.status import stage_label
    assert [stage_label("prior", None), stage_label("decoder", 64), stage_label("upsampler1", 1024)] == \
        ["prior", "decoder · 64 px", "upsampler · 1024 px"]


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
    window.explore.pad.released.emit(0.5, 0.5)
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


def test_ctrl_enter_shows_previews_then_a_saved_result(window, qtbot, tmp_path):
    captions = []
    show = window.canvas.show_pixels
    window.canvas.show_pixels = lambda pixels, caption="": (captions.append(caption), show(pixels, caption))
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
