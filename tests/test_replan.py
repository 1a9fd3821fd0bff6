"""Re-plan rounds: after a step fails where no pick could help, the planner sees every step so far
with its result or error and plans only what is left, numbered on; nothing run before runs again,
a round that repeats an earlier step is cut there, and at most two rounds follow the first.

The planner logic runs on a scripted model (``ScriptedLLM``); the real tools write to a temporary
folder. That a real model turns a failed plan into a finished one is the ``model`` test at the end.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os

import pytest

from engine.agent import MAX_REPLANS, Agent
from engine.events import ReplanStarted, TaskStarted
from engine.generation import ScriptedLLM
from engine.planner import Planner, PlannerConfig
from engine.tools.local import LocalBackend

NOW = dt.datetime(2026, 11, 30, 9, 0)
QUERY = "Text Sid that I'm running late"
FIRST = '1. get_phone_number("Sid")\n2. send_sms(["$1"], "I\'m running late")\n3. join()<END_OF_PLAN>'
EMAIL_INSTEAD = ('3. get_email_address("Sid")\n4. compose_new_email(["$3"], [], "Running late", "I\'m running late", [])\n'
                 '5. join()<END_OF_PLAN>')


@pytest.fixture
def backend(tmp_path) -> LocalBackend:
    b = LocalBackend(tmp_path / "data", open_in_desktop=False, smtp=None, search_roots=[])
    b.contacts.add("Sid Jha", ["sid@example.com"], [])  # no phone number: texting him fails
    return b


def _agent(backend: LocalBackend, *replies: str) -> tuple[Agent, ScriptedLLM]:
    llm = ScriptedLLM(replies)
    box = backend.toolbox()
    return Agent(Planner(llm, list(box.specs.values()), config=PlannerConfig(examples=0)), box), llm


def _drafts(backend: LocalBackend) -> list[str]:
    return sorted(p.name for p in (backend.data_dir / "mail" / "Drafts").rglob("*") if p.is_file())


def test_a_failed_lookup_is_planned_around_and_nothing_runs_twice(backend):
    agent, llm = _agent(backend, FIRST, EMAIL_INSTEAD)
    events: list = []

    async def go():
        run = await agent.run(QUERY, now=NOW, observers=[events.append])
        assert run.result.status == {1: "failed", 2: "skipped"} and run.replannable
        return await agent.replan(run, now=NOW, observers=[events.append])

    run = asyncio.run(go())
    assert run.round == 2 and [t.id for t in run.plan.calls] == [1, 2, 3, 4]
    assert run.result.status == {1: "failed", 2: "skipped", 3: "succeeded", 4: "succeeded"}
    assert [e.task.id for e in events if isinstance(e, TaskStarted)] == [1, 3, 4]  # step 1 is not tried again
    assert [(e.round, e.first) for e in events if isinstance(e, ReplanStarted)] == [(2, 3)]
    assert len(_drafts(backend)) == 1

    prompt, grammar = llm.calls[1].user, llm.calls[1].grammar or ""
    assert ('Previous Plan:\n1. get_phone_number("Sid")\nObservation: Error: "Sid Jha has no phone number in the address book."\n'
            '2. send_sms(["$1"], "I\'m running late")\nObservation: Not run: "task 1 failed') in prompt
    assert "Thought: Step 1 (get_phone_number) failed" in prompt and prompt.rstrip().endswith("Current Plan:")
    assert "root ::= step-3" in grammar and '"\\"$1\\""' not in grammar  # a failed step is no input
    assert "Email 'Running late' to sid@example.com" in run.answer
    assert "Did not text Sid: could not look up Sid's phone number" in run.answer  # what the new round did not do
    assert not run.replannable


def test_a_round_that_repeats_the_failed_step_is_cut_and_not_looped(backend):
    agent, llm = _agent(backend, FIRST, '3. get_phone_number("Sid")\n4. join()<END_OF_PLAN>')

    async def go():
        return await agent.replan(await agent.run(QUERY, now=NOW), now=NOW)

    run = asyncio.run(go())
    assert run.stream.repeated == 3 and not run.replannable
    assert set(run.result.status) == {1, 2}  # the repeat never ran
    assert "repeating an earlier step at step 3" in run.answer


def test_a_side_effect_already_done_is_never_done_again(backend):
    first = ('1. append_note_content("Log", "called", "")\n2. get_phone_number("Sid")\n3. send_sms(["$2"], "hi")\n'
             '4. join()<END_OF_PLAN>')
    again = '5. append_note_content("Log", "called", "")\n6. join()<END_OF_PLAN>'
    backend.create_note("Log", "", "")
    agent, _ = _agent(backend, first, again)

    async def go():
        return await agent.replan(await agent.run(QUERY, now=NOW), now=NOW)

    run = asyncio.run(go())
    assert run.stream.repeated == 5
    assert backend.open_note("Log", "").count("called") == 1


def test_looking_up_again_what_was_found_is_harmless_and_goes_on(backend):
    backend.contacts.add("Ana Lima", ["ana@example.com"], [])
    first = ('1. get_email_address("Ana")\n2. get_phone_number("Sid")\n3. send_sms(["$2"], "hi")\n'
             '4. join()<END_OF_PLAN>')
    again = ('5. get_email_address("Ana")\n6. get_email_address("Sid")\n'
             '7. compose_new_email(["$5", "$6"], [], "Hi", "hi", [])\n8. join()<END_OF_PLAN>')
    agent, _ = _agent(backend, first, again)

    async def go():
        return await agent.replan(await agent.run(QUERY, now=NOW), now=NOW)

    run = asyncio.run(go())
    assert run.stream.repeated is None and run.result.status[7] == "succeeded"


def test_when_a_round_may_follow():
    from engine.agent import AgentRun
    from engine.executor import RunResult, ToolError
    from engine.generation import GenerationRequest
    from engine.planner import PlanStream

    def run(status, errors=None, failures=None, round=1, repeated=None):
        stream = PlanStream(QUERY, [], "", GenerationRequest("", ""), round=round, repeated=repeated)
        return AgentRun(QUERY, stream, RunResult(status=status, errors=errors or {}, failures=failures or {}), "")

    assert run({1: "failed"}, {1: "not a PDF"}).replannable
    assert not run({1: "succeeded"}).replannable
    assert not run({1: "failed"}, failures={1: ToolError("No contact named 'Sidd'", candidates=["Sid Jha"])}).replannable
    assert not run({1: "failed"}, {1: "cancelled while running: it may have partly or fully completed"}).replannable
    assert not run({1: "failed"}, {1: "x"}, repeated=2).replannable
    assert run({1: "failed"}, {1: "x"}, round=MAX_REPLANS).replannable
    assert not run({1: "failed"}, {1: "x"}, round=MAX_REPLANS + 1).replannable


@pytest.mark.model
def test_a_real_model_plans_around_a_contact_with_no_phone_number(backend, llm):
    """The default model (the smallest that passes: the 0.5B looks up "Text Sid"), grammar on: the
    first plan texts Sid, who has no number; shown that, it plans a way that finishes (here it
    drafts him an e-mail) without retrying the lookup."""
    box = backend.toolbox()
    agent = Agent(Planner(llm, list(box.specs.values())), box)

    async def go():
        run = await agent.run("Text Sid that I'm running late", now=NOW)
        assert run.replannable, run.plan.text()
        return await agent.replan(run, now=NOW)

    run = asyncio.run(go())
    new = [t for t in run.plan.calls if t.id >= run.stream.first]
    assert new and all(run.result.status[t.id] == "succeeded" for t in new), (run.stream.text, run.answer)
    assert any(t.tool in ("compose_new_email", "send_sms") for t in new), run.stream.text
    print(os.linesep + run.stream.text + os.linesep + run.answer)
