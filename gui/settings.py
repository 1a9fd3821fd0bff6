"""Settings: what they are (a small dataclass saved as JSON) and the dialog that edits them.

Saved in the config dir (``$XDG_CONFIG_HOME/tinyagent/settings.json``), not the data dir, because
the data dir is itself a setting. A missing or unreadable file gives the defaults and a message;
it is never overwritten until the person saves new settings.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.config import Config, Selection
from engine.tools.local import default_file_roots
from engine.tools.spec import ToolSpec

TOOLRAG_CHOICES = ("classifier", "none", "embed")
"""The selectors offered in the dialog (``embed:K`` can be set in the settings file)."""


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return Path(base) / "tinyagent" / "settings.json"


@dataclass
class Settings:
    """The app's settings: the engine's ``Config`` as it is (one validator, one set of defaults)
    and what only the app has (approval, voice)."""

    config: Config = field(default_factory=Config)
    approve_mode: bool = True
    always_allow: list[str] = field(default_factory=list)
    voice_model: str = "default"
    voice_sends: bool = False  # send a transcript at once instead of leaving it in the box

    @classmethod
    def load(cls, path: Path) -> tuple[Settings, str | None]:
        """The saved settings, or the defaults and a message saying why they were not read. A
        value of the wrong type falls back to its default and is named; the rest are kept."""
        if not path.is_file():
            return cls(), None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except RecursionError:
            return cls(), f"Settings file {path} is nested too deeply to be settings; using the defaults until you save."
        except (OSError, ValueError) as exc:
            return cls(), f"Settings file {path} could not be read ({exc}); using the defaults until you save."
        if not isinstance(raw, dict):
            return cls(), f"Settings file {path} holds a {type(raw).__name__}, not settings; using the defaults until you save."
        engine_raw = raw.get("config") if isinstance(raw.get("config"), dict) else _flat_config(raw)
        config, dropped = Config.from_dict(engine_raw)
        defaults = cls()
        kept: dict[str, object] = {}
        for f in fields(cls):
            if f.name == "config" or f.name not in raw:
                continue
            value, want = raw[f.name], type(getattr(defaults, f.name))
            ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
            if ok and want is list:
                ok = all(isinstance(x, str) for x in value)
            if ok:
                kept[f.name] = value
            else:
                dropped.append(f.name)
        note = None
        if dropped:
            note = f"Settings file {path}: {', '.join(dropped)} had the wrong type; using the defaults for them until you save."
        return cls(config=config, **kept), note  # type: ignore[arg-type]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        data = {"config": self.config.to_dict(), **{k: v for k, v in asdict(self).items() if k != "config"}}
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        tmp.replace(path)


_FLAT = {"model": "model", "lora": "lora", "data_dir": "data_dir", "toolrag": "toolrag", "toolrag_in": "selection",
         "threads": "threads"}
"""Settings files written before the app held a ``Config`` kept these beside the app's own."""


def _flat_config(raw: dict[str, object]) -> dict[str, object]:
    """An older flat settings file's engine values, as ``Config.from_dict`` reads them ("" and 0
    meant "the default" there)."""
    flat = {new: raw[old] for old, new in _FLAT.items() if old in raw and raw[old] not in ("", 0)}
    if flat.get("model") == "default":
        del flat["model"]  # it meant "whatever plans by default", now the tuned planner, not the manifest's "default"
    return flat


def check_model(model: str, lora: str = "") -> str:
    """Load a model once to tell the person, before they rely on it, whether it works."""
    from engine import models
    from engine.llama import LocalLLM

    try:
        path = models.resolve(model or None)
        adapter = models.default_adapter(model or None, lora or None)
        llm = LocalLLM(path, n_ctx=512, lora_path=adapter)
    except Exception as exc:  # any failure is the answer to show
        return f"✗ {exc}"
    return f"✓ {path.name}{' + ' + Path(adapter).name if adapter else ''} loads ({llm.load_seconds:.1f} s)"


