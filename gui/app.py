"""``tinyagent-gui`` / ``python -m gui``: start the window on the qasync event loop.

    python -m gui                                   # the app
    python -m gui --screenshot out.png --demo "Create a calendar invite with Sid tomorrow at 3pm"
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from engine.flags import add_flags, config_from


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tinyagent-gui")
    add_flags(p, ("model", "lora", "data_dir", "toolrag", "threads"), default_text="the Settings'; overrides them for this run")
    p.add_argument("--no-approve", action="store_true", help="run side effects without asking")
    p.add_argument("--settings", type=Path, help="settings file (default: ~/.config/tinyagent/settings.json)")
    p.add_argument("--demo", help="run this command once the model is loaded (approving everything)")
    p.add_argument("--screenshot", type=Path, help="with --demo: save the window to this PNG when done, then quit")
    p.add_argument("--now", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    from gui.welcome import display_problem, welcome

    if problem_here := display_problem():
        print(f"tinyagent-gui: {problem_here}", file=sys.stderr)
        return 2
    os.environ.setdefault("QT_API", "pyside6")  # qasync picks PyQt5 if present unless told
    import qasync
    from PySide6.QtWidgets import QApplication

    from engine.config import ConfigError
    from engine.tools.local import default_data_dir
    from gui.controller import AgentController
    from gui.history import History
    from gui.main_window import MainWindow
    from gui.settings import Settings, config_path
    from gui.theme import follow_system_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    follow_system_theme(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    settings_path = args.settings or config_path()
    settings, problem = Settings.load(settings_path)
    try:
        settings.config = config_from(args, settings.config)
    except ConfigError as exc:
        print(f"tinyagent-gui: {exc}", file=sys.stderr)
        return 2
    if args.no_approve:
        settings.approve_mode = False
    data_dir = settings.config.data_dir or default_data_dir()
    controller = AgentController()
    window = MainWindow(controller, History(data_dir / "history.sqlite"), settings, settings_path)
    if problem:
        window.chat.add_note(problem, error=True)
    window.chat.add_note(welcome(data_dir))
    window.show()
    config = settings.config.replace(open_in_desktop=not args.screenshot, data_dir=data_dir)
    done = asyncio.Event()
    status = {"code": 0}

    async def start() -> None:
        await controller.load(config)
        if args.demo and controller.agent is None:
            print("the model did not load; no demo to run", file=sys.stderr)
            status["code"] = 1
            if args.screenshot:
                window.grab().save(str(args.screenshot))
            app.quit()
        elif args.demo:
            controller.approve_mode = False  # a demo runs unattended: nobody is there to click Approve
            controller.run_finished.connect(lambda _: done.set())
            controller.run_failed.connect(lambda _: done.set())
            window.command.submitted.emit(args.demo)
            await done.wait()
            await asyncio.sleep(0.3)
            if args.screenshot:
                window.dag.fit()
                window.grab().save(str(args.screenshot))
                print(args.screenshot)
            app.quit()

    with loop:
        loop.create_task(start())
        loop.run_forever()
    window.voice.close()
    window.history.close() if window.history else None
    if window.controller.agent is not None:
        window.controller.agent.close()  # MCP servers end with the app
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter finalization: garbage-collecting llama.cpp and Qt objects at exit crashes
    # in a native extension ("bool_dealloc"), after all our work is done and saved.
    os._exit(status["code"])
