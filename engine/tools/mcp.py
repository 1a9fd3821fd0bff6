"""MCP servers as a tool source: each server's tools planned beside the desktop tools, and called.

People describe tools for agents as MCP servers now. A server is started over stdio with the
official SDK (``mcp`` on PyPI), its tools are listed once and become ``ToolSpec``s (their JSON
schemas are the same shape as a ``--tools`` file's), and a call goes back to the server.

The servers live on one event loop in a thread of their own, whatever loop the caller runs
(``asyncio.run`` per request in the CLI, Qt's loop in the app): the SDK's sessions are bound to
the task group that opened them, so they must outlive any one request's loop. A call from the
executor is an ``async`` function that awaits the server's answer on that thread.

What the user must be able to trust:

- approval follows the server's own annotation: a tool is run without asking only when it is
  marked read-only (``readOnlyHint``); unmarked means it may change something;
- a server's tool never takes a name already taken (a desktop tool's, another server's): it is
  left out, with a warning that says so;
- a server that fails to start, hangs, crashes mid-call or answers garbage gives a ``ToolError``
  for that task (``McpError`` at start), never a hang of the whole app: the rest of the plan
  goes on as its dependencies allow.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import shlex
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.errors import TinyAgentError
from engine.tools.spec import ToolBox, ToolError, ToolSpec, ToolSpecError

START_TIMEOUT = 20.0
"""Seconds a server has to start and list its tools."""
CALL_TIMEOUT = 60.0
"""Seconds a call may take before its task fails (the executor's own timeout is longer)."""
TIMEOUTS = (TimeoutError, asyncio.TimeoutError, concurrent.futures.TimeoutError)
"""Before Python 3.11 the asyncio and futures timeouts were not the built-in one."""
MAX_DESCRIPTION = 400
"""Characters of a tool's description shown to the planner: a server's prose must not crowd out
the request in a small model's context."""


class McpError(TinyAgentError, RuntimeError):
    """An MCP server that cannot be used: it did not start, did not answer, or is not MCP."""


@dataclass
class McpServer:
    """One server: its command line, and once started its session and tools."""

    command: str
    name: str = ""
    specs: list[ToolSpec] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Why each of its tools that could not be offered was left out."""
    session: Any = None
    stopped: str | None = None
    """Why the server can no longer be called (it exited, its pipe closed), once it has."""
    _stop: asyncio.Event | None = None
    _task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        try:
            argv = shlex.split(self.command)
        except ValueError as exc:
            raise McpError(f"MCP server command {self.command!r}: {exc}") from None
        if not argv:
            raise McpError("an MCP server command is empty")
        self.argv = argv
        self.named = bool(self.name)
        """Named by the user; otherwise the server's own name once it has said it."""
        self.name = self.name or argv[0].rsplit("/", 1)[-1]


def spec_from_tool(tool: Any, server: str) -> ToolSpec:
    """A ``ToolSpec`` for an MCP ``Tool``: its schema as a function definition, approval from its
    annotations (only ``read_only_hint=True`` runs without asking), and where it came from."""
    description = (tool.description or tool.title or "").strip()
    if len(description) > MAX_DESCRIPTION:
        description = description[: MAX_DESCRIPTION - 1].rstrip() + "…"
    schema = dict(tool.input_schema or {})
    schema.setdefault("type", "object")
    read_only = bool(tool.annotations and tool.annotations.read_only_hint)
    spec = ToolSpec.from_json_schema({"name": tool.name, "description": description, "parameters": schema,
                                      "x-side-effect": not read_only})
    return dataclasses.replace(spec, origin=f"mcp:{server}")


def result_text(result: Any) -> str:
    """A call's answer as the text the plan passes on; an error result is a ``ToolError``."""
    parts = []
    for block in getattr(result, "content", None) or []:
        text = getattr(block, "text", None)
        if isinstance(text, str):
            parts.append(text)
        else:
            parts.append(f"[{getattr(block, 'type', 'content')} not shown]")
    text = "\n".join(parts).strip()
    if not text and getattr(result, "structured_content", None) is not None:
        import json

        text = json.dumps(result.structured_content, ensure_ascii=False)
    if getattr(result, "is_error", False):
        raise ToolError(text or "the server reported an error without a message")
    return text


class McpSource:
    """MCP servers as one tool source: ``start`` them, ``add_to`` a ``ToolBox``, ``close``."""

    def __init__(self, commands: Iterable[str], *, start_timeout: float = START_TIMEOUT,
                 call_timeout: float = CALL_TIMEOUT) -> None:
        self.servers = [McpServer(c) for c in commands]
        self.start_timeout = start_timeout
        self.call_timeout = call_timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mcp", daemon=True)
        self._thread.start()

    def _submit(self, coro: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]

    def start(self) -> list[str]:
        """Start every server and list its tools; the problems, one line each (a server that
        cannot start is left out, the others go on)."""
        problems = []
        for server in self.servers:
            try:
                self._submit(self._open(server)).result(self.start_timeout + 5)
            except McpError as exc:
                problems.append(str(exc))
            except TIMEOUTS:
                problems.append(f"MCP server {server.name} did not list its tools within {self.start_timeout:.0f} s")
            problems += [f"MCP server {server.name}: {why}" for why in server.skipped]
        return problems

    async def _open(self, server: McpServer) -> None:
        ready: asyncio.Future[None] = self._loop.create_future()
        server._stop = asyncio.Event()
        server._task = asyncio.ensure_future(self._serve(server, ready))
        try:
            await asyncio.wait_for(asyncio.shield(ready), self.start_timeout)
        except TIMEOUTS:
            server._stop.set()
            server._task.cancel()
            raise McpError(f"MCP server {server.name} ({server.command}) did not list its tools "
                           f"within {self.start_timeout:.0f} s") from None

    async def _serve(self, server: McpServer, ready: asyncio.Future[None]) -> None:
        """The server's whole life in one task, as the SDK's task groups require."""
        import os

        from mcp import ClientSession
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(command=server.argv[0], args=server.argv[1:])
        try:
            with open(os.devnull, "w") as quiet:
                async with stdio_client(params, errlog=quiet) as (read, write), ClientSession(read, write) as session:
                    hello = await session.initialize()
                    own = getattr(getattr(hello, "server_info", None), "name", "")
                    if own and not server.named:
                        server.name = str(own)
                    listed = await session.list_tools()
                    server.session = session
                    for tool in listed.tools:
                        try:
                            server.specs.append(spec_from_tool(tool, server.name))
                        except ToolSpecError as exc:
                            server.skipped.append(f"tool {getattr(tool, 'name', '?')!r} left out: {exc}")
                    if not ready.done():
                        ready.set_result(None)
                    assert server._stop is not None
                    await server._stop.wait()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001  (an ExceptionGroup from the SDK's task group, an OSError)
            why = _reason(exc)
            server.stopped = why
            if not ready.done():
                ready.set_exception(McpError(f"MCP server {server.name} ({server.command}) could not start: {why}"))
        else:
            server.stopped = "closed"
        finally:
            server.session = None
            if server.stopped is None:
                server.stopped = "closed"

    def add_to(self, box: ToolBox, warn: Callable[[str], None] = print) -> list[ToolSpec]:
        """Add every started server's tools to ``box``; a name already in it is refused."""
        added = []
        for server in self.servers:
            for spec in server.specs:
                if spec.name in box:
                    warn(f"MCP server {server.name}: tool {spec.name!r} left out: the name is taken by "
                         f"{box.specs[spec.name].origin or 'your own'} tools")
                    continue
                box.add(spec, self._caller(server, spec.name))
                added.append(spec)
        return added

    def _caller(self, server: McpServer, name: str) -> Callable[..., Awaitable[str]]:
        async def call(**arguments: Any) -> str:
            future = self._submit(self._call(server, name, arguments))
            try:
                return await asyncio.wait_for(asyncio.wrap_future(future), self.call_timeout + 5)
            except TIMEOUTS:
                future.cancel()
                raise ToolError(f"{server.name} did not answer {name} within {self.call_timeout:.0f} s") from None

        call.__name__ = name
        return call

    async def _call(self, server: McpServer, name: str, arguments: dict[str, Any]) -> str:
        if server.session is None:
            raise ToolError(f"MCP server {server.name} has stopped ({server.stopped or 'not started'})")
        try:
            result = await server.session.call_tool(name, arguments, read_timeout_seconds=self.call_timeout)
        except ToolError:
            raise
        except Exception as exc:  # noqa: BLE001  (the SDK's errors for a closed pipe, a bad answer, a timeout)
            raise ToolError(f"MCP server {server.name} failed on {name}: {_reason(exc)}") from None
        try:
            return result_text(result)
        except ToolError as exc:
            raise ToolError(f"{server.name}: {exc}") from None

    def close(self) -> None:
        """Stop every server (their processes end with their sessions) and the loop's thread."""
        if not self._thread.is_alive():
            return

        async def stop_all() -> None:
            for server in self.servers:
                if server._stop is not None:
                    server._stop.set()
            tasks = [s._task for s in self.servers if s._task is not None]
            if tasks:
                await asyncio.wait(tasks, timeout=5)

        with contextlib.suppress(Exception):
            self._submit(stop_all()).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self) -> McpSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _reason(exc: BaseException) -> str:
    """The innermost message of ``exc`` (the SDK wraps its errors in exception groups)."""
    while isinstance(inner := getattr(exc, "exceptions", None), tuple | list) and inner:
        exc = inner[0]
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
