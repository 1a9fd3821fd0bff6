"""The data-kind guard decides on plan prefixes, as the sampler asks it token by token."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from engine.kindguard import KindGuard, query_literals
from engine.kinds import Kind, check_plan_kinds
from engine.tools.desktop import desktop_specs

SPECS = desktop_specs()
LOOKUP = '1. get_phone_number("Sid")\n'


@pytest.mark.parametrize(("query", "prefix"), [
    ("Text Sid that I'm late", "1. send"),  # nothing can give send_sms a number yet: look it up first
    ("Text Sid that I'm late", '1. get_phone_number("Sid")\n2. send_sms(["S'),  # a name is not a number
    ("Text Sid that I'm late", '1. get_phone_number("Sid")\n2. send_sms(["$2'),  # no task 2 before it
    ("Text Sid that I'm late", '1. get_phone_number("Sid")\n2. send_sms([]'),  # a text needs a recipient
    ("Text Sid that I'm late", '1. get_phone_number("Sid")\n2. send_sms([""'),
    ("Email Priya", '1. get_email_address("Priya")\n2. forward_email(["$1"], [], "", ["'),  # nothing to attach: close the list
    ("Email Bo", '1. get_phone_number("Bo")\n2. compose_new_email(["$1"'),  # a number is not an address
    ("Email Bo the deck", '1. get_email_address("Bo")\n2. compose_new_email(["$1"], [], "s", "c", ["$1"]'),
    ("Summarize report.pdf", '1. summarize_pdf("rep'),  # a file name needs open_and_get_file_path
    ("Remind me and summarize it", '1. create_reminder("x", "", "", "", 0, False)\n2. summarize_pdf("$1"'),
    ("Text +1 415 555 0199 hi", '1. send_sms(["+1 416'),  # only the number the query holds
    ("Forward this to the landlord, Mr. Okonkwo", '1. get_email_address("the o'),  # nobody it names
    ("Text Sid that I'm late", '1. get_phone_number("Bob")'),
    ("Text Sid that I'm late", '1. get_phone_number("")'),  # a lookup of nobody
    ("Show Nashville and mail valentina.w@startup.io", '1. get_email_address("Valentina W'),
])
def test_prefixes_that_cannot_end_in_the_right_kinds_are_refused(query, prefix):
    assert not KindGuard(SPECS, query).allows(prefix)


@pytest.mark.parametrize(("query", "prefix"), [
    ("Text Sid that I'm late", "1. get_"),
    ("Text Sid that I'm late", '1. get_phone_number("Sid")\n2. send_sms(["$'),
    ("Text Sid that I'm late", '1. get_phone_number("Sid")\n2. send_sms(["$1"], "late")\n3. join()<END_OF_PLAN>'),
    ("Text Sid that I'm late", '1. get_email_address("Sid")\n2. send_sms(["$1"'),  # iMessage takes an address
    ("Text +1 415 555 0199 hi", '1. send_sms(["+1 415 555 0199"], "hi")'),
    ("Email ravi.k@fastmail.com the notes", '1. compose_new_email(["ravi.k@fastmail.com"], [], "Notes", "", [])'),
    ("Summarize ~/Documents/q3.pdf", '1. summarize_pdf("~/Documents/q3.pdf")'),
    ("Email Bo the summary", '1. open_and_get_file_path("a.pdf")\n2. summarize_pdf("$1")\n3. get_email_address("Bo")\n'
                             '4. compose_new_email(["$3"], [], "S", "$2", ["$1", "$2"])'),
    ("Remind me to pay rent", '1. create_reminder("Pay rent", "", "", "", 0, False)'),  # no kinds, no checks
    ("text SID  Patel", '1. get_phone_number("Sid Patel")'),  # case and spacing are not words
    ("Forward this to the landlord, Mr. Okonkwo", '1. get_email_address("Mr. Okonkwo")'),
    ("Email Alice, then text her", '1. get_email_address("Alice")\n2. get_phone_number("$1")'),
])
def test_prefixes_that_can_still_end_well_pass(query, prefix):
    assert KindGuard(SPECS, query).allows(prefix)


def test_a_replan_round_leaves_the_names_it_looks_up_to_provenance():
    """Round two may name people of the first round's plan; engine.provenance checks its steps."""
    lookup = '1. get_email_address("Bob")'
    assert not KindGuard(SPECS, "Email everyone in my Team note").allows(lookup)
    assert KindGuard(SPECS, "Email everyone in my Team note", names_from_query=False).allows(lookup)


def test_join_waits_for_a_sure_tool_that_can_still_be_planned():
    guard = KindGuard(SPECS, "Remind me to call Sid and text him the time", sure=["send_sms"])
    assert not guard.allows('1. create_reminder("Call Sid", "", "", "", 0, False)\n2. join()')
    assert guard.allows(f'{LOOKUP}2. send_sms(["$1"], "at 5")\n3. join()')
    only_reminders = [s for s in SPECS if s.name in ("create_reminder", "send_sms")]  # nothing gives a number
    assert KindGuard(only_reminders, "Remind me and text Sid", sure=["send_sms"]).allows("1. join()")
    assert KindGuard(SPECS, "x", sure=["send_sms"], max_steps=1).allows('1. create_note("a", "", "")\n2. join()')


def test_query_literals_are_the_addresses_numbers_and_paths_written_in_it():
    found = query_literals("mail ravi.k@fastmail.com, text +1 415 555 0199 or (415) 555-0100, attach ~/Docs/a.pdf.")
    assert found == {"ravi.k@fastmail.com": {Kind.EMAIL}, "+1 415 555 0199": {Kind.PHONE},
                     "(415) 555-0100": {Kind.PHONE}, "~/Docs/a.pdf": {Kind.FILE}}


@pytest.mark.model
def test_plans_written_under_the_guard_have_the_right_kinds(fast_model_path):
    from engine.llama import LocalLLM
    from engine.planner import Planner, PlannerConfig

    llm = LocalLLM(fast_model_path, n_threads=2)
    planner = Planner(llm, SPECS, config=PlannerConfig(kinds=True, selection="grammar"))
    now = dt.datetime(2026, 11, 30, 9, 0)
    for query in ("Email report.pdf to Priya and cc Jonas", "Text Sid and Lutfi that the demo moved to 4pm",
                  "Summarize Q3 Report.pdf and send the summary to Lutfi"):
        stream = asyncio.run(planner.plan(query, now))
        assert stream.error is None and check_plan_kinds(stream.plan, SPECS) == [], stream.plan_text


def test_the_guard_is_on_by_default_wherever_it_can_run():
    from engine.agent import Agent
    from engine.generation import ScriptedLLM
    from engine.planner import PlannerConfig

    assert PlannerConfig().kinds is True
    assert PlannerConfig(grammar=False).kinds is False and PlannerConfig(check_first=False).kinds is False
    with pytest.raises(ValueError):
        PlannerConfig(grammar=False, kinds=True)

    def lookup(key: str) -> str:
        """A tool set that declares no kinds has nothing for the guard to hold."""
        return key

    assert Agent.for_tools([lookup], model=ScriptedLLM([])).planner.config.kinds is False
