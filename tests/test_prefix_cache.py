"""The prompt-prefix KV cache and the planner's warm-up, with the real 270M model."""

import asyncio
import datetime as dt

import pytest

from engine import models
from engine.llm import LocalLLM
from engine.planner import Planner, PlannerConfig
from engine.tools.desktop import desktop_specs

pytestmark = pytest.mark.model
NOW = dt.datetime(2026, 11, 23, 10, 0)


@pytest.fixture(scope="module")
def tiny() -> LocalLLM:
    return LocalLLM(models.resolve("tiny"), n_threads=2)


def _reminders(query: str) -> list:
    return [s for s in desktop_specs() if s.name == "create_reminder"]


def test_warm_up_makes_the_first_command_find_its_prefix_in_memory(tiny):
    planner = Planner(tiny, desktop_specs(), select_tools=_reminders, config=PlannerConfig(selection="grammar"))
    assert planner.warm_up() in ("disk", "built")
    assert planner.warm_up() == "memory"
    stream = asyncio.run(planner.plan("Remind me to buy milk tomorrow at 9am", NOW))
    assert stream.timings.prefix_cache == "memory"
    assert {t.tool for t in stream.plan.tasks} <= {"create_reminder", "join"}  # described all, allowed one


def test_no_warm_up_when_the_prefix_depends_on_the_query(tiny):
    planner = Planner(tiny, desktop_specs(), select_tools=_reminders, config=PlannerConfig(selection="prompt"))
    assert planner.warm_up() == "off"
