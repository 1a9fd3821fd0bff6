"""The generated grammar, checked with llama.cpp's own grammar engine (vocabulary only, but read from
the 0.5B model's file, so these tests carry the ``model`` marker)."""

import pytest

from engine.grammar import plan_grammar
from engine.llama import GrammarChecker
from engine.tools.desktop import desktop_specs

pytestmark = pytest.mark.model

SPECS = desktop_specs()
GOOD = [
    '1. get_email_address("Sid")\n2. get_email_address("Lutfi")\n'
    '3. create_calendar_event("Demo", "2026-11-24 15:00:00", "2026-11-24 16:00:00", "", ["$1", "$2"], "", None)\n'
    "4. join()<END_OF_PLAN>",
    "1. join()<END_OF_PLAN>",
    '1. create_reminder("Buy milk", "2026-11-24 09:00:00", "", "", 0, False)\n2. join()<END_OF_PLAN>',
    '1. maps_show_directions("", "SFO", "r")\n2. get_phone_number("Grace")\n'
    '3. send_sms(["$2"], "Here: $1 \\"quoted\\"")\n4. join()<END_OF_PLAN>',
    '1. get_zoom_meeting_link("Sync", "2026-11-24 10:00:00", -5, [])\n2. join()<END_OF_PLAN>',
    '1. create_reminder("x", "", "", "", 2000000, False)\n2. join()<END_OF_PLAN>',  # no longer cut to 6 digits
]
BAD = {
    "unknown tool": '1. get_mail("Sid")\n2. join()<END_OF_PLAN>',
    "too many args": '1. get_email_address("Sid", "x")\n2. join()<END_OF_PLAN>',
    "too few args": '1. send_sms(["a"])\n2. join()<END_OF_PLAN>',
    "int as string": '1. create_reminder("x", "", "", "", "high", False)\n2. join()<END_OF_PLAN>',
    "forward reference": '1. send_sms(["$2"], "hi")\n2. get_phone_number("Sid")\n3. join()<END_OF_PLAN>',
    "self reference": '1. get_phone_number("Sid")\n2. send_sms(["$2"], "hi")\n3. join()<END_OF_PLAN>',
    "ids skip": '1. get_phone_number("Sid")\n3. join()<END_OF_PLAN>',
    "no join": '1. get_phone_number("Sid")\n',
    "named argument": '1. get_phone_number(name="Sid")\n2. join()<END_OF_PLAN>',
    "comment": '1. get_phone_number("Sid")  # look up\n2. join()<END_OF_PLAN>',
    "text after end": "1. join()<END_OF_PLAN>\nmore",
}


@pytest.fixture(scope="module")
def checker(fast_model_path):
    return GrammarChecker(str(fast_model_path))


@pytest.mark.parametrize("text", GOOD)
def test_accepts_good_plans(checker, text):
    assert checker.accepts(plan_grammar(SPECS), text)


@pytest.mark.parametrize("name", sorted(BAD))
def test_rejects_bad_plans(checker, name):
    assert not checker.accepts(plan_grammar(SPECS), BAD[name])


def test_only_offered_tools_are_allowed(checker):
    offered = [s for s in SPECS if s.name == "get_email_address"]
    assert checker.accepts(plan_grammar(offered), '1. get_email_address("Sid")\n2. join()<END_OF_PLAN>')
    assert not checker.accepts(plan_grammar(offered), '1. get_phone_number("Sid")\n2. join()<END_OF_PLAN>')


def test_step_limit(checker):
    g = plan_grammar(SPECS, max_steps=2)
    three = "".join(f'{i}. get_phone_number("a")\n' for i in (1, 2, 3)) + "4. join()<END_OF_PLAN>"
    assert not checker.accepts(g, three)
    assert checker.accepts(g, '1. get_phone_number("a")\n2. get_phone_number("b")\n3. join()<END_OF_PLAN>')


def test_list_length_is_bounded(checker):
    from engine.grammar import MAX_LIST_ITEMS

    def sms(n: int) -> str:
        items = ", ".join(['"$1"'] * n)
        return f'1. get_phone_number("a")\n2. send_sms([{items}], "hi")\n3. join()<END_OF_PLAN>'

    assert checker.accepts(plan_grammar(SPECS), sms(MAX_LIST_ITEMS))
    assert not checker.accepts(plan_grammar(SPECS), sms(MAX_LIST_ITEMS + 1))


def test_string_length_is_bounded(checker):
    """A runaway note body must close its string: the longest the grammar allows, and no more."""
    from engine.grammar import MAX_STRING_CHARS

    def note(n: int) -> str:
        body = ("Tomatoes - Cucumbers - " * 40)[:n]
        return f'1. create_note("Groceries", "{body}", "")\n2. join()<END_OF_PLAN>'

    assert checker.accepts(plan_grammar(SPECS), note(MAX_STRING_CHARS))
    assert not checker.accepts(plan_grammar(SPECS), note(MAX_STRING_CHARS + 1))


def test_a_replan_round_numbers_on_and_may_use_only_the_steps_that_succeeded(checker):
    g = plan_grammar(SPECS, 4, first=3, usable=[1])
    assert checker.accepts(g, '3. get_email_address("Sid")\n4. send_sms(["$1", "$3"], "hi")\n5. join()<END_OF_PLAN>')
    assert not checker.accepts(g, '3. send_sms(["$2"], "hi")\n4. join()<END_OF_PLAN>')  # step 2 failed
    assert not checker.accepts(g, '1. get_email_address("Sid")\n2. join()<END_OF_PLAN>')  # numbering starts over
    assert checker.accepts(g, "3. join()<END_OF_PLAN>")


def test_trailing_optional_arguments_may_be_left_out_or_none(checker):
    from engine.tools.spec import ToolSpec

    spec = ToolSpec.from_json_schema({"name": "get_forecast", "parameters": {
        "type": "object", "required": ["city"], "properties": {
            "city": {"type": "string"}, "units": {"type": "string", "default": "metric"}, "days": {"type": "integer", "default": 1}}}})
    g = plan_grammar([spec])
    for ok in ('get_forecast("Oslo")', 'get_forecast("Oslo", "imperial")', 'get_forecast("Oslo", None, None)',
               'get_forecast("Oslo", "metric", 3)'):
        assert checker.accepts(g, f"1. {ok}\n2. join()<END_OF_PLAN>"), ok
    for bad in ("get_forecast()", 'get_forecast("Oslo", 3)', 'get_forecast("Oslo", "metric", "3")'):
        assert not checker.accepts(g, f"1. {bad}\n2. join()<END_OF_PLAN>"), bad
