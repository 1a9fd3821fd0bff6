from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.tools.local import LocalBackend


@pytest.fixture
def backend(tmp_path):
    b = LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[tmp_path / "data" / "files"])
    b.contacts.add("Sid Jha", ["sid@example.com"], ["415 555 0100"])
    b.contacts.add("Lutfi Eren Erdoğan", ["lutfi@example.com"], ["+90 555 010 2030"])
    return b


REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference-examples.jsonl"


@pytest.fixture(scope="session")
def reference_examples() -> Path:
    """The reference's 1,010 examples in ``../shared`` (CI lays it beside the clone)."""
    if not REFERENCE.is_file():
        pytest.skip("../shared/data/reference-examples.jsonl is not here")
    return REFERENCE


@pytest.fixture
def home(tmp_path):
    """A home folder whose allowed ``Documents`` sits beside secrets a plan must never reach: a
    hidden ``.env`` inside it, ``~/.ssh/id_rsa`` and a file beside home."""
    docs = tmp_path / "home" / "Documents"
    docs.mkdir(parents=True)
    (docs / ".env").write_text("SMTP_PASSWORD=hunter2")
    (tmp_path / "home" / ".ssh").mkdir()
    (tmp_path / "home" / ".ssh" / "id_rsa").write_text("PRIVATE KEY")
    (tmp_path / "secret.txt").write_text("secret")
    return tmp_path / "home"


@pytest.fixture(scope="session")
def model_path():
    """The real default model (assembled from its PyPI parts by setup.sh)."""
    from engine import models

    return models.resolve(os.environ.get("TINYAGENT_TEST_MODEL") or "default")


@pytest.fixture(scope="session")
def fast_model_path():
    from engine import models

    return models.resolve("fast")


@pytest.fixture(scope="session")
def llm(model_path):
    from engine.llama import LocalLLM

    return LocalLLM(model_path)
