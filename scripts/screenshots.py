"""Screenshots of every screen of the desktop app, in Simplified Chinese and English, from a demo
profile — to look at what we build (and to refresh ``docs/screenshots``).

    .venv/bin/python scripts/screenshots.py [--out DIR] [--clients N] [--lang zh_CN en]

Runs offscreen (no display needed); with ``QT_QPA_PLATFORM=xcb`` under ``xvfb-run`` the same
screens are rendered by the X11 platform plugin. Writes ``DIR/LANG/NN-name.png``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SHOOT = r"""
import sys, time
from pathlib import Path
from PySide6.QtCore import QEventLoop, QTimer
from accountdesk.ui.app import ensure_app, install_language, open_profile_in
from accountdesk.ui import style
from accountdesk.ui.settings import Settings
from accountdesk.ui.tasks import TaskManager
from accountdesk.ui.main_window import MainWindow, NAV

profile, out, lang = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
out.mkdir(parents=True, exist_ok=True)
app = ensure_app()
install_language(lang)
style.apply_style(app)
tasks = TaskManager()
ctx = open_profile_in(profile)
settings = Settings(Path(sys.argv[4]))
window = MainWindow(ctx, tasks, settings, notifier=lambda *_: None)
window.resize(1280, 800)
window.show()
count = [0]


def settle(ms=600):
    # let background queries finish and the event loop paint their results
    tasks.wait(10000)
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    tasks.wait(10000)


def shot(name, widget=None):
    settle()
    count[0] += 1
    path = out / f"{count[0]:02d}-{name}.png"
    (widget or window).grab().save(str(path))
    print(path, flush=True)


settle(1500)
for entry in NAV:
    window.show_page(entry.key)
    shot(entry.key)

window.show_page("clients")
clients = window.page("clients")
client_id = clients.model.client_at(0).id
window.open_client(client_id)
settle(1000)
from accountdesk.ui.workspace import ClientWorkspace
workspace = window.workspace_host.findChild(ClientWorkspace)
for name in workspace.tab_names():
    workspace.show_tab(name)
    shot(f"workspace-{name}")
tasks.shutdown()
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "all")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--lang", nargs="+", default=["zh_CN", "en"])
    parser.add_argument("--profile", type=Path, help="an existing profile instead of a fresh demo")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("TZ", "Asia/Shanghai")  # the demo's visits are in office hours there
    with tempfile.TemporaryDirectory() as tmp:
        profile = args.profile
        if profile is None:
            profile = Path(tmp) / "profile"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "accountdesk",
                    "--data-dir",
                    str(profile),
                    "demo",
                    "--clients",
                    str(args.clients),
                ],
                check=True,
                env=env,
                stdout=subprocess.DEVNULL,
            )
        for lang in args.lang:
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    SHOOT,
                    str(profile),
                    str(args.out / lang),
                    lang,
                    str(Path(tmp) / f"settings-{lang}.ini"),
                ],
                check=True,
                env=env,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
