"""Data kinds in plans: a name is not an address, a reminder is not a PDF, an e-mail lookup is not
an attachment; the reference's own conventions (iMessage to an address, invite by phone, attach a
summary or a note) are accepted."""

from __future__ import annotations

import pytest

from engine.data.records import valid_records
from engine.kinds import Kind, check_plan_kinds, check_tool_set, require_kinds
from engine.plan import PlanError, parse_plan
from engine.tools.desktop import desktop_specs
from engine.tools.spec import ToolSpec, ToolSpecError

SPECS = desktop_specs()


def _bad(plan: str) -> list[str]:
    return [m.message() for m in check_plan_kinds(parse_plan(plan + "\nN. join()".replace("N", str(plan.count("\n") + 2)), SPECS), SPECS)]


@pytest.mark.parametrize(("plan", "words"), [
    ('1. send_sms(["Sid"], "hi")', "send_sms's recipients needs email_address or phone_number, not 'Sid'"),
    ('1. compose_new_email(["Lutfi"], [], "Hi", "hello", [])', "recipients needs email_address, not 'Lutfi'"),
    ('1. summarize_pdf("report.pdf")', "pdf_path needs file_path, not 'report.pdf'"),
    ('1. compose_new_email(["a@x.org"], [], "Deck", "", ["slides.pdf"])', "attachments needs"),
    ('1. create_reminder("Pay", "2026-12-01", "", "", 0, True)\n2. summarize_pdf("$1")', "pdf_path needs file_path, not $1 (text)"),
    ('1. get_email_address("Sid")\n2. open_and_get_file_path("a.pdf")\n3. get_email_address("Bo")\n'
     '4. compose_new_email(["$1"], [], "x", "y", ["$3"])',
     "attachments needs document or file_path or meeting_link or url, not $3 (email_address)"),
    ('1. get_phone_number("Sid")\n2. forward_email(["$1"], [], "", [])', "recipients needs email_address, not $1 (phone_number)"),
])
def test_dataflow_mistakes_are_named(plan, words):
    bad = _bad(plan)
    assert bad and words in bad[0]


@pytest.mark.parametrize("plan", [
    '1. get_email_address("Sid")\n2. get_email_address("Lutfi")\n'
    '3. create_calendar_event("Demo", "2026-12-01 15:00:00", "", "", ["$1", "$2"], "", None)\n'
    '4. get_phone_number("Sid")\n5. send_sms(["$4"], "Demo at 3")',
    '1. get_email_address("Sid")\n2. send_sms(["$1"], "hi")',  # iMessage takes an address
    '1. get_phone_number("Sid")\n2. create_calendar_event("x", "2026-12-01 15:00:00", "", "", ["$1"], "", None)',
    '1. open_and_get_file_path("a.pdf")\n2. summarize_pdf("$1")\n3. get_email_address("Bo")\n'
    '4. compose_new_email(["$3"], [], "Summary", "$2", ["$1", "$2"])',  # a summary attached as text
    '1. create_note("Plan", "x", "")\n2. compose_new_email(["bo@x.org"], [], "Plan", "", ["$1"])',  # the note itself
    '1. maps_open_location("SFO")\n2. reply_to_email([], "Here: $1", ["$1"])',
    '1. send_sms(["+1 415 555 0100", "bo@x.org"], "hi")\n2. summarize_pdf("/home/me/Documents/a.pdf")',
])
def test_plans_with_the_right_kinds_pass(plan):
    assert _bad(plan) == []


def test_a_plan_from_anywhere_gets_a_kind_error():
    plan = parse_plan('1. send_sms(["Sid"], "hi")\n2. join()', SPECS)
    with pytest.raises(PlanError) as err:
        require_kinds(plan, SPECS)
    assert err.value.kind == "kind" and err.value.task_id == 1


def test_a_tool_set_without_kinds_is_not_checked():
    def text(to: list[str], body: str) -> str:
        """Sends."""
        return ""

    spec = ToolSpec.from_function(text)
    assert check_plan_kinds(parse_plan('1. text(["Sid"], "hi")\n2. join()', [spec]), [spec]) == []


def test_kinds_round_trip_through_json_and_contradictions_are_refused_at_load():
    for spec in SPECS:
        assert ToolSpec.from_json_schema(spec.to_json_schema()) == spec
    check_tool_set(SPECS)
    odd = ToolSpec.from_json_schema({"name": "x", "parameters": {"properties": {"a": {"type": "string", "x-kind": "colour"}}}})
    with pytest.raises(ToolSpecError, match="unknown data kind 'colour'"):
        check_tool_set([odd])
    orphan = ToolSpec.from_json_schema({"name": "join_call", "parameters": {
        "properties": {"link": {"type": "string", "x-kind": [Kind.MEETING_LINK.value]}}}})
    with pytest.raises(ToolSpecError, match="accepts only meeting_link, which no tool returns"):
        check_tool_set([orphan])


def test_the_reference_plans_rejected_are_few_and_each_of_a_reviewed_kind(reference_examples):
    reviewed = {("summarize_pdf", "pdf_path"), ("forward_email", "attachments"), ("forward_email", "recipients"),
                ("compose_new_email", "attachments"), ("reply_to_email", "attachments"),
                ("get_zoom_meeting_link", "meeting_invitees")}
    rejected = 0
    total = 0
    for _, plan in valid_records(reference_examples, SPECS):
        total += 1
        bad = check_plan_kinds(plan, SPECS)
        rejected += bool(bad)
        assert {(m.tool, m.param) for m in bad} <= reviewed
    assert total > 1000 and rejected <= 22
