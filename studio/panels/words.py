"""The prompt box knows the model's words: words outside its vocabulary are underlined as you type (the tooltip
lists what it knows), and the word under the cursor completes from the vocabulary (Tab or Enter takes it)."""
from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QCompleter, QPlainTextEdit

BASE_TIP = ("Describe the picture in words, then Generate (Ctrl+Enter). Ctrl+Up / Ctrl+Down: the prompts you "
            "used last")


def vocabulary_tip(vocabulary) -> str:
    """The prompt box's tooltip: what to do, and what the model knows."""
    if vocabulary is None:
        return BASE_TIP
    return (f"{BASE_TIP}.\nThis model knows: {vocabulary.summary()}.\nWords it does not know are underlined; it "
            f"draws only what it knows.")


class UnknownWords(QSyntaxHighlighter):
    """Marks the words of the prompt the vocabulary does not know with a wavy red underline."""

    def __init__(self, document) -> None:
        super().__init__(document)
        self.vocabulary = None
        self.unknown = QTextCharFormat()
        self.unknown.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        self.unknown.setUnderlineColor(QColor("#f28b82"))

    def set_vocabulary(self, vocabulary) -> None:
        self.vocabulary = vocabulary
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt API
        if self.vocabulary is None:
            return
        for mark in self.vocabulary.marks(text):
            if mark.kind == "unknown":
                self.setFormat(mark.start, mark.end - mark.start, self.unknown)


class PromptEdit(QPlainTextEdit):
    """The prompt box (`promptEdit`): typing a word's first letters offers the model's words that start so."""

    def __init__(self) -> None:
        super().__init__(objectName="promptEdit")
        self.highlighter = UnknownWords(self.document())
        self.completer = QCompleter(QStringListModel([], self), self, objectName="promptCompleter")
        self.completer.setWidget(self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.activated[str].connect(self.insert_completion)
        self.vocabulary = None
        self.setToolTip(BASE_TIP)

    def set_vocabulary(self, vocabulary) -> None:
        """The loaded model's vocabulary (engine.vocabulary.Vocabulary), or None: nothing marked or offered."""
        self.vocabulary = vocabulary
        self.highlighter.set_vocabulary(vocabulary)
        self.setToolTip(vocabulary_tip(vocabulary))
        self.completer.popup().hide()

    def word_under_cursor(self) -> str:
        cursor = self.textCursor()
        cursor.select(QTextCursor.SelectionType.WordUnderCursor)
        return cursor.selectedText() if cursor.selectionEnd() == self.textCursor().position() else ""

    def insert_completion(self, word: str) -> None:
        """Replace the word being typed by `word`."""
        cursor = self.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.StartOfWord, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(word)
        self.setTextCursor(cursor)
        self.completer.popup().hide()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        popup = self.completer.popup()
        if popup.isVisible() and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab) \
                and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            index = popup.currentIndex()
            self.insert_completion(index.data() if index.isValid() else self.completer.currentCompletion())
            return
        if popup.isVisible() and event.key() == Qt.Key.Key_Escape:
            popup.hide()
            return
        super().keyPressEvent(event)
        self.offer()

    def offer(self) -> None:
        """Show the model's words that start with the word being typed (none: hide the list)."""
        prefix = self.word_under_cursor()
        words = list(self.vocabulary.complete(prefix)) if self.vocabulary is not None and len(prefix) >= 2 else []
        words = [w for w in words if " " not in w and w != prefix.lower()]
        popup = self.completer.popup()
        if not words:
            popup.hide()
            return
        self.completer.model().setStringList(words)
        self.completer.setCompletionPrefix(prefix)
        rect = self.cursorRect()
        rect.setWidth(popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width() + 8)
        self.completer.complete(rect)
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))
