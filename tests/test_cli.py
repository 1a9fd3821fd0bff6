import json
import subprocess
import sys

import pytest


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=600, **kw)


def test_version():
    out = cli("--version")
    assert out.returncode == 0 and out.stdout.startswith("tinyagent ")


def test_contacts_add_and_list(tmp_path):
    assert cli("contacts", "--data-dir", str(tmp_path), "add", "Sid Jha", "--email", "sid@example.com").returncode == 0
    listing = cli("contacts", "--data-dir", str(tmp_path), "list")
    assert "Sid Jha\tsid@example.com" in listing.stdout
    other = tmp_path / "other"  # the option after the action, as the README's newcomer typed it
    assert cli("contacts", "add", "Ana Lima", "--email", "ana@x.org", "--data-dir", str(other)).returncode == 0
    assert "Ana Lima\tana@x.org" in cli("contacts", "list", "--data-dir", str(other)).stdout
    assert "Ana Lima" not in cli("contacts", "--data-dir", str(tmp_path), "list").stdout


def test_unknown_model_file_is_a_clear_error(tmp_path):
    out = cli("--model", str(tmp_path / "nope.gguf"), "hello")
    assert out.returncode == 2 and "does not exist" in out.stderr


def test_toolrag_in_grammar_without_the_grammar_is_refused():
    out = cli("--toolrag-in", "grammar", "--no-grammar", "hello")
    assert out.returncode == 2 and "needs the grammar" in out.stderr


@pytest.mark.model
def test_json_dry_run_streams_events_and_writes_nothing(tmp_path):
    data = tmp_path / "data"
    cli("contacts", "--data-dir", str(data), "add", "Sid Jha", "--email", "sid@example.com", "--phone", "4155550100")
    out = cli("--model", "fast", "--json", "--dry-run", "--data-dir", str(data), "--now", "2026-11-23 10:00",
              "Text Sid that I am running late")
    assert out.returncode in (0, 1, 3), out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "Answer" and "PlanFinished" in kinds
    assert "PlanToken" in kinds
    assert not (data / "messages").exists()
