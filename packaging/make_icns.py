"""Render ``resources/icons/tinyagent.svg`` into ``packaging/tinyagent.icns`` (macOS: needs iconutil)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    svg = QSvgRenderer(str(ROOT / "resources" / "icons" / "tinyagent.svg"))
    with tempfile.TemporaryDirectory() as tmp:
        iconset = Path(tmp) / "tinyagent.iconset"
        iconset.mkdir()
        for size in (16, 32, 64, 128, 256, 512, 1024):
            img = QImage(size, size, QImage.Format.Format_ARGB32)
            img.fill(Qt.GlobalColor.transparent)
            painter = QPainter(img)
            svg.render(painter)
            painter.end()
            if size <= 512:
                img.save(str(iconset / f"icon_{size}x{size}.png"))
            if size >= 32:
                img.save(str(iconset / f"icon_{size // 2}x{size // 2}@2x.png"))
        out = ROOT / "packaging" / "tinyagent.icns"
        subprocess.run(["iconutil", "-c", "icns", str(iconset), "-o", str(out)], check=True)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
