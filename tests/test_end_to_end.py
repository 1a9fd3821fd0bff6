"""The real default model on real queries; results checked in the files the tools wrote."""

import asyncio
import datetime as dt

import pytest

from engine.agent import Agent
from engine.events import TaskStarted
from engine.examples import ExampleBank
from engine.planner import Planner

NOW = dt.datetime(2026, 11, 23, 10, 0)  # a Monday

pytestmark = pytest.mark.model


@pytest.fixture
def agent(llm, backend):
    box = backend.toolbox()
    return Agent(Planner(llm, list(box), ExampleBank.default()), box)


def test_reminder_lands_in_the_reminders_file(agent, backend):
    run = asyncio.run(agent.run("Remind me to buy milk tomorrow at 9am", now=NOW))
    assert run.result.plan_error is None, run.stream.text
    todos = backend.calendar.reminders()
    assert len(todos) == 1, run.stream.text
    assert "milk" in str(todos[0]["summary"]).lower()
    assert todos[0].decoded("due") == dt.datetime(2026, 11, 24, 9, 0)


def test_invite_looks_up_both_contacts_and_creates_the_event(agent, backend):
    events = []
    run = asyncio.run(agent.run(
        "Create a calendar invite with Sid and Lutfi tomorrow at 3pm about the demo", now=NOW, observers=[events.append]
    ))
    assert run.result.plan_error is None, run.stream.text
    [event] = backend.calendar.events()
    assert event.decoded("dtstart") == dt.datetime(2026, 11, 24, 15, 0)
    assert "demo" in str(event["summary"]).lower()
    attendees = sorted(str(a) for a in event.get("attendee"))
    assert attendees == ["mailto:lutfi@example.com", "mailto:sid@example.com"]
    # The lookups started while the model was still writing the rest of the plan.
    first_start = min(e.at for e in events if isinstance(e, TaskStarted))
    assert run.stream.timings.first_task_ms < run.stream.timings.total_ms
    assert first_start < max(e.at for e in events)
