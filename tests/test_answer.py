"""The answer: one plain-words sentence per request (what was done, what was not, and why), and a
line for every way the plan as a whole went wrong. Runs real tools on a temporary data folder."""

from __future__ import annotations

import asyncio

import pytest

from engine.answer import past, requests, summarize
from engine.executor import Approval, Executor, RunResult
from engine.plan import PlanError, parse_plan
from engine.tools.local import LocalBackend
from engine.tools.spec import ToolBox, ToolSpec, ToolSpecError

DEMO = ('1. get_email_address("Sid")\n2. get_email_address("Lutfi")\n'
        '3. create_calendar_event("Demo", "2026-12-01 15:00:00", "2026-12-01 16:00:00", "", ["$1", "$2"], "", "")\n'
        '4. get_phone_number("Sid")\n5. send_sms(["$4"], "The demo is at 3pm")\n6. join()<END_OF_PLAN>')


@pytest.fixture
def box(tmp_path) -> ToolBox:
    backend = LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[])
    backend.contacts.add("Sid Jha", ["sid@example.com"], [])  # no phone number on his card
    backend.contacts.add("Lutfi Eren Erdoğan", ["lutfi@example.com"], ["+90 555 010 2030"])
    return backend.toolbox()


def _answer(box: ToolBox, text: str, **kw) -> str:
    plan = parse_plan(text, list(box))
    result = asyncio.run(Executor(box, **kw).run(plan.tasks))
    return summarize(plan, result, box.specs)


def test_one_sentence_per_request_and_a_failed_lookup_is_the_reason_in_words(box):
    lines = _answer(box, DEMO).splitlines()
    assert len(lines) == 2  # the event and the text; the lookups speak through them
    assert lines[0].startswith("Created 'Demo' on Tue 2026-12-01 15:00–16:00")
    assert "sid@example.com" in lines[0] and "lutfi@example.com" in lines[0]
    assert lines[1] == ("Did not text Sid: could not look up Sid's phone number "
                        "(Sid Jha has no phone number in the address book).")


def test_a_request_that_is_a_lookup_says_what_was_found(box):
    assert _answer(box, '1. get_email_address("Lutfi")\n2. join()') == \
        "Looked up Lutfi's e-mail address: lutfi@example.com"


def test_declined_and_dry_run_requests_say_they_were_not_done(box):
    async def no(task, call):
        return Approval(False, "skipped by you")

    plan = '1. get_phone_number("Lutfi")\n2. send_sms(["$1"], "hi")\n3. join()'
    assert _answer(box, plan, approve=no) == "Did not text Lutfi: declined: skipped by you."
    assert _answer(box, plan, dry_run=True) == "Would text Lutfi (dry run: not done)."


def test_a_side_effect_that_may_have_happened_is_not_called_undone():
    plan = parse_plan('1. send_sms(["+14155550100"], "hi")\n2. join()')
    result = RunResult(status={1: "failed"}, errors={1: "cancelled while running: it may have partly or fully completed"})
    answer = summarize(plan, result, _desktop())
    assert answer.startswith("May have texted +14155550100, but that cannot be confirmed")
    assert "Did not" not in answer


def test_a_chain_of_skips_is_followed_back_to_the_step_that_failed():
    plan = parse_plan('1. open_and_get_file_path("report.pdf")\n2. summarize_pdf("$1")\n'
                      '3. create_note("Report", "$2", "")\n4. join()')
    result = RunResult(status={1: "failed", 2: "skipped", 3: "skipped"}, blocked={2, 3},
                       errors={1: "No file named 'report.pdf'.", 2: "task 1 failed", 3: "task 2 skipped"})
    answer = summarize(plan, result, _desktop())
    assert answer.splitlines() == ["Did not open report.pdf: No file named 'report.pdf'.",
                                   "Did not create the note 'Report': could not open report.pdf (No file named 'report.pdf')."]


