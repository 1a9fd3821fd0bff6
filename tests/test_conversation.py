"""The engine's one conversation: the rules the CLI and the app used to keep each in its own
loop (what follows what, when to ask, what approval reaches). Scripted model, real executor."""

from __future__ import annotations

import asyncio

from engine.agent import Agent
from engine.conversation import MAX_REPAIRS, ApprovalQuestion, Conversation
from engine.events import PlanComplete
from engine.executor import Approval
from engine.generation import ScriptedLLM
from engine.planner import Planner, PlannerConfig
from engine.tools.spec import ToolBox, ToolError


def _box(log: list) -> ToolBox:
    box = ToolBox()

    def lookup(name: str) -> str:
        """Read-only; offers candidates for a name it does not know."""
        log.append(("lookup", name))
        if name == "x":
            raise RuntimeError("no such thing")
        if name not in ("Sid Jha", "Ana"):
            raise ToolError(f"No contact named {name!r}.", candidates=["Sid Jha"], value=name)
        return f"{name.split()[0].lower()}@example.com"

    def send(to: list[str], text: str) -> str:
        """Sends."""
        log.append(("send", tuple(to), text))
        return "sent"

    box.add_function(lookup, side_effect=False)
    box.add_function(send, side_effect=True)
    return box


def _agent(box: ToolBox, *replies: str) -> Agent:
    return Agent(Planner(ScriptedLLM(replies), list(box.specs.values()), config=PlannerConfig(examples=0, grammar=False)), box)


class Person:
    """Answers approval questions as told, and remembers them with the events around them."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.seen: list[object] = []

    async def __call__(self, question: ApprovalQuestion) -> Approval:
        self.seen.append(question)
        return Approval(self.answer, "" if self.answer else "no")

    @property
    def questions(self) -> list[tuple[int, int, tuple[str, ...]]]:
        return [(q.stage, q.task.id, tuple(q.call.arguments["to"])) for q in self.seen if isinstance(q, ApprovalQuestion)]


FAILS_THEN_ROUND = ('1. send(["ana@example.com"], "one")\n2. lookup("x")\n3. send(["$2"], "hi")\n4. join()<END_OF_PLAN>',
                    '4. lookup("Mallory")\n5. send(["mallory@example.com"], "hi")\n6. send(["ana@example.com"], "hi")\n'
                    '7. join()<END_OF_PLAN>')


def test_approval_is_asked_after_the_whole_plan_is_written():
    log: list = []
    person = Person()
    conversation = Conversation(_agent(_box(log), '1. lookup("Ana")\n2. send(["$1"], "hi")\n3. join()<END_OF_PLAN>'),
                                person, observers=[lambda e: person.seen.append(e) if isinstance(e, PlanComplete) else None])
    run = asyncio.run(conversation.start("text Ana hi"))
    assert isinstance(person.seen[0], PlanComplete) and person.questions == [(0, 2, ("ana@example.com",))]
    assert run.result.status == {1: "succeeded", 2: "succeeded"} and ("send", ("ana@example.com",), "hi") in log


def test_always_allow_reaches_only_the_requests_own_plan():
    log: list = []
    person = Person()
    conversation = Conversation(_agent(_box(log), *FAILS_THEN_ROUND), person, always_allow={"send"})
    run = asyncio.run(conversation.start("send Ana one and text x hi"))
    assert run.round == 2 and conversation.stage == 1
    assert person.questions == [(1, 5, ("mallory@example.com",)), (1, 6, ("ana@example.com",))]


def test_with_asking_off_a_new_rounds_unseen_value_is_still_asked():
    """The CLI's --yes and the app with asking off: the request's own plan runs unasked; in a
    re-plan round only what the person saw or gave runs unasked."""
    log: list = []
    person = Person(answer=False)
    conversation = Conversation(_agent(_box(log), *FAILS_THEN_ROUND), person, ask_first=False)
    run = asyncio.run(conversation.start("send Ana one and text x hi"))
    assert person.questions == [(1, 5, ("mallory@example.com",))]
    assert [x for x in log if x[0] == "send"] == [("send", ("ana@example.com",), "one"), ("send", ("ana@example.com",), "hi")]
    assert run.result.status[5] == "skipped"


def test_nobody_to_ask_declines_and_dry_runs_neither_ask_nor_replan():
    log: list = []
    run = asyncio.run(Conversation(_agent(_box(log), *FAILS_THEN_ROUND), None).start("send Ana one and text x hi"))
    assert not [x for x in log if x[0] == "send"] and "nobody to ask" in run.result.errors[1]
    person = Person()
    dry = Conversation(_agent(_box(log), *FAILS_THEN_ROUND), person, dry_run=True)
    assert asyncio.run(dry.start("send Ana one and text x hi")).round == 1 and person.questions == [] and dry.offers == []


def test_offers_are_repaired_as_a_new_stage_a_bounded_number_of_times():
    log: list = []
    plan = '1. lookup("Sidd")\n2. send(["$1"], "hi")\n3. join()<END_OF_PLAN>'
    person = Person()
    conversation = Conversation(_agent(_box(log), plan), person, always_allow={"send"})

    async def go():
        run = await conversation.start("text Sidd hi")
        assert [(tid, exc.candidates) for tid, exc in conversation.offers] == [(1, ("Sid Jha",))]
        assert run.result.status == {1: "failed", 2: "skipped"} and person.questions == []
        unchanged = await conversation.repair({})
        assert unchanged is run and conversation.repairs_left == MAX_REPAIRS
        for _ in range(MAX_REPAIRS):
            run = await conversation.repair({1: ("Sidd", "Sidney")})  # still unknown: offered again
        assert conversation.repairs_left == 0 and conversation.offers == []
        assert await conversation.repair({1: ("Sidd", "Sid Jha")}) is run  # no repairs left
        return run

    run = asyncio.run(go())
    assert [x for x in log if x[0] == "lookup"] == [("lookup", "Sidd"), *[("lookup", "Sidney")] * MAX_REPAIRS]
    assert run.result.status[1] == "failed" and not [x for x in log if x[0] == "send"]


def test_a_repair_is_asked_about_even_for_an_always_allowed_tool():
    log: list = []
    plan = '1. lookup("Sidd")\n2. send(["$1"], "hi")\n3. join()<END_OF_PLAN>'
    person = Person()
    conversation = Conversation(_agent(_box(log), plan), person, always_allow={"send"})

    async def go():
        await conversation.start("text Sidd hi")
        return await conversation.repair({1: ("Sidd", "Sid Jha")})

    run = asyncio.run(go())
    assert person.questions == [(1, 2, ("sid@example.com",))]
    assert run.result.status == {1: "succeeded", 2: "succeeded"} and ("send", ("sid@example.com",), "hi") in log
