"""Counting how consistently plans follow a convention the request does not decide."""

from __future__ import annotations

import json

from engine.data.__main__ import main
from engine.data.conventions import CONVENTIONS, sender, tally
from engine.tools.desktop import desktop_specs

REPLY = "Reply to the email from John with the slides attached"
LOOKED_UP = ('1. get_email_address("John")\n2. open_and_get_file_path("slides")\n'
             '3. reply_to_email(["$1"], "", ["$2"])\n4. join()<END_OF_PLAN>')
NOT_LOOKED_UP = '1. open_and_get_file_path("slides")\n2. reply_to_email([], "", ["$1"])\n3. join()<END_OF_PLAN>'
APPEND = 'Add "milk" to my Groceries note'
OPENED = '1. open_note("Groceries", "")\n2. append_note_content("Groceries", "milk", "")\n3. join()<END_OF_PLAN>'
NOT_OPENED = '1. append_note_content("Groceries", "milk", "")\n2. join()<END_OF_PLAN>'


def _by_name(tallies):
    return {t.convention.name: t for t in tallies}


def test_the_sender_is_read_from_both_ways_of_saying_it():
    assert sender("Reply to the latest email from Sarah, cc Tom") == "Sarah"
    assert sender("First reply to John's email about the demo") == "John"
    assert sender("Email John about the demo") is None


def test_records_are_counted_where_a_convention_applies_and_where_they_follow_it():
    rows = [{"query": REPLY, "plan": LOOKED_UP}, {"query": REPLY, "plan": NOT_LOOKED_UP},
            {"query": APPEND, "plan": OPENED}, {"query": APPEND, "plan": NOT_OPENED}, {"query": APPEND, "plan": NOT_OPENED},
            {"query": "Email John", "plan": '1. get_email_address("John")\n2. join()<END_OF_PLAN>'}]
    got = _by_name(tally(rows, desktop_specs()))
    assert (got["reply-looks-up-sender"].applies, got["reply-looks-up-sender"].follows) == (2, 1)
    assert (got["append-opens-note"].applies, got["append-opens-note"].follows) == (3, 1)
    assert got["phone-via-email"].applies == 0
    assert all(t.compared == 0 for t in got.values())


def test_results_count_agreement_and_the_failures_on_the_other_choice():
    rows = [{"query": REPLY, "truth": LOOKED_UP, "pred": NOT_LOOKED_UP, "success": False},
            {"query": REPLY, "truth": LOOKED_UP, "pred": LOOKED_UP, "success": True},
            {"query": APPEND, "truth": NOT_OPENED, "pred": OPENED, "success": False},
            {"query": APPEND, "truth": NOT_OPENED, "pred": "1. garbage(", "success": False}]
    got = _by_name(tally(rows, desktop_specs()))
    reply, append = got["reply-looks-up-sender"], got["append-opens-note"]
    assert (reply.compared, reply.agrees, reply.failed_on_it) == (2, 1, 1)
    assert (append.applies, append.compared, append.agrees, append.failed_on_it) == (2, 1, 0, 1)


def test_the_command_prints_a_table_per_file_and_names_a_malformed_line(tmp_path, capsys):
    good = tmp_path / "set.jsonl"
    good.write_text(json.dumps({"query": REPLY, "plan": LOOKED_UP}) + "\n", encoding="utf-8")
    assert main(["conventions", str(good)]) == 0
    out = capsys.readouterr().out
    assert all(c.name in out for c in CONVENTIONS) and "| 1 | 1 (100%) |" in out
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"query": REPLY, "plan": LOOKED_UP}) + "\n{not json\n", encoding="utf-8")
    assert main(["conventions", str(bad)]) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text(json.dumps({"question": "hi"}) + "\n", encoding="utf-8")
    assert main(["conventions", str(foreign)]) == 2
    assert "foreign.jsonl:1: neither a record" in capsys.readouterr().err
