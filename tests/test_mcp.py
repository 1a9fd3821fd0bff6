"""MCP servers as a tool source, against real server processes started by the tests: one written
here with the official SDK (``tests/mcp_servers/desk.py``), one that is not MCP at all, and the
published ``mcp-server-time`` package where it is installed."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("mcp")

from engine import Agent, Approval, ScriptedLLM, ToolError  # noqa: E402
from engine.events import TaskStatus  # noqa: E402
from engine.tools.desktop import desktop_specs  # noqa: E402
from engine.tools.mcp import McpError, McpServer, McpSource  # noqa: E402
from engine.tools.spec import ToolBox  # noqa: E402

HERE = Path(__file__).parent / "mcp_servers"
DESK = f"{sys.executable} {HERE / 'desk.py'}"


@pytest.fixture(scope="module")
def desk():
    with McpSource([DESK], call_timeout=1.5) as source:
        assert source.start() == []
        box = ToolBox()
        for spec in desktop_specs():
            box.add(spec)
        warnings: list[str] = []
        source.add_to(box, warnings.append)
        yield source, box, warnings


def test_a_servers_tools_are_planned_beside_the_desktop_tools_with_their_origin(desk):
    source, box, _ = desk
    assert source.servers[0].name == "desk-test"  # the server's own name
    spec = box.specs["word_count"]
    assert spec.signature == "word_count(text: str) -> str" and spec.origin == "mcp:desk-test"
    assert spec.description == "Count the words in a text."
    assert box.specs["create_note"].origin == "desktop"


def test_only_a_tool_marked_read_only_runs_without_asking(desk):
    _, box, _ = desk
    assert box.specs["word_count"].side_effect is False
    assert box.specs["save_snippet"].side_effect is True  # not marked: it may change something


def test_a_server_tool_never_takes_a_desktop_tools_name(desk):
    _, box, warnings = desk
    assert box.specs["send_sms"].origin == "desktop"
    assert any("'send_sms' left out" in w and "desktop" in w for w in warnings)


def test_a_call_returns_the_servers_text_and_a_tool_error_is_a_tool_error(desk):
    _, box, _ = desk
    assert asyncio.run(box.impls["word_count"](text="one two three")) == "3 words"
    with pytest.raises(ToolError, match="no entry for x"):
        asyncio.run(box.impls["broken_lookup"](key="x"))


def test_a_hanging_call_fails_its_task_in_time(desk):
    _, box, _ = desk
    with pytest.raises(ToolError, match="hang"):
        asyncio.run(asyncio.wait_for(box.impls["hang"](), 20))


def test_the_rest_of_the_plan_goes_on_around_a_failing_server_tool(desk):
    """Through the agent: a read-only call runs unasked, the failing lookup fails its task, what
    depends on it is not run, an independent side effect is approved and runs."""
    _, box, _ = desk
    plan = ('1. word_count("a b c d")\n2. broken_lookup("k")\n3. save_snippet("count", "$1")\n'
            '4. save_snippet("lookup", "$2")\n5. join()<END_OF_PLAN>')
    agent = Agent.for_tools(box, model=ScriptedLLM([plan]))
    asked: list[str] = []

    async def approve(task, call):  # type: ignore[no-untyped-def]
        asked.append(task.tool)
        return Approval(True)

    run = asyncio.run(agent.run("count the words and save it", approve=approve))
    status = run.result.status
    assert status[1] == TaskStatus.SUCCEEDED and status[3] == TaskStatus.SUCCEEDED
    assert status[2] == TaskStatus.FAILED and "no entry for k" in run.result.errors[2]
    assert status[4] != TaskStatus.SUCCEEDED
    assert asked == ["save_snippet"]
    assert run.result.results[3] == "saved 'count' (7 characters)"


def test_a_server_that_crashes_mid_call_fails_that_call_and_then_says_it_stopped():
    with McpSource([DESK], call_timeout=5) as source:
        assert source.start() == []
        box = ToolBox()
        source.add_to(box)
        with pytest.raises(ToolError, match="desk-test"):
            asyncio.run(asyncio.wait_for(box.impls["crash"](), 20))
        with pytest.raises(ToolError, match="stopped|failed"):
            asyncio.run(asyncio.wait_for(box.impls["word_count"](text="x"), 20))


@pytest.mark.parametrize("command, why", [
    ("/no/such/server --stdio", "could not start"),
    (f"{sys.executable} {HERE / 'garbage.py'}", "could not start|did not list its tools"),
])
def test_a_server_that_cannot_start_is_a_clear_line_and_the_others_go_on(command, why):
    with McpSource([command, DESK], start_timeout=2) as source:
        problems = source.start()
        assert len(problems) == 1 and re.search(why, problems[0]), problems
        box = ToolBox()
        source.add_to(box)
        assert "word_count" in box and len(box) == 6


def test_a_command_line_that_does_not_parse_is_refused():
    with pytest.raises(McpError, match="empty"):
        McpServer("   ")
    with pytest.raises(McpError, match="quotation"):
        McpServer('server "unclosed')


@pytest.mark.skipif(shutil.which("mcp-server-time", path=str(Path(sys.executable).parent)) is None,
                    reason="the published mcp-server-time package is not installed")
def test_the_published_time_server_works_as_a_tool_source():
    command = f"{Path(sys.executable).parent / 'mcp-server-time'} --local-timezone Europe/Paris"
    with McpSource([command]) as source:
        assert source.start() == []
        box = ToolBox()
        source.add_to(box)
        assert {"get_current_time", "convert_time"} <= set(box.specs)
        assert box.specs["convert_time"].side_effect is False  # it marks its tools read-only
        out = asyncio.run(box.impls["convert_time"](source_timezone="Europe/Paris", time="12:00",
                                                    target_timezone="Asia/Tokyo"))
        assert "Asia/Tokyo" in out and "20:00" in out


def test_the_servers_are_a_setting_that_survives_the_settings_file():
    from engine.config import Config

    config = Config(mcp=(DESK,))
    again, dropped = Config.from_dict(config.to_dict())
    assert again.mcp == (DESK,) and dropped == []


@pytest.mark.model
def test_the_cli_plans_over_a_servers_tools_and_says_what_it_left_out(tmp_path):
    from tests.test_cli import cli

    out = cli("--model", "tiny", "--json", "--dry-run", "--data-dir", str(tmp_path), "--mcp", DESK,
              "Count the words in 'to be or not to be'")
    assert out.returncode in (0, 1, 3), out.stderr
    assert "tool 'send_sms' left out: the name is taken by desktop tools" in out.stderr
    assert "no label for" in out.stderr and "word_count" in out.stderr
    assert json.loads(out.stdout.splitlines()[-1])["event"] == "Answer"
