"""Packaging, checked on any OS: the plist keys macOS needs, the entitlements of the hardened
runtime, the scripts' syntax, the Linux desktop entry, and a wheel that carries every resource."""

import configparser
import plistlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

import setup_py2app  # noqa: E402


def test_info_plist_has_usage_descriptions_bundle_id_and_version():
    plist = setup_py2app.PLIST
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert plist["CFBundleShortVersionString"] == version and plist["CFBundleIdentifier"] == "org.tinyagent.desktop"
    for key in ("NSAppleEventsUsageDescription", "NSMicrophoneUsageDescription"):
        assert len(plist[key]) > 20, key  # macOS refuses silently without them
    plistlib.dumps(plist)  # serialisable as an Info.plist


def test_entitlements_for_the_hardened_runtime():
    ent = plistlib.loads((ROOT / "packaging" / "entitlements.plist").read_bytes())
    for key in ("com.apple.security.automation.apple-events", "com.apple.security.device.audio-input",
                "com.apple.security.cs.allow-unsigned-executable-memory"):
        assert ent.get(key) is True, key


def test_shell_scripts_parse():
    for script in ("packaging/sign_and_notarize.sh", "packaging/linux/install-desktop-entry.sh", "setup.sh", ".ci/run"):
        subprocess.run(["bash", "-n", str(ROOT / script)], check=True)
    text = (ROOT / "packaging" / "sign_and_notarize.sh").read_text()
    for step in ("--options runtime", "--entitlements", "notarytool submit", "stapler staple", "codesign --verify"):
        assert step in text


def test_desktop_entry():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "packaging" / "linux" / "tinyagent.desktop")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Exec"] == "tinyagent-gui" and d["Icon"] == "tinyagent"
    assert (ROOT / "resources" / "icons" / "tinyagent.svg").is_file()


def test_py2app_options_name_the_native_libraries_it_cannot_find_itself():
    src = (ROOT / "packaging" / "setup_py2app.py").read_text()
    assert '"llama_cpp") / "lib"' in src and "pywhispercpp" in src and "frameworks" in src


@pytest.mark.slow
def test_wheel_carries_packages_resources_and_entry_points(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True)
    (wheel,) = tmp_path.glob("tinyagent-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("engine/tools/macos/osascript.py", "engine/speech/worker.py", "gui/settings.py",
                   "tinyagent_resources/applescript/send_sms.applescript", "tinyagent_resources/examples/synthetic.jsonl",
                   "tinyagent_resources/tools/desktop.json", "tinyagent_models/manifest.json", "tinyagent_models/toolrag/head.npz",
                   "tinyagent_models/planner-lora/planner-lora.gguf", "tinyagent_models/planner-lora/manifest.json",
                   "tinyagent_models/planner-compact/planner-lora.gguf", "tinyagent_models/planner-compact/manifest.json"):
        assert needed in names, needed
    assert not any("/checkpoints/" in n for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert re.search(r"tinyagent = engine\.cli:main", text) and "tinyagent-gui = gui.app:main" in text
