"""Light and dark palettes that follow the system's colour scheme, and switch when it does."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

_DARK = {
    QPalette.ColorRole.Window: "#1f2124", QPalette.ColorRole.WindowText: "#e6e6e6", QPalette.ColorRole.Base: "#16181a",
    QPalette.ColorRole.AlternateBase: "#24272b", QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#2a2d31",
    QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#3d7be0", QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#2a2d31", QPalette.ColorRole.ToolTipText: "#e6e6e6", QPalette.ColorRole.PlaceholderText: "#8a8f98",
    QPalette.ColorRole.Link: "#6ea8ff",
}


def palette_for(dark: bool) -> QPalette:
    if not dark:
        return QApplication.style().standardPalette()
    pal = QPalette()
    for role, colour in _DARK.items():
        pal.setColor(role, QColor(colour))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6b7078"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6b7078"))
    return pal


def is_dark(app: QApplication) -> bool:
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def follow_system_theme(app: QApplication) -> None:
    """Fusion style (the same look everywhere) with the palette of the system's current scheme."""
    app.setStyle("Fusion")
    app.setPalette(palette_for(is_dark(app)))
    app.styleHints().colorSchemeChanged.connect(lambda scheme: app.setPalette(palette_for(scheme == Qt.ColorScheme.Dark)))
