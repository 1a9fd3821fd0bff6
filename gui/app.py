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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tinyagent-gui")
    p.add_argument("--model", help="a .gguf file, or default / fast")
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--toolrag", default="none", help="none (all tools, default), classifier, embed, embed:K")
    p.add_argument("--no-approve", action="store_true", help="run side effects without asking")
    p.add_argument("--demo", help="run this command once the model is loaded (approving everything)")
    p.add_argument("--screenshot", type=Path, help="with --demo: save the window to this PNG when done, then quit")
    p.add_argument("--now", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    os.environ.setdefault("QT_API", "pyside6")  # qasync picks PyQt5 if present unless told
    import qasync
    from PySide6.QtWidgets import QApplication

    from engine.runtime import AgentOptions
    from engine.tools.local import default_data_dir
    from gui.controller import AgentController
    from gui.history import History
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    data_dir = args.data_dir or default_data_dir()
    controller = AgentController()
    controller.approve_mode = not args.no_approve
    window = MainWindow(controller, History(data_dir / "history.sqlite"))
    window.show()
    opts = AgentOptions(model=args.model, data_dir=data_dir, toolrag=args.toolrag, open_in_desktop=not args.screenshot)
    done = asyncio.Event()

    async def start() -> None:
        await controller.load(opts)
        if args.demo and controller.agent is not None:
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
    window.history.close() if window.history else None
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter finalization: garbage-collecting llama.cpp and Qt objects at exit crashes
    # in a native extension ("bool_dealloc"), after all our work is done and saved.
    os._exit(0)
