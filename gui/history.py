"""Command history persisted between runs (SQLite in the app's data folder)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path


class History:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path))
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, at TEXT NOT NULL, query TEXT NOT NULL, plan TEXT, answer TEXT)"
        )
        self.db.commit()

    def add(self, query: str, plan: str, answer: str) -> None:
        self.db.execute(
            "INSERT INTO runs (at, query, plan, answer) VALUES (?, ?, ?, ?)",
            (dt.datetime.now().isoformat(timespec="seconds"), query, plan, answer),
        )
        self.db.commit()

    def recent(self, n: int = 50) -> list[tuple[str, str, str]]:
        rows = self.db.execute("SELECT query, plan, answer FROM runs ORDER BY id DESC LIMIT ?", (n,)).fetchall()
        return [(q, p or "", a or "") for q, p, a in reversed(rows)]

    def close(self) -> None:
        self.db.close()
