import datetime as dt
import json

import pytest

from engine.tools.desktop import desktop_specs
from engine.tools.spec import ToolBox, ToolSpec, ToolSpecError

REFERENCE_SIGNATURES = [
    "get_phone_number(name: str) -> str",
    "get_email_address(name: str) -> str",
    "create_calendar_event(title: str, start_date: str, end_date: str, location: str, invitees: list[str], notes: str, calendar: str) -> str",
    "open_and_get_file_path(file_name: str) -> str",
    "summarize_pdf(pdf_path: str) -> str",
    "compose_new_email(recipients: list[str], cc: list[str], subject: str, context: str, attachments: list[str]) -> str",
    "reply_to_email(cc: list[str], context: str, attachments: list[str]) -> str",
    "forward_email(recipients: list[str], cc: list[str], context: str, attachments: list[str]) -> str",
    "maps_open_location(location: str) -> str",
    "maps_show_directions(start_location: str, end_location: str, transport: str) -> str",
    "create_note(name: str, content: str, folder: str) -> str",
    "open_note(name: str, folder: str) -> str",
    "append_note_content(name: str, content: str, folder: str) -> str",
    "create_reminder(name: str, due_date: str, notes: str, list_name: str, priority: int, all_day: bool) -> str",
    "send_sms(recipients: list[str], message: str) -> str",
    "get_zoom_meeting_link(topic: str, start_time: str, duration: int, meeting_invitees: list[str]) -> str",
]


def test_desktop_tools_keep_the_reference_signatures():
    assert [s.signature for s in desktop_specs()] == REFERENCE_SIGNATURES


def test_lookups_are_read_only_and_senders_have_side_effects():
    flags = {s.name: s.side_effect for s in desktop_specs()}
    assert not flags["get_email_address"] and not flags["open_note"]
    assert flags["send_sms"] and flags["create_calendar_event"] and flags["compose_new_email"]


def test_from_function_reads_types_defaults_and_docstring():
    def book_table(restaurant: str, people: int, names: list[str], outside: bool = False) -> str:
        """Book a table at a restaurant.

        - people counts the guests.
        - names are the guests' names.
        """
        return ""

    spec = ToolSpec.from_function(book_table)
    assert spec.signature == "book_table(restaurant: str, people: int, names: list[str], outside: bool = False) -> str"
    assert spec.description == "Book a table at a restaurant."
    assert spec.guidance == ("people counts the guests.", "names are the guests' names.")
    assert spec.params[3].default is False and not spec.params[3].required
    assert spec.side_effect is True
    assert "- people counts the guests." in spec.prompt_block()


def test_from_function_rejects_what_a_plan_cannot_express():
    def bad(x: dict) -> str:
        return ""

    def untyped(x) -> str:
        return ""

    with pytest.raises(ToolSpecError, match="not supported"):
        ToolSpec.from_function(bad)
    with pytest.raises(ToolSpecError, match="type hint"):
        ToolSpec.from_function(untyped)


def test_json_schema_round_trip_and_optional_parameters():
    definition = {
        "type": "function",
        "function": {
            "name": "set_volume",
            "description": "Set the speaker volume.",
            "parameters": {
                "type": "object",
                "properties": {"level": {"type": "integer"},
                               "device": {"type": ["string", "null"], "default": "", "x-from-query": True}},
                "required": ["level"],
            },
            "x-side-effect": True,
        },
    }
    spec = ToolSpec.from_json_schema(definition)
    assert spec.signature == "set_volume(level: int, device: str = '') -> str"
    assert not spec.params[1].required
    assert spec.params[1].from_query and not spec.params[0].from_query
    assert ToolSpec.from_json_schema(spec.to_json_schema()) == spec
    with pytest.raises(ToolSpecError):
        ToolSpec.from_json_schema({"name": "x", "parameters": {"properties": {"o": {"type": "object"}}}})


def test_toolbox_add_function():
    box = ToolBox()

    async def ping(host: str) -> str:
        """Ping a host."""
        return "pong"

    box.add_function(ping, side_effect=False)
    assert "ping" in box and box.impls["ping"] is ping and not box.specs["ping"].side_effect


def test_a_foreign_tools_descriptions_choices_and_defaults_reach_the_prompt_and_optional_ones_may_be_left_out():
    from engine.plan import parse_plan
    from engine.prompt import custom_instructions

    spec = ToolSpec.from_json_schema({"name": "get_forecast", "description": "The forecast for a city.", "parameters": {
        "type": "object", "required": ["city"], "properties": {
            "city": {"type": "string", "description": "City name, e.g. Paris"},
            "units": {"type": "string", "enum": ["metric", "imperial"], "default": "metric"},
            "days": {"type": "integer", "default": 1}}}})
    assert spec.prompt_block().splitlines() == [
        "get_forecast(city: str, units: str = 'metric', days: int = 1) -> str", " - The forecast for a city.",
        " - city: City name, e.g. Paris", " - units: one of 'metric', 'imperial'; optional, default 'metric'"]
    specs = {"get_forecast": spec}
    assert parse_plan('1. get_forecast("Oslo")\n2. get_forecast("Rome", None, 2000000)\n3. join()', specs).tasks[1].args[2] == 2000000
    assert "leave out trailing optional ones" in custom_instructions([spec], dt.datetime(2026, 1, 1))


def test_a_tool_set_file_carries_its_own_prompt_rules_and_helpers(tmp_path):
    from engine.prompt import custom_instructions
    from engine.tools.toolset import load_tool_set

    def tool(name: str, **extra: object) -> dict:
        return {"type": "function", "function": {"name": name, "description": name,
                                                 "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
                                                 **extra}}

    path = tmp_path / "tools.json"
    path.write_text(json.dumps({"tools": [tool("find"), tool("send", **{"x-helpers": ["find"]}), tool("other")],
                                "x-rules": [{"tools": ["send", "other"], "text": " - Use {tools} last.\n"},
                                            {"tools": ["find"], "text": " - Find first.\n"}]}))
    specs = {s.name: s for s in load_tool_set(path)}
    assert specs["send"].helpers == ("find",) and specs["find"].helpers == ()
    now = dt.datetime(2026, 11, 23, 10, 0)
    text = custom_instructions([specs["find"], specs["send"]], now)
    assert text.index(" - Use send last.") < text.index(" - Find first.")  # the set's order; only offered tools named
    assert "Use" not in custom_instructions([specs["find"]], now)
    assert ToolSpec.from_json_schema(specs["send"].to_json_schema()) == specs["send"]
    for broken, why in [({"tools": [tool("send", **{"x-helpers": ["nope"]})]}, "x-helpers names 'nope'"),
                        ({"tools": [tool("send")], "x-rules": [{"tools": ["nope"], "text": "x"}]}, "rule names 'nope'"),
                        ({"tools": [tool("send")], "x-rules": "be nice"}, "x-rules is a list")]:
        path.write_text(json.dumps(broken))
        with pytest.raises(ToolSpecError, match=why):
            load_tool_set(path)


def test_a_non_ascii_tool_name_is_refused_at_load_with_its_name() -> None:
    """It passed ``isidentifier`` and failed at the first plan, as "a bug in engine.grammar"."""
    import pytest

    from engine import Agent
    from engine.tools.spec import ToolSpecError

    def café_lookup(city: str) -> str:
        """Find a café."""
        return city

    with pytest.raises(ToolSpecError, match="café_lookup.*ASCII"):
        Agent.for_tools([café_lookup])
