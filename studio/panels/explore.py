"""The exploration bar: two sources, frame count and noise mode, Render, and the scrubbing slider."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPushButton, QSlider, QSpinBox, QWidget

from .mixpad import MixPad

SLIDER_STEPS = 1000  # the slider is continuous; frames are looked up by position


class SourceSlot(QLabel):
    """Source A or B: shows its name; accepts an image file dropped on it."""

    dropped = Signal(str)

    def __init__(self, key: str) -> None:
        super().__init__("drop an image", objectName=f"source{key.upper()}Label")
        self.setAcceptDrops(True)
        self.setStyleSheet("QLabel { border: 1px dashed #5f6368; border-radius: 4px; padding: 2px 6px; }")

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.dropped.emit(url.toLocalFile())
                return


class ExplorePanel(QWidget):
    """A → B with a slider: drag to scrub through the rendered frames."""

    render_requested = Signal()
    export_requested = Signal()
    source_from_prompt = Signal(str)  # "a" | "b"
    source_dropped = Signal(str, str)  # "a" | "b", image path
    position_changed = Signal(float)  # 0 … 1

    def __init__(self) -> None:
        super().__init__()
        self.labels = {k: SourceSlot(k) for k in "ab"}
        for k, slot in self.labels.items():
            slot.dropped.connect(lambda path, key=k: self.source_dropped.emit(key, path))
        buttons = {k: QPushButton(f"Prompt → {k.upper()}", objectName=f"promptTo{k.upper()}Button") for k in "ab"}
        for k, button in buttons.items():
            button.setToolTip(f"Use the prompt as source {k.upper()} (or right-click a result: “Use as {k.upper()}”)")
            button.clicked.connect(lambda _=False, key=k: self.source_from_prompt.emit(key))
        self.frames = QSpinBox(objectName="framesSpin")
        self.frames.setRange(2, 129)
        self.frames.setValue(9)
        self.frames.setPrefix("frames ")
        self.noise = QComboBox(objectName="noiseCombo")
        self.noise.addItems(["fixed", "inverted", "text diff"])
        self.noise.setToolTip("fixed: one decoder seed for every frame · inverted: slerped DDIM inversions of two "
                              "images · text diff: push image A toward text B (θ from 0 to 0.5)")
        self.render_button = QPushButton("Render strip", objectName="renderStripButton")
        self.render_button.clicked.connect(self.render_requested)
        self.export_button = QPushButton("Export…", objectName="exportStripButton")
        self.export_button.clicked.connect(self.export_requested)
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="interpolationSlider")
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setToolTip("Scrub between A and B: the nearest rendered frame shows at once")
        self.slider.valueChanged.connect(lambda v: self.position_changed.emit(v / SLIDER_STEPS))
        self.fill = QLabel(objectName="stripFillLabel")
        self.pad = MixPad()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("A"), 0, 0)
        grid.addWidget(self.labels["a"], 0, 1)
        grid.addWidget(buttons["a"], 0, 2)
        grid.addWidget(QLabel("B"), 0, 3)
        grid.addWidget(self.labels["b"], 0, 4)
        grid.addWidget(buttons["b"], 0, 5)
        grid.addWidget(self.frames, 0, 6)
        grid.addWidget(self.noise, 0, 7)
        grid.addWidget(self.render_button, 0, 8)
        grid.addWidget(self.export_button, 0, 9)
        grid.addWidget(self.slider, 1, 0, 1, 9)
        grid.addWidget(self.fill, 1, 9)
        grid.addWidget(self.pad, 0, 10, 2, 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(4, 1)

    @property
    def position(self) -> float:
        return self.slider.value() / SLIDER_STEPS

    def set_source(self, key: str, label: str) -> None:
        if key not in self.labels:  # C and D live only on the mixing pad
            return
        self.labels[key].setText(label if len(label) <= 28 else label[:27] + "…")
        self.labels[key].setToolTip(label)

    def set_fill(self, done: int, total: int) -> None:
        self.fill.setText(f"{done}/{total}")
