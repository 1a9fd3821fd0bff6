"""The bridge between the engine and the widgets: loads the agent, runs commands, relays events.

Everything runs on the qasync event loop (the Qt main thread); the model's token stream arrives
from its worker thread through the loop, so engine events reach the widgets on the GUI thread and
are re-emitted as Qt signals. Each command is an ``engine.conversation.Conversation``, which owns
what follows what (re-plan rounds, repairs) and when to ask; ``ask`` turns its "may task N run?"
into a signal and waits for the person's answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.agent import Agent, AgentRun, load_agent
from engine.config import Config
from engine.conversation import ApprovalQuestion, Conversation
from engine.executor import Approval
from engine.plan import Task
from engine.tools.spec import Prepared


@dataclass
class ApprovalRequest:
    """A side-effecting task waiting for the person, as it will run (``call``: resolved
    arguments, details such as files and the e-mail body). ``future`` gets the ``Approval``."""

    task: Task
    call: Prepared
    future: asyncio.Future[Approval] = field(repr=False)
    stage: int = 0
    """0 for the command's own plan; each repair or re-plan round after it is a new stage, which
    the person has not seen: "Approve all" and "always allow" given before it do not reach it
    (``engine.conversation``)."""

    @property
    def arguments(self) -> dict[str, Any]:
        return self.call.arguments


class AgentController(QObject):
    event = Signal(object)  # engine.events.Event
    status = Signal(str)
    loaded = Signal(str)  # model name
    load_failed = Signal(str)
    run_started = Signal(str)
    run_finished = Signal(object)  # AgentRun
    run_failed = Signal(str)
    approval_requested = Signal(object)  # ApprovalRequest

    def __init__(self, agent: Agent | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.agent = agent
        self.approve_mode = True
        self.always_allow: set[str] = set()
        self.conversation: Conversation | None = None
        self._job: asyncio.Task[None] | None = None
        self.last_run: AgentRun | None = None
        """The latest finished run: what a repair picks values for."""

    @property
    def stage(self) -> int:
        """The stage now running (``ApprovalRequest.stage``)."""
        return self.conversation.stage if self.conversation is not None else 0

    @property
    def busy(self) -> bool:
        return self._job is not None and not self._job.done()

    async def load(self, config: Config) -> None:
        self.status.emit("Loading model…")
        warnings: list[str] = []
        loop = asyncio.get_running_loop()

        def progress(done: int, total: int) -> None:  # called from the loading thread
            loop.call_soon_threadsafe(self.status.emit, f"Assembling the model (first run only): {done / total:.0%}")

        try:
            agent, _ = await asyncio.to_thread(load_agent, config, progress, warnings.append)
        except Exception as exc:  # a broken model file must leave the window usable
            self.load_failed.emit(f"Could not load the model: {exc}")
            self.status.emit("No model loaded — choose one in Settings")
            return
        if self.agent is not None:
            self.agent.close()  # the previous settings' MCP servers
        self.agent = agent
        for w in warnings:
            self.status.emit(w)
        self.loaded.emit(agent.planner.llm.name)
        self.status.emit(f"Model {agent.planner.llm.name} ready")
        try:
            await asyncio.to_thread(agent.planner.warm_up)
        except Exception as exc:  # only the first command's speed is at stake
            self.status.emit(f"Could not prepare the prompt in advance ({exc}); the first command will be slower")

    def submit(self, query: str) -> bool:
        if self.agent is None or self.busy or not query.strip():
            return False
        self._job = asyncio.ensure_future(self._run(query.strip()))
        return True

    def cancel(self) -> None:
        if self.busy and self._job is not None:
            self._job.cancel()

    def repair(self, fixes: dict[int, tuple[str, str]]) -> bool:
        """Run the last run again with the person's picks (``{task: (old, new)}``): those tasks
        and what waited on them, nothing that already succeeded."""
        if self.agent is None or self.busy or self.last_run is None or not fixes:
            return False
        self._job = asyncio.ensure_future(self._repair(self.last_run, fixes))
        return True

    async def _run(self, query: str) -> None:
        assert self.agent is not None
        self.last_run = None
        self.conversation = Conversation(self.agent, self.ask, ask_first=self.approve_mode, always_allow=self.always_allow,
                                         observers=[self.event.emit])
        self.run_started.emit(query)
        await self._finish(lambda: self.conversation.start(query))  # type: ignore[union-attr]

    async def _repair(self, run: AgentRun, fixes: dict[int, tuple[str, str]]) -> None:
        assert self.conversation is not None and self.conversation.run is run
        await self._finish(lambda: self.conversation.repair(fixes))  # type: ignore[union-attr]

    async def _finish(self, start: Callable[[], Awaitable[AgentRun]]) -> None:
        try:
            run: AgentRun = await start()
        except asyncio.CancelledError:
            self.run_failed.emit("Cancelled.")
            return
        except Exception as exc:
            self.run_failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.last_run = run
        self.run_finished.emit(run)

    async def ask(self, question: ApprovalQuestion) -> Approval:
        """The conversation's question, shown by the window; the answer is the person's."""
        future: asyncio.Future[Approval] = asyncio.get_running_loop().create_future()
        self.approval_requested.emit(ApprovalRequest(question.task, question.call, future, question.stage))
        return await future
