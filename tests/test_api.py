"""The public face: ``from engine import …`` and an agent over your own tools, with nothing of the
desktop set leaking into its prompt. The README's example runs as the ``model`` test at the end."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine import Agent, ScriptedLLM, ToolSpecError
from engine.tools.toolset import load_tool_set

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves_and_import_engine_loads_nothing_else():
    for name in engine.__all__:
        assert getattr(engine, name) is not None
    done = subprocess.run([sys.executable, "-c", "import sys, engine; print(sorted(m for m in sys.modules if m.startswith('engine')))"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['engine']"
    with pytest.raises(AttributeError):
        engine.NoSuchThing  # noqa: B018


def get_weather(city: str) -> str:
    """Today's weather in a city."""
    return f"Sunny, 21 °C in {city}"


get_weather.__side_effect__ = False  # type: ignore[attr-defined]  # a lookup: runs without approval


def send_sms(phone_number: str, content: str) -> str:
    """Send a text message (a user's tool that shares a desktop tool's name, not its signature)."""
    return f"sent to {phone_number}"


def test_your_own_functions_plan_and_run_with_no_desktop_rules_examples_or_date_brackets():
    llm = ScriptedLLM(['1. get_weather("Paris")\n2. send_sms("+14155550100", "$1")\n3. join()<END_OF_PLAN>'])
    agent = Agent.for_tools([get_weather, send_sms], model=llm)
    run = asyncio.run(agent.run("Text +14155550100 the weather in Paris tomorrow at 3pm"))
    assert run.result.status == {1: "succeeded", 2: "succeeded"}
    assert run.answer.splitlines() == ["Ran send_sms: sent to +14155550100"]
    prompt = llm.render(llm.calls[0].system, llm.calls[0].user)
    assert "get_weather(city: str) -> str" in prompt and "send_sms(phone_number: str, content: str) -> str" in prompt
    assert "get_phone_number" not in prompt and "get_email_address" not in prompt  # no desktop rules
    assert prompt.count("Question:") == 1  # no examples: the only question is the person's
    assert "[2026" not in prompt and "[brackets]" not in prompt  # the question is as written
    assert llm.calls[0].prefix_group == "tools"  # its prompt prefix is cached apart from the app's
    agent.planner.warm_up()
    assert llm.primed and llm.primed[-1].prefix_group == "tools"


@pytest.mark.parametrize("query", ["", "   \n\t "])
def test_an_empty_request_is_a_clear_error_before_the_model_is_asked(query):
    from engine import RequestError

    llm = ScriptedLLM(['1. get_weather("Paris")\n2. join()<END_OF_PLAN>'])
    agent = Agent.for_tools([get_weather], model=llm)
    with pytest.raises(RequestError, match="empty"):
        asyncio.run(agent.run(query))
    assert llm.calls == []


def test_a_json_tool_list_loads_checked_and_a_broken_one_is_refused(tmp_path):
    tools = [{"type": "function", "function": {"name": "lookup", "description": "Find a record.",
                                                "parameters": {"type": "object", "properties": {"key": {"type": "string"}}}}}]
    path = tmp_path / "tools.json"
    path.write_text(json.dumps({"tools": tools}))
    assert [s.signature for s in load_tool_set(path)] == ["lookup(key: str) -> str"]
    agent = Agent.for_tools(path, model=ScriptedLLM(['1. lookup("a")\n2. join()<END_OF_PLAN>']))
    stream = asyncio.run(agent.planner.plan("find a"))
    assert stream.plan_text.startswith('1. lookup("a")')
    for broken in ("{not json", json.dumps([tools[0], tools[0]]), json.dumps({"tools": "lookup"})):
        path.write_text(broken)
        with pytest.raises(ToolSpecError):
            load_tool_set(path)


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- api-example -->\s*```python\n(.*?)```", text, re.S)
    assert block, "README has no api-example block"
    return block.group(1)


def test_the_readme_example_is_at_most_ten_lines():
    assert len([ln for ln in _readme_example().splitlines() if ln.strip()]) <= 10


@pytest.mark.model
def test_the_readme_example_runs_with_a_real_model(capsys):
    exec(compile(_readme_example(), "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "Paris" in out and "Sunny" in out, out


WEATHER_TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Today's weather in a city.", "x-side-effect": False,
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


@pytest.mark.model
def test_the_cli_and_eval_plan_and_score_a_tool_set_given_as_json(tmp_path, capsys):
    from engine.cli import main
    from engine.eval import runner

    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps(WEATHER_TOOLS))
    assert main(["--tools", str(tools), "What's the weather in Paris?"]) == 0
    assert 'get_weather("Paris")' in capsys.readouterr().out
    record = {"id": "w1", "query": "What's the weather in Rome?", "date": None, "tools": ["get_weather"],
              "plan": '1. get_weather("Rome")\n2. join()<END_OF_PLAN>'}
    (tmp_path / "set.jsonl").write_text(json.dumps(record) + "\n")
    out = tmp_path / "r.jsonl"
    assert runner.main(["--set", str(tmp_path / "set.jsonl"), "--tools", str(tools), "--out", str(out), "--threads", "2"]) == 0
    summary = json.loads(out.with_name("r.summary.json").read_text())
    assert summary["tools"] == "tools.json" and summary["toolrag"] == "none" and summary["bank"] == "none"
    assert summary["success"] == 1.0
