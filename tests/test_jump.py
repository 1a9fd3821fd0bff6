"""Jump-forward decoding's pure parts: what the grammar forces next (``engine.grammar.forced_text``)
and how the runtime cuts the text it streams (``engine.llama.model``). No weights."""

import pytest

from engine.grammar import END_OF_PLAN, forced_text
from engine.llama.model import _stop_start, _utf8_prefix
from engine.tools.desktop import desktop_specs

NAMES = [s.name for s in desktop_specs()]
PLANS = [
    '1. get_email_address("Sid")\n2. get_email_address("Lutfi")\n'
    '3. create_calendar_event("Demo", "2026-11-24 15:00:00", "2026-11-24 16:00:00", "", ["$1", "$2"], "", None)\n'
    "4. join()<END_OF_PLAN>",
    "1. join()<END_OF_PLAN>",
    '1. open_and_get_file_path("Report")\n2. summarize_pdf("$1")\n3. compose_new_email(["a@b.c"], [], "S", "$2", [])\n'
    "4. join()<END_OF_PLAN>",
    '1. maps_show_directions("", "SFO", "r")\n2. get_phone_number("Grace")\n'
    '3. send_sms(["$2"], "Here: $1")\n4. join()<END_OF_PLAN>',
]


@pytest.mark.parametrize("plan", PLANS)
def test_what_is_forced_is_always_what_follows(plan):
    """At every character of a valid plan, the forced text is exactly how the plan goes on: a
    runtime that writes it can never write something the model was not going to."""
    for at in range(len(plan)):
        forced = forced_text(plan[:at], NAMES)
        assert plan[at:].startswith(forced), (plan[:at], forced)


def test_what_is_forced():
    assert forced_text("", NAMES) == "1."
    assert forced_text('1. get_phone_number("Sid")\n', NAMES) == "2."
    assert forced_text('1. get_phone_number("Sid")\n', NAMES, first=4) == "5."
    assert forced_text("1. get_email", NAMES) == "_address"
    assert forced_text("1. get_phone", NAMES) == "_number"
    assert forced_text("1. jo", NAMES) == ""
    assert forced_text("1. join", NAMES) == "()" + END_OF_PLAN
    assert forced_text("2. create", NAMES) == ""
    assert forced_text("2. create_calendar", NAMES) == "_event"


def test_nothing_is_forced_where_the_model_chooses():
    assert forced_text("1.", NAMES) == ""
    assert forced_text("1. ", NAMES) == ""
    assert forced_text("1. get", NAMES) == ""
    assert forced_text('1. get_email_address("Si', NAMES) == ""
    assert forced_text('1. send_sms(["$1"], "2. get_email', NAMES) == ""


def test_only_offered_tools_are_completed():
    assert forced_text("1. get", ["get_phone_number", "send_sms"]) == "_phone_number"
    assert forced_text("1. get", ["get_phone_number", "get_email_address"]) == ""
    assert forced_text("1. sum", ["summarize_pdf"]) == ""


def test_utf8_prefix_holds_back_a_cut_character():
    word = "Zoë".encode()
    assert _utf8_prefix(word) == "Zoë"
    assert _utf8_prefix(word[:-1]) == "Zo"
    assert _utf8_prefix(b"\xff" + word) == "\ufffdZoë"


def test_stop_start_holds_back_what_may_begin_a_stop():
    stop = [END_OF_PLAN]
    assert _stop_start("1. join()", stop) == 0
    assert _stop_start("1. join()<", stop) == 1
    assert _stop_start("1. join()<END_OF", stop) == len("<END_OF")
    assert _stop_start("a < b", stop) == 0
    assert _stop_start("x", []) == 0
