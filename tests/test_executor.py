import asyncio
import time

import pytest

from engine.events import PlanComplete, PlanFailed, PlanFinished, TaskFailed, TaskSkipped, TaskStarted, TaskSucceeded
from engine.executor import Approval, Executor, ToolError
from engine.plan import PlanError, PlanParser, parse_plan
from engine.tools.spec import ToolBox


def make_box(log):
    box = ToolBox()

    async def slow(name: str) -> str:
        """Wait 0.2 s (read-only)."""
        log.append(("start", name, time.monotonic()))
        await asyncio.sleep(0.2)
        log.append(("end", name, time.monotonic()))
        return f"<{name}>"

    async def send(to: list[str], text: str) -> str:
        """Send something."""
        log.append(("send", tuple(to), text))
        return f"sent to {', '.join(to)}"

    def boom(name: str) -> str:
        """Always fails."""
        raise ToolError(f"no contact named {name}")

    async def hang(name: str) -> str:
        """Never returns."""
        await asyncio.sleep(60)
        return ""

    box.add_function(slow, side_effect=False)
    box.add_function(send, side_effect=True)
    box.add_function(boom, side_effect=False)
    box.add_function(hang, side_effect=False)
    return box


def run(box, text, **kw):
    events = []
    ex = Executor(box, observers=[events.append], **kw)
    result = asyncio.run(ex.run(parse_plan(text, list(box)).tasks))
    return result, events


def test_independent_tasks_run_concurrently():
    log = []
    t0 = time.monotonic()
    result, _ = run(make_box(log), '1. slow("a")\n2. slow("b")\n3. join()')
    assert time.monotonic() - t0 < 0.35
    assert result.results == {1: "<a>", 2: "<b>"}


def test_dependants_wait_and_receive_substituted_results():
    log = []
    result, events = run(make_box(log), '1. slow("a")\n2. slow("b")\n3. send(["$1", "$2"], "hi $1")\n4. join()')
    sends = [e for e in log if e[0] == "send"]
    ends = [e[2] for e in log if e[0] == "end"]
    assert sends == [("send", ("<a>", "<b>"), "hi <a>")]
    started = next(e for e in events if isinstance(e, TaskStarted) and e.task.id == 3)
    assert started.at >= max(ends)
    assert result.results[3] == "sent to <a>, <b>"


def test_failure_skips_only_dependants_and_keeps_other_results():
    log = []
    result, events = run(make_box(log), '1. boom("Zed")\n2. slow("b")\n3. send(["$1"], "x")\n4. send(["$2"], "y")\n5. join()')
    assert result.status == {1: "failed", 2: "succeeded", 3: "skipped", 4: "succeeded"}
    assert result.errors[1] == "no contact named Zed"
    skipped = next(e for e in events if isinstance(e, TaskSkipped))
    assert skipped.task.id == 3 and "task 1 failed: no contact named Zed" in skipped.reason
    assert isinstance(events[-1], PlanFinished) and events[-1].failed == 1 and events[-1].skipped == 1
    assert [e.tasks for e in events if isinstance(e, PlanComplete)] == [4]


def test_per_task_timeout():
    log = []
    result, events = run(make_box(log), '1. hang("a")\n2. slow("b")\n3. join()', task_timeout=0.3)
    assert result.status == {1: "failed", 2: "succeeded"}
    assert "timed out" in result.errors[1]


def test_cancellation_stops_a_running_coroutine_and_never_reports_it_as_not_done():
    log = []
    box = make_box(log)
    events = []

    async def main():
        ex = Executor(box, observers=[events.append])
        job = asyncio.create_task(ex.run(parse_plan('1. hang("a")\n2. send(["$1"], "x")\n3. join()', list(box)).tasks))
        await asyncio.sleep(0.1)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(main())
    reasons = {e.task.id: e.reason for e in events if isinstance(e, TaskSkipped)}
    failures = {e.task.id: e.error for e in events if isinstance(e, TaskFailed)}
    assert 1 not in reasons  # it had started: "skipped" would be a lie
    assert "may have partly or fully completed" in failures[1]
    assert reasons[2] == "cancelled"  # never started
    assert isinstance(events[-1], PlanFinished)


def test_dry_run_runs_lookups_only_and_shows_resolved_arguments():
    log = []
    result, events = run(make_box(log), '1. slow("a")\n2. send(["$1"], "x")\n3. join()', dry_run=True)
    assert not [e for e in log if e[0] == "send"]
    skipped = next(e for e in events if isinstance(e, TaskSkipped))
    assert skipped.reason.startswith("dry run") and skipped.arguments == {"to": ["<a>"], "text": "x"}