def _picker(edit: QLineEdit, caption: str, pattern: str, directory: bool = False) -> QWidget:
    row = QWidget()
    box = QHBoxLayout(row)
    box.setContentsMargins(0, 0, 0, 0)
    browse = QPushButton("Browse…")

    def pick() -> None:
        chosen = (QFileDialog.getExistingDirectory(row, caption) if directory
                  else QFileDialog.getOpenFileName(row, caption, "", pattern)[0])
        if chosen:
            edit.setText(chosen)

    browse.clicked.connect(pick)
    box.addWidget(edit)
    box.addWidget(browse)
    return row


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, tools: list[ToolSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.config = settings.config
        self.model = QLineEdit(settings.config.model or "")
        self.model.setPlaceholderText("the tuned planner; or default (the general 1.5B), fast, or a .gguf file")
        self.lora = QLineEdit(settings.config.lora or "")
        self.lora.setPlaceholderText("optional GGUF LoRA adapter")
        self.check = QPushButton("Check that it loads")
        self.check_result = QLabel("")
        self.check_result.setWordWrap(True)
        self.check.clicked.connect(self._check)
        self.data_dir = QLineEdit(str(settings.config.data_dir or ""))
        self.data_dir.setPlaceholderText("default data folder")
        self.toolrag = QComboBox()
        self.toolrag.addItems(TOOLRAG_CHOICES)
        self.toolrag.setCurrentText(settings.config.toolrag)
        self.selection = QCheckBox("Describe every tool; the choice limits only what the plan may call (faster on a CPU)")
        self.selection.setToolTip("The prompt then stays the same for every command, so its evaluation is cached.")
        self.selection.setChecked(settings.config.planner.selection is Selection.GRAMMAR)
        self.selection.setEnabled(settings.config.planner.grammar)  # without the grammar the choice must be described
        self.approve = QCheckBox("Ask before anything that sends, creates or changes")
        self.approve.setChecked(settings.approve_mode)
        self.always = QListWidget()
        for spec in tools:
            if spec.side_effect:
                item = QListWidgetItem(spec.name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if spec.name in settings.always_allow else Qt.CheckState.Unchecked)
                self.always.addItem(item)
        self.voice_model = QLineEdit(settings.voice_model)
        self.voice_model.setPlaceholderText("default, or a ggml Whisper .bin file")
        self.voice_sends = QCheckBox("Send what I said at once (otherwise it waits in the command box)")
        self.voice_sends.setChecked(settings.voice_sends)
        self.threads = QSpinBox()
        self.threads.setRange(0, os.cpu_count() or 64)
        self.threads.setSpecialValueText("all cores")
        self.threads.setValue(settings.config.threads or 0)

        roots = settings.config.file_roots or default_file_roots(settings.config.data_dir)
        self.file_roots = QLabel("\n".join(str(r) for r in roots))
        self.file_roots.setTextFormat(Qt.TextFormat.PlainText)
        self.file_roots.setToolTip("Files in these folders (and no others) may be opened, summarised and attached. "
                                   "Change them with tinyagent --files or file_roots in the settings file.")

        self.mcp = QPlainTextEdit("\n".join(settings.config.mcp))
        self.mcp.setPlaceholderText("one command per line, e.g. uvx mcp-server-time")
        self.mcp.setToolTip("MCP servers started over stdio when the model loads; their tools are planned beside the "
                            "desktop ones. Only tools a server marks read-only run without asking.")
        self.mcp.setFixedHeight(64)

        form = QFormLayout()
        form.addRow("Model", _picker(self.model, "Choose a GGUF model", "GGUF models (*.gguf)"))
        form.addRow("LoRA adapter", _picker(self.lora, "Choose a GGUF LoRA adapter", "GGUF (*.gguf)"))
        form.addRow("", self.check)
        form.addRow("", self.check_result)
        form.addRow("Data folder", _picker(self.data_dir, "Choose the data folder", "", directory=True))
        form.addRow("Files from", self.file_roots)
        form.addRow("Tool selection", self.toolrag)
        form.addRow("", self.selection)
        form.addRow("Approval", self.approve)
        form.addRow("Always allow", self.always)
        form.addRow("MCP servers", self.mcp)
        form.addRow("Voice model", _picker(self.voice_model, "Choose a Whisper model", "ggml models (*.bin)"))
        form.addRow("", self.voice_sends)
        form.addRow("Threads", self.threads)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._check_job: asyncio.Task[None] | None = None

    def _check(self) -> None:
        self.check_result.setText("Loading…")
        self.check.setEnabled(False)
        self._check_job = asyncio.ensure_future(self._run_check())

    async def _run_check(self) -> None:
        try:
            self.check_result.setText(await asyncio.to_thread(check_model, self.model.text().strip(), self.lora.text().strip()))
        finally:
            self.check.setEnabled(True)

    def value(self) -> Settings:
        allowed = [self.always.item(i).text() for i in range(self.always.count())
                   if self.always.item(i).checkState() == Qt.CheckState.Checked]
        model = self.model.text().strip()
        return Settings(
            config=self.config.replace(
                model=model or None, lora=self.lora.text().strip() or None,
                data_dir=self.data_dir.text().strip() or None, toolrag=self.toolrag.currentText(),
                selection=Selection.GRAMMAR if self.selection.isChecked() else Selection.PROMPT,
                threads=self.threads.value() or None,
                mcp=tuple(line.strip() for line in self.mcp.toPlainText().splitlines() if line.strip())),
            approve_mode=self.approve.isChecked(), always_allow=allowed,
            voice_model=self.voice_model.text().strip() or "default", voice_sends=self.voice_sends.isChecked(),
        )
