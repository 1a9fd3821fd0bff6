"""The prompt-prefix KV cache and the planner's warm-up, with the real 270M model."""

import asyncio
import datetime as dt

import pytest

from engine import models
from engine.generation import GenerationRequest
from engine.llama import LocalLLM
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


def test_other_tool_sets_are_cached_apart_and_never_evict_the_apps_prefix(tiny, tmp_path, monkeypatch):
    """The app's prefix is kept under the whole budget; other tool sets' prefixes share a quarter
    of it in their own folder, so planning over many of them evicts only each other."""
    monkeypatch.setenv("TINYAGENT_CACHE", str(tmp_path / "cache"))
    kv = tmp_path / "cache" / "kv"
    app = "You plan the app's commands.\n" * 40
    assert tiny.prime(GenerationRequest(app, "Question: hi", prefix=app)) == "built"
    app_files = list(kv.glob("*.state"))
    assert len(app_files) == 1
    size = app_files[0].stat().st_size
    monkeypatch.setenv("TINYAGENT_KV_CACHE_MB", str(max(1, (size * 4 * 3 // 2) >> 20)))  # a quarter holds ~1.5 files
    for i in range(3):
        other = f"You plan with tool set {i}.\n" * 40
        assert tiny.prime(GenerationRequest(other, "Question: hi", prefix=other, prefix_group="tools")) == "built"
    assert app_files[0].is_file()  # the app's own survived three other tool sets
    assert 1 <= len(list((kv / "tools").glob("*.state"))) < 3  # they evicted each other
