"""The real widgets with pytest-qt: model states, generate, previews, gallery, cancel."""
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from studio.app import create_main_window

NAMES = ["promptEdit", "generateButton", "cancelButton", "seedSpin", "seedLockCheck", "priorGuidanceSlider",
         "decoderGuidanceSlider", "sourceDropZone", "canvas", "gallery", "modelCombo", "queueView"]


@pytest.fixture
def window(qtbot, tiny_bundle, tmp_path):
    w = create_main_window(str(tiny_bundle), device="cpu", library=tmp_path / "library")
    (tmp_path / "library").mkdir()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    yield w
    w.close()
    w.worker.cancel_current()
    w.engine_thread.quit()
    w.engine_thread.wait(10_000)


def test_controls_start_at_the_bundle_defaults(window):
    c = window.worker.model.config
    assert window.settings.decoder_guidance.value == c.decoder.guidance
    assert window.settings.prior_guidance.value == c.prior.guidance
    assert window.settings.steps["decoder"].value() == c.decoder.steps


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
    w = create_main_window(str(tmp_path / "nothing"), device="cpu", library=tmp_path)
    qtbot.addWidget(w)
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
