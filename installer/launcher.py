"""Entry script of the packaged app (PyInstaller runs this, not ``python -m accountdesk``).

It starts :func:`accountdesk.__main__.main` — the desktop app without a command, the command line
with one — and adds one option for the build test:

    AccountDesk --data-dir DIR --smoke-test

opens the profile in DIR like a user would (offscreen unless a display platform is forced),
waits ``ACCOUNTDESK_SMOKE_SECONDS`` (default 5; longer while the main window is not yet showing,
up to a minute), prints the visible top-level windows and quits: exit 0 when the main window is
showing, 3 when it is not.
"""

from __future__ import annotations

import os
import sys


def _arm_smoke_test() -> None:
    import time

    from PySide6.QtCore import QTimer

    from accountdesk.ui.app import ensure_app

    app = ensure_app()
    seconds = float(os.environ.get("ACCOUNTDESK_SMOKE_SECONDS", "5"))
    deadline = time.monotonic() + max(seconds, 60.0)

    def check() -> None:
        names = sorted(type(w).__name__ for w in app.topLevelWidgets() if w.isVisible())
        if "MainWindow" not in names and time.monotonic() < deadline:
            QTimer.singleShot(500, check)  # still opening (slow machine): look again
            return
        print("smoke-test: visible windows: " + ", ".join(names), flush=True)
        app.exit(0 if "MainWindow" in names else 3)

    QTimer.singleShot(int(seconds * 1000), check)


def main() -> int:
    argv = sys.argv[1:]
    if "--smoke-test" in argv:
        argv.remove("--smoke-test")
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _arm_smoke_test()
    from accountdesk.__main__ import main as app_main

    return int(app_main(argv) or 0)


if __name__ == "__main__":
    import multiprocessing

    # a helper process (dossier batches) starts this executable
    # again: it must run the helper, not a second app
    multiprocessing.freeze_support()
    sys.exit(main())
