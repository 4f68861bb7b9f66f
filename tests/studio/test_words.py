"""Plain words: the prompt box knows the model's vocabulary (marks, completion, one warning), every control says
what it does, and steps are labelled per stage."""
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCharFormat
from PySide6.QtWidgets import (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QFormLayout, QLabel,
                               QLineEdit, QListWidget, QPlainTextEdit, QScrollBar, QWidget)

from tests.studio.helpers import close_window, open_ready

ROOT = Path(__file__).resolve().parents[2]
CONTROLS = (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit, QListWidget)


@pytest.fixture
def worded(qtbot, tiny_bundle, tmp_path):
    """The tiny model with the default's vocabulary.json beside it, loaded and shown."""
    folder = shutil.copytree(tiny_bundle, tmp_path / "worded")
    shutil.copy(ROOT / "resources" / "models" / "shapes" / "vocabulary.json", folder)
    w = open_ready(qtbot, str(folder), tmp_path)
    yield w
    close_window(w)


def test_the_everyday_vocabulary_completes_a_ca_to_cat(qtbot, tiny_bundle, tmp_path):
    """A bundle trained on the everyday world carries its things in vocabulary.json; typing "a ca" offers "cat"
    first (the things in the order an artist reaches for them), and Tab takes it."""
    from engine.families.files import write_vocabulary
    from engine.training.recipe import EVERYDAY_THINGS
    from engine.training.vocabulary import world_vocabulary
    folder = shutil.copytree(tiny_bundle, tmp_path / "everyday")
    write_vocabulary(folder, world_vocabulary(EVERYDAY_THINGS))
    w = open_ready(qtbot, str(folder), tmp_path)
    edit = w.prompt.edit
    edit.setFocus()
    qtbot.keyClicks(edit, "a ca")
    popup = edit.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=5_000)
    offered = [popup.model().index(i, 0).data() for i in range(popup.model().rowCount())]
    assert popup.currentIndex().data() == "cat" and {"car", "cake", "castle"} <= set(offered)
    qtbot.keyClick(edit, Qt.Key.Key_Tab)
    assert edit.toPlainText() == "a cat" and not underlined(edit, "cat")
    close_window(w)


def underlined(edit, word):
    """Whether `word` of the prompt is drawn with a wavy underline."""
    text = edit.toPlainText()
    start = text.index(word)
    block = edit.document().firstBlock()
    for f in block.layout().formats():
        if f.start <= start < f.start + f.length:
            return f.format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline
    return False


def test_the_prompt_box_completes_the_models_words_as_you_type(qtbot, tmp_path):
    w = open_ready(qtbot, "default", tmp_path, timeout=120_000)
    edit = w.prompt.edit
    edit.setFocus()
    qtbot.keyClicks(edit, "a ci")
    popup = edit.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=5_000)
    assert popup.currentIndex().data() == "circle"
    qtbot.keyClick(edit, Qt.Key.Key_Tab)
    assert edit.toPlainText() == "a circle" and not popup.isVisible()
    qtbot.keyClicks(edit, " on the to")
    qtbot.waitUntil(popup.isVisible, timeout=5_000)
    assert popup.currentIndex().data() == "top"
    close_window(w)


def test_words_the_model_does_not_know_are_marked_as_you_type(worded, qtbot):
    edit = worded.prompt.edit
    edit.setFocus()
    qtbot.keyClicks(edit, "a red cat on a blue background")
    assert underlined(edit, "cat") and not underlined(edit, "red") and not underlined(edit, "background")
    assert "circle" in edit.toolTip() and "underlined" in edit.toolTip()


def test_a_prompt_with_none_of_the_models_words_warns_once_without_blocking(worded, qtbot):
    said = []
    worded.status_bar.messageChanged.connect(lambda text: text and said.append(text))
    worded.settings.steps["decoder"].setValue(1)
    for _ in range(2):
        worded.prompt.edit.setPlainText("a sunset over the sea")
        worded.generate()
    qtbot.waitUntil(lambda: worded.gallery.count() == 2, timeout=60_000)  # both made: nothing was blocked
    warnings = [t for t in said if "knows none of these words" in t]
    assert len(warnings) == 1 and "sunset" in warnings[0]
    worded.prompt.edit.setPlainText("a red sunset")  # one word it knows: no warning
    worded.generate()
    qtbot.waitUntil(lambda: worded.gallery.count() == 3, timeout=60_000)
    assert len([t for t in said if "knows none" in t]) == 1


def test_a_model_without_a_vocabulary_marks_nothing(window, qtbot):
    assert window.state.vocabulary is None
    edit = window.prompt.edit
    edit.setFocus()
    qtbot.keyClicks(edit, "a ci cat")
    assert not underlined(edit, "cat") and not edit.completer.popup().isVisible()


def test_every_control_has_a_tooltip_in_plain_words(window):
    controls = [c for c in window.findChildren(QWidget) if isinstance(c, CONTROLS) and not isinstance(c, QScrollBar)
                and c.isVisibleTo(window) and not _inside_a_control(c)]
    missing = [c.objectName() or f"{type(c).__name__} {c.text() if hasattr(c, 'text') else ''}"
               for c in controls if not c.toolTip().strip()]
    assert len(controls) > 30 and missing == []
    for name in ("canvas", "gallery", "mixPad", "filmStrip", "sourceALabel", "samplerCombo", "priorStepsSpin",
                 "priorGuidanceSlider", "decoderGuidanceSlider"):
        widget = window.findChild(QWidget, name)
        assert widget is not None and len(widget.toolTip()) > 30, name
    assert "step" not in window.findChild(QWidget, "priorGuidanceSlider").toolTip()  # what it does, not jargon


def test_steps_are_labelled_per_stage(window):
    form = window.settings.layout()
    assert isinstance(form, QFormLayout)
    labels = {form.labelForField(spin).text(): stage for stage, spin in window.settings.steps.items()}
    assert labels == {"Prior steps": "prior", "Decoder steps": "decoder", "Upscale steps": "upsampler"}
    texts = [label.text() for label in window.findChildren(QLabel)]
    assert not any("P/D/U" in t for t in texts)


def _inside_a_control(widget) -> bool:
    """Parts of a control (a spin box's line edit, a combo's view) carry their control's tooltip."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QAbstractSpinBox, QComboBox)):
            return True
        parent = parent.parentWidget()
    return False