def test_what_a_step_ran_with_after_a_picked_fix_is_what_the_answer_names():
    plan = parse_plan('1. get_phone_number("Sidd")\n2. send_sms(["$1"], "hi")\n3. join()')
    result = RunResult(status={1: "succeeded", 2: "succeeded"}, results={1: "+14155550100", 2: ""},
                       calls={1: {"name": "Sid Jha"}, 2: {"recipients": ["+14155550100"], "message": "hi"}})
    assert summarize(plan, result, _desktop()) == "Texted Sid Jha."


def test_a_path_reads_as_its_file_name_and_a_result_already_said_is_not_repeated():
    plan = parse_plan('1. open_and_get_file_path("notes.txt")\n2. join()')
    result = RunResult(status={1: "succeeded"}, results={1: "/home/me/Documents/notes.txt"},
                       calls={1: {"file_name": "/home/me/Documents/notes.txt"}})
    assert summarize(plan, result, _desktop()) == "Opened notes.txt."


def test_requests_are_sinks_and_every_side_effect():
    plan = parse_plan('1. get_zoom_meeting_link("Demo", "2026-12-01 15:00:00", 60, [])\n2. get_email_address("Sid")\n'
                      '3. create_calendar_event("Demo", "2026-12-01 15:00:00", "", "$1", ["$2"], "", "")\n4. join()')
    assert [t.id for t in requests(plan, _desktop())] == [1, 3]


def test_tools_without_a_phrase_read_as_their_name_and_verbs_take_the_past_tense():
    plan = parse_plan('1. frobnicate("x")\n2. join()')
    assert summarize(plan, RunResult(status={1: "failed"}, errors={1: "boom"}), {}) == "Did not run frobnicate: boom."
    assert [past(a) for a in ("text Sid", "e-mail Ana", "reply to it", "add it", "send it", "show it", "look up")] == \
        ["texted Sid", "e-mailed Ana", "replied to it", "added it", "sent it", "showed it", "looked up"]


@pytest.mark.parametrize("action", ["text {nobody}", "text {recipients.__class__}", "text {}", "text {recipients"])
def test_a_phrase_that_names_no_parameter_is_refused_when_the_tool_set_loads(action):
    with pytest.raises(ToolSpecError):
        ToolSpec.from_json_schema({"name": "send", "parameters": {"properties": {"recipients": {"type": "string"}}},
                                   "x-action": action})


def test_answer_reports_a_plan_closed_for_repeating_a_broken_plan_and_nothing_to_do():
    plan = parse_plan('1. get_phone_number("Hannah")\n2. join()<END_OF_PLAN>')
    result = RunResult(results={1: "+14155550100"}, status={1: "succeeded"})
    assert "repeating an earlier step at step 3" in summarize(plan, result, _desktop(), repeated=3)
    assert "repeating" not in summarize(plan, result, _desktop())
    assert "None of the available tools" in summarize(parse_plan("1. join()<END_OF_PLAN>"), RunResult())
    broken = RunResult(plan_error=PlanError("unknown_tool", "get_mail is not a tool", 1))
    assert "could not be completed" in summarize(parse_plan("1. join()<END_OF_PLAN>"), broken)


def test_a_part_of_the_request_left_out_of_the_plan_is_named_in_the_answer():
    plan = parse_plan('1. create_reminder("Call Sid", "", "", "", 0, False)\n2. join()<END_OF_PLAN>')
    answer = summarize(plan, RunResult(status={1: "succeeded"}, results={1: "ok"}), _desktop(), unplanned=["send_sms"])
    assert "Not planned, though your request seems to ask for it: send_sms" in answer
    assert "Not planned" not in summarize(plan, RunResult(status={1: "succeeded"}, results={1: "ok"}), _desktop())


def _desktop() -> dict[str, ToolSpec]:
    from engine.tools.desktop import desktop_specs

    return {s.name: s for s in desktop_specs()}