def test_approval_hook_gates_side_effects_and_edits_are_rechecked():
    log = []
    asked = []

    async def decline(task, call):
        asked.append(task.tool)
        return Approval(False, "not now")

    result, _ = run(make_box(log), '1. slow("a")\n2. send(["$1"], "x")\n3. join()', approve=decline)
    assert asked == ["send"] and result.status[2] == "skipped" and "not now" in result.errors[2]

    shown = []

    async def edit_then_approve(task, call):
        shown.append(call.arguments["text"])
        return Approval(True) if len(shown) > 1 else Approval(True, arguments={**call.arguments, "text": "edited"})

    result, _ = run(make_box(log), '1. send(["a"], "x")\n2. join()', approve=edit_then_approve)
    assert shown == ["x", "edited"]  # an edit is shown again: only a call approved as it stands runs
    assert log[-1] == ("send", ("a",), "edited")

    async def edits_forever(task, call):
        return Approval(True, arguments={**call.arguments, "text": call.arguments["text"] + "!"})

    result, _ = run(make_box(log), '1. send(["a"], "x")\n2. join()', approve=edits_forever)
    assert result.status[1] == "failed" and "edited" in result.errors[1] and log[-1] == ("send", ("a",), "edited")

    async def bad_edit(task, call):
        return Approval(True, arguments={**call.arguments, "text": 5})

    result, _ = run(make_box(log), '1. send(["a"], "x")\n2. join()', approve=bad_edit)
    assert result.status[1] == "failed" and "edited arguments are invalid" in result.errors[1]


def test_every_approval_asked_and_answered_is_in_the_event_stream():
    from engine.events import ApprovalAnswered, ApprovalRequested

    answers = iter([Approval(True, arguments={"to": ["b"], "text": "y"}), Approval(True), Approval(False, "no")])

    async def approve(task, call):
        return next(answers)

    result, events = run(make_box([]), '1. slow("a")\n2. send(["a"], "x")\n3. send(["c"], "z")\n4. join()',
                         approve=approve)
    approvals = [(type(e).__name__, e.task.id, getattr(e, "arguments", None), getattr(e, "approved", None),
                  getattr(e, "edited", None)) for e in events if isinstance(e, ApprovalRequested | ApprovalAnswered)]
    # the lookup is never asked about; the edit is asked about again as it now stands
    assert [a[:2] for a in approvals] == [("ApprovalRequested", 2), ("ApprovalAnswered", 2), ("ApprovalRequested", 2),
                                          ("ApprovalAnswered", 2), ("ApprovalRequested", 3), ("ApprovalAnswered", 3)]
    assert approvals[0][2] == {"to": ["a"], "text": "x"} and approvals[2][2] == {"to": ["b"], "text": "y"}
    assert [a[3:] for a in approvals[1::2]] == [(True, True), (True, False), (False, False)]
    assert result.status == {1: "succeeded", 2: "succeeded", 3: "skipped"}
    assert next(e for e in events if isinstance(e, ApprovalAnswered) and not e.approved).reason == "no"


def test_tasks_start_while_the_plan_is_still_streaming():
    log = []
    box = make_box(log)
    events = []
    marks = {}

    async def stream():
        parser = PlanParser(list(box))
        for chunk in ['1. slow("a")\n', '2. slow("b")\n', "3. join()"]:
            for t in parser.feed(chunk):
                yield t
            await asyncio.sleep(0.15)
        marks["plan_done"] = time.monotonic()
        for t in parser.finish():
            yield t

    asyncio.run(Executor(box, observers=[events.append]).run(stream()))
    first_start = next(e.at for e in events if isinstance(e, TaskStarted))
    assert first_start < marks["plan_done"] - 0.2


def test_a_plan_error_mid_stream_keeps_accepted_tasks_running():
    log = []
    box = make_box(log)
    events = []

    async def stream():
        parser = PlanParser(list(box))
        for chunk in ['1. slow("a")\n', '2. nope("b")\n']:
            for t in parser.feed(chunk):
                yield t

    result = asyncio.run(Executor(box, observers=[events.append]).run(stream()))
    assert result.results == {1: "<a>"}
    assert isinstance(result.plan_error, PlanError) and result.plan_error.kind == "unknown_tool"
    assert any(isinstance(e, PlanFailed) for e in events)
    assert any(isinstance(e, TaskSucceeded) for e in events)


def test_an_observer_that_raises_does_not_stop_the_plan(caplog):
    log = []
    box = make_box(log)
    seen = []

    def broken(event):
        raise RuntimeError("display bug")

    ex = Executor(box, observers=[broken, seen.append])
    result = asyncio.run(ex.run(parse_plan('1. slow("a")\n2. send(["$1"], "hi")\n3. join()', list(box)).tasks))
    assert result.results[2] == "sent to <a>" and isinstance(seen[-1], PlanFinished)
    assert "display bug" in caplog.text


def test_missing_implementation_is_a_clear_failure():
    box = make_box([])
    box.impls.pop("slow")
    result, events = run(box, '1. slow("a")\n2. join()')
    assert any(isinstance(e, TaskFailed) and "no implementation" in e.error for e in events)
