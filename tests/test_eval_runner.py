"""``tinyagent eval`` end to end with a real model (the 270M one: the fastest), on a hand-written set."""

import json

import pytest

from engine.eval import runner

pytestmark = pytest.mark.model

RECORDS = [
    {"id": "r1", "query": "Remind me to buy milk tomorrow at 9am", "date": "2026-11-23 10:00", "tools": ["create_reminder"],
     "plan": '1. create_reminder("Buy milk", "2026-11-24 09:00:00", "", "", 0, False)\n2. join()<END_OF_PLAN>'},
    {"id": "r2", "query": "Text Sid that I'm running late", "date": "2026-11-23 10:00", "tools": ["get_phone_number", "send_sms"],
     "plan": '1. get_phone_number("Sid")\n2. send_sms(["$1"], "I\'m running late")\n3. join()<END_OF_PLAN>'},
    {"id": "r3", "query": "Open the location of the Ferry Building", "date": None, "tools": ["maps_open_location"],
     "plan": '1. maps_open_location("Ferry Building")\n2. join()<END_OF_PLAN>'},
]


def _eval(tmp_path, *extra: str) -> dict:
    out = tmp_path / "results.jsonl"
    argv = ["--set", str(tmp_path / "set.jsonl"), "--model", "tiny", "--toolrag", "oracle", "--examples", "1",
            "--out", str(out), "--threads", "2", *extra]
    assert runner.main(argv) == 0
    return json.loads(out.with_name("results.summary.json").read_text())


def test_eval_scores_a_set_skips_bad_lines_and_resumes(tmp_path, capsys):
    lines = [json.dumps(RECORDS[0]), "{not json", *(json.dumps(r) for r in RECORDS[1:])]
    (tmp_path / "set.jsonl").write_text("\n".join(lines) + "\n")
    first = _eval(tmp_path, "--limit", "2")
    assert "set.jsonl:2" in capsys.readouterr().err
    assert first["records"] == 2
    out = tmp_path / "results.jsonl"
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["r1", "r2"]

    # A stored plan is kept and scored again, not planned again: make r1's plan wrong on disk.
    rows[0]["pred"] = '1. maps_open_location("Paris")\n2. join()<END_OF_PLAN>'
    out.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"id": "r3", "pred": "cut sh')
    second = _eval(tmp_path, "--resume")
    assert "resuming: 2 records" in capsys.readouterr().err
    assert second["records"] == 3
    again = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(again) == {"r1", "r2", "r3"}
    assert again["r1"]["pred"] == rows[0]["pred"] and again["r1"]["success"] is False
    assert again["r2"]["pred"] == rows[1]["pred"]
    assert again["r3"]["pred"].startswith("1. ")

    # Resuming with options that plan differently would mix two runs in one row: refused, nothing lost.
    before = out.read_text()
    argv = ["--set", str(tmp_path / "set.jsonl"), "--model", "tiny", "--toolrag", "oracle", "--examples", "1",
            "--out", str(out), "--resume", "--no-grammar"]
    assert runner.main(argv) == 2
    assert "grammar True (now False)" in capsys.readouterr().err and out.read_text() == before

    # A second run on a results file another eval is writing would interleave the two: refused.
    import fcntl

    with open(out, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert runner.main(argv[:-1]) == 2
    assert "another eval is writing" in capsys.readouterr().err and out.read_text() == before
