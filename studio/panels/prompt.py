"""Prompt editor with Generate (Ctrl+Enter) and Cancel (Esc)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget


class PromptPanel(QWidget):
    """Where the artist types; emits generate/cancel requests."""

    generate_requested = Signal()
    cancel_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.edit = QPlainTextEdit(objectName="promptEdit")
        self.edit.setPlaceholderText("Describe an image… (Ctrl+Enter to generate)")
        self.edit.setFixedHeight(72)
        self.generate_button = QPushButton("Generate", objectName="generateButton")
        self.generate_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", objectName="cancelButton")
        self.cancel_button.setEnabled(False)
        self.generate_button.clicked.connect(self.generate_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.generate_requested.emit,
                      context=Qt.ShortcutContext.WindowShortcut)
        QShortcut(QKeySequence("Esc"), self, activated=self.cancel_requested.emit,
                  context=Qt.ShortcutContext.WindowShortcut)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addLayout(buttons)

    @property
    def prompt(self) -> str:
        return self.edit.toPlainText()
