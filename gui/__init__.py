"""tinyagent's desktop app (PySide6 + qasync). Widgets only observe engine events and call the
engine's public API; no planning or execution logic lives here."""
