"""Look and feel: a dark theme that keeps images the brightest thing on screen, and the app icon."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QLinearGradient, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

DARK = {
    QPalette.ColorRole.Window: "#202124", QPalette.ColorRole.WindowText: "#e8eaed",
    QPalette.ColorRole.Base: "#17181a", QPalette.ColorRole.AlternateBase: "#26272b",
    QPalette.ColorRole.ToolTipBase: "#2d2e31", QPalette.ColorRole.ToolTipText: "#e8eaed",
    QPalette.ColorRole.Text: "#e8eaed", QPalette.ColorRole.Button: "#2d2e31",
    QPalette.ColorRole.ButtonText: "#e8eaed", QPalette.ColorRole.Highlight: "#8ab4f8",
    QPalette.ColorRole.HighlightedText: "#202124", QPalette.ColorRole.Link: "#8ab4f8",
    QPalette.ColorRole.PlaceholderText: "#9aa0a6",
}


def apply_dark_theme(app: QApplication) -> None:
    """Fusion style with a neutral dark palette (disabled text dimmed)."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in DARK.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b6f75"))
    app.setPalette(palette)


def app_icon() -> QIcon:
    """Two overlapping discs on a dark tile: an image embedding and its variation."""
    icon = QIcon()
    for size in (16, 32, 64, 128, 256):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#202124"))
        p.drawRoundedRect(QRectF(0, 0, size, size), size * 0.2, size * 0.2)
        for (x, y), (a, b) in (((0.38, 0.42), ("#f28b82", "#fbbc04")), ((0.62, 0.58), ("#8ab4f8", "#c58af9"))):
            g = QLinearGradient(QPointF(0, 0), QPointF(size, size))
            g.setColorAt(0, QColor(a))
            g.setColorAt(1, QColor(b))
            colour = QBrush(g)
            p.setBrush(colour)
            p.setOpacity(0.85)
            r = size * 0.26
            p.drawEllipse(QPointF(x * size, y * size), r, r)
        p.end()
        icon.addPixmap(pixmap)
    return icon
