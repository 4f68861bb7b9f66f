"""The seed row: the seed of the image in focus (any 32-bit seed fits), the seed the next job will use shown apart,
Lock to use the one in the field again, ±1 and the dice."""
from __future__ import annotations

import random

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, \
    QVBoxLayout, QWidget

from engine.limits import MAX_SEED

SEED_SPIN_MAX = MAX_SEED  # ten digits: a spin box of doubles holds every 32-bit seed exactly


class SeedSpin(QDoubleSpinBox):
    """A whole-number spin box for seeds up to 4294967295 (a QSpinBox stops at 2**31 − 1)."""

    def __init__(self) -> None:
        super().__init__(objectName="seedSpin")
        self.setDecimals(0)
        self.setRange(0, SEED_SPIN_MAX)
        self.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
        self.setGroupSeparatorShown(False)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("4294967295") + 14)  # ten digits fit

    def value(self) -> int:  # noqa: D102 - the seed as the int it is
        return int(super().value())


class SeedRow(QWidget):
    """What the artist sees of seeds; `take(count)` gives the next job's seeds."""

    edited = Signal()  # the artist typed or stepped the seed

    def __init__(self) -> None:
        super().__init__()
        self.seed = SeedSpin()
        self.seed.setValue(random.randint(0, SEED_SPIN_MAX))
        self.seed.setToolTip("The seed of the image in focus: the same seed and settings make the same picture "
                             "again. Type one (or use ±1) to use it next")
        self.lock = QCheckBox("Lock", objectName="seedLockCheck")
        self.lock.setToolTip("Use the seed in the field for the next image too (to change only the prompt or a "
                             "setting); unlocked, each new image gets a new random seed")
        self.next_label = QLabel(objectName="nextSeedLabel")
        self.next_label.setToolTip("The seed the next image will get (unlocked: a new random one each time)")
        self.next_seed = random.randint(0, SEED_SPIN_MAX)
        dice = QPushButton("⚄", objectName="seedDiceButton")
        dice.setToolTip("Roll a new random seed for the next image (Ctrl+R)")
        dice.clicked.connect(self.new_seed)
        minus, plus = QPushButton("−1", objectName="seedMinusButton"), QPushButton("+1", objectName="seedPlusButton")
        minus.setToolTip("The seed before this one (and lock it): a close cousin of the picture, not a small change")
        plus.setToolTip("The seed after this one (and lock it)")
        minus.clicked.connect(lambda: self._step(-1))
        plus.clicked.connect(lambda: self._step(+1))
        self.seed.lineEdit().textEdited.connect(lambda _text: self._edited())
        row = QHBoxLayout()
        row.setSpacing(4)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.seed, 1)
        for button in (minus, plus, dice):
            button.setFixedWidth(26)
            row.addWidget(button)
        under = QHBoxLayout()
        under.setContentsMargins(0, 0, 0, 0)
        under.addWidget(self.lock)
        under.addWidget(self.next_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addLayout(under)
        self.lock.toggled.connect(lambda _on: self._show_next())
        self.seed.valueChanged.connect(lambda _v: self._show_next())
        self._show_next()

    def show_seed(self, seed: int) -> None:
        """The image in focus changed: show its seed (a locked seed stays as it is)."""
        if not self.lock.isChecked() and 0 <= seed <= SEED_SPIN_MAX:
            self.seed.setValue(seed)

    def new_seed(self) -> None:
        """A new random seed for the next image (unlocking a locked one)."""
        self.next_seed = random.randint(0, SEED_SPIN_MAX)
        self.lock.setChecked(False)
        self._show_next()

    def upcoming(self) -> int:
        """The first seed of the next job."""
        return self.seed.value() if self.lock.isChecked() else self.next_seed

    def take(self, count: int) -> tuple[int, ...]:
        """Seeds for the next job (consecutive); unlocked, the next seed moves on, so none is used twice."""
        first = self.upcoming()
        seeds = tuple((first + i) % (SEED_SPIN_MAX + 1) for i in range(count))
        if not self.lock.isChecked():
            self.next_seed = random.randint(0, SEED_SPIN_MAX)
            self._show_next()
        return seeds

    def _step(self, by: int) -> None:
        self.seed.setValue(min(max(self.seed.value() + by, 0), SEED_SPIN_MAX))
        self._edited()

    def _edited(self) -> None:
        self.lock.setChecked(True)  # a seed typed or stepped is meant for the next image
        self.edited.emit()

    def _show_next(self) -> None:
        self.next_label.setText(f"next: {self.upcoming()}" + (" (locked)" if self.lock.isChecked() else ""))
