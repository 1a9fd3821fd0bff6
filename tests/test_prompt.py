import datetime as dt

from engine.examples import ExampleBank, load_examples
from engine.generation import Capability
from engine.plan import parse_plan
from engine.prompt import system_prompt, user_prompt
from engine.tools.desktop import desktop_specs

NOW = dt.datetime(2026, 11, 23, 10, 0)
SPECS = desktop_specs()


def test_every_bank_example_is_a_valid_plan():
    for ex in load_examples():
        plan = parse_plan(ex.plan, SPECS)
        assert sorted({t.tool for t in plan.calls}) == sorted(ex.tools), ex.id


def test_prompt_lists_only_offered_tools_and_todays_date():
    offered = [s for s in SPECS if s.name in ("get_email_address", "create_calendar_event")]
    bank = ExampleBank.default()
    examples = bank.select("invite Sid to the demo", 3, offered=[s.name for s in offered])
    text = system_prompt(offered, examples, NOW)
    assert "1. get_email_address(name: str) -> str" in text
    assert "3. join():" in text
    assert "send_sms" not in text and "get_phone_number" not in text
    assert "Today's date is Monday 2026-11-23 10:00" in text
    assert all(set(e.tools) <= {"get_email_address", "create_calendar_event"} for e in examples)


def test_retrieval_prefers_similar_queries():
    bank = ExampleBank.default()
    top = bank.select("text Maria that I'm late", 1)[0]
    assert "send_sms" in top.tools
    top = bank.select("summarize report.pdf", 1)[0]
    assert "summarize_pdf" in top.tools


def test_user_prompt_carries_resolved_dates():
    assert user_prompt("remind me tomorrow at 9am", NOW) == "Question: remind me tomorrow at 9am [2026-11-24 09:00:00]"


class _PlainTemplate:
    """Only the chat template of a model: the prompt's layout is what is tested here."""

    name = "plain template"
    capabilities = frozenset(Capability)

    def render(self, system: str, user: str) -> str:
        return f"{system}\n{user}"


def test_selection_in_grammar_describes_all_tools_and_allows_only_the_chosen():
    from engine.planner import Planner, PlannerConfig

    specs = desktop_specs()
    chosen = {"Remind me to buy milk": ["create_reminder"], "Text Sid hi": ["get_phone_number", "send_sms"]}

    def select(query: str) -> list:
        return [s for s in specs if s.name in chosen[query]]

    for selection in ("prompt", "grammar"):
        planner = Planner(_PlainTemplate(), specs, select_tools=select, config=PlannerConfig(selection=selection))  # type: ignore[arg-type]
        streams = [planner.prepare(q, NOW) for q in chosen]
        assert [[t.name for t in s.tools] for s in streams] == list(chosen.values())
        described = [sum(f"{spec.name}(" in s.static_prefix for spec in specs) for s in streams]
        if selection == "grammar":
            assert described == [len(specs)] * 2 and streams[0].static_prefix == streams[1].static_prefix
            assert "send_sms(" not in streams[0].prompt.split("Here are some examples:")[1]
        else:
            assert described == [1, 2]
