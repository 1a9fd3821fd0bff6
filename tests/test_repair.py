"""Repair in place: the person's pick for a failed lookup re-runs that task and then only what was
waiting on it; nothing that already succeeded runs again (no second message), and a candidate is
never used without a pick."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console

from engine.cli import pick_fixes
from engine.events import TaskKept, TaskSucceeded
from engine.executor import Approval, Executor, ToolError
from engine.plan import parse_plan
from engine.tools.spec import ToolBox

PLAN = '1. lookup("Sidd")\n2. send(["$1"], "hi")\n3. note("minutes")\n4. send(["ana@x.org"], "bye")\n5. join()'


def make_box(log: list) -> ToolBox:
    box = ToolBox()

    def lookup(name: str) -> str:
        """Read-only."""
        log.append(("lookup", name))
        if name != "Sid Jha":
            raise ToolError(f"No contact named {name!r}. Did you mean Sid Jha?", candidates=["Sid Jha", "Siddharth Rao"], value=name)
        return "sid@example.com"

    def send(to: list[str], text: str) -> str:
        """Sends."""
        log.append(("send", tuple(to), text))
        return "sent"

    def note(text: str) -> str:
        """Writes."""
        log.append(("note", text))
        return "noted"

    box.add_function(lookup, side_effect=False)
    box.add_function(send, side_effect=True)
    box.add_function(note, side_effect=True)
    return box


def test_a_pick_reruns_the_failed_task_and_its_dependants_only():
    log: list = []
    box = make_box(log)
    tasks = parse_plan(PLAN, list(box)).tasks
    first = asyncio.run(Executor(box).run(tasks))
    assert first.status == {1: "failed", 2: "skipped", 3: "succeeded", 4: "succeeded"}
    assert first.blocked == {2} and first.failures[1].candidates[0] == "Sid Jha"
    events: list = []
    second = asyncio.run(Executor(box, observers=[events.append]).run(tasks, prior=first, fixes={1: ("Sidd", "Sid Jha")}))
    assert second.status == {1: "succeeded", 2: "succeeded", 3: "succeeded", 4: "succeeded"}
    assert log.count(("note", "minutes")) == 1 and log.count(("send", ("ana@x.org",), "bye")) == 1  # not run twice
    assert log.count(("send", ("sid@example.com",), "hi")) == 1
    assert {e.task.id for e in events if isinstance(e, TaskKept)} == {3, 4}
    assert {e.task.id for e in events if isinstance(e, TaskSucceeded)} == {1, 2}


def test_without_a_pick_a_failure_and_what_waits_on_it_stay_as_they_were():
    log: list = []
    box = make_box(log)
    tasks = parse_plan(PLAN, list(box)).tasks
    first = asyncio.run(Executor(box).run(tasks))
    calls = len(log)
    again = asyncio.run(Executor(box).run(tasks, prior=first, fixes={}))
    assert again.status == first.status and len(log) == calls  # nothing ran at all
    assert again.failures[1].candidates == first.failures[1].candidates


def test_a_declined_task_is_not_asked_again_and_the_repair_is_approved_like_any_run():
    log: list = []
    box = make_box(log)
    tasks = parse_plan(PLAN, list(box)).tasks
    asked: list[int] = []

    async def decline_4(task, call):  # type: ignore[no-untyped-def]
        asked.append(task.id)
        return Approval(task.id != 4, "not now")

    first = asyncio.run(Executor(box, approve=decline_4).run(tasks))
    assert first.status[4] == "skipped" and 4 not in first.blocked
    asked.clear()
    second = asyncio.run(Executor(box, approve=decline_4).run(tasks, prior=first, fixes={1: ("Sidd", "Sid Jha")}))
    assert asked == [2] and second.status[4] == "skipped" and second.status[2] == "succeeded"


def test_the_cli_offers_numbered_candidates_and_uses_only_what_was_picked():
    log: list = []
    box = make_box(log)
    first = asyncio.run(Executor(box).run(parse_plan(PLAN, list(box)).tasks))
    offers = sorted(first.failures.items())
    out = io.StringIO()

    def answers(*replies):  # type: ignore[no-untyped-def]
        it = iter(replies)

        async def read(prompt: str) -> str | None:
            return next(it)
        return read

    assert asyncio.run(pick_fixes(offers, Console(file=out), answers("2"))) == {1: ("Sidd", "Siddharth Rao")}
    assert "1. Sid Jha" in out.getvalue() and "2. Siddharth Rao" in out.getvalue()
    assert asyncio.run(pick_fixes(offers, Console(file=out), answers("Sid J."))) == {1: ("Sidd", "Sid J.")}
    assert asyncio.run(pick_fixes(offers, Console(file=out), answers(""))) == {}  # Enter: left as it is
    assert asyncio.run(pick_fixes(offers, Console(file=out), answers(None))) == {}  # Ctrl-D
