#!/usr/bin/env python3
"""Build AccountDesk for this platform: one command per platform (see installer/README.md).

    python installer/build.py linux     # dist/AccountDesk/ + dist/AccountDesk-<v>-linux-<arch>.tar.gz
    python installer/build.py windows   # dist\\AccountDesk\\ + dist\\AccountDesk-<v>-setup.exe (Inno Setup)
    python installer/build.py macos     # dist/AccountDesk.app + dist/AccountDesk-<v>-macos.dmg

Options: ``--skip-pyinstaller`` (reuse dist/AccountDesk), ``--smoke-test`` (Linux: make a demo
profile with the built app and open it offscreen; fails unless the main window shows and the
app exits cleanly). The version is the installed package's (``pyproject.toml``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
APP = "AccountDesk"


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("+ " + " ".join(map(str, cmd)), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def pyinstaller() -> Path:
    run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(DIST),
            "--workpath",
            str(ROOT / "build" / "pyinstaller"),
            str(ROOT / "installer" / "accountdesk.spec"),
        ]
    )
    return DIST / APP


def smoke_test(folder: Path, timeout: float = 180) -> None:
    """Make a demo profile with the built app's command line, then open it offscreen."""
    exe = folder / APP
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ACCOUNTDESK_NO_KEYRING_PROMPT": "1"}
        run([str(exe), "--data-dir", tmp, "--lang", "en", "demo", "--clients", "5"], env=env, timeout=timeout)
        out = run(
            [str(exe), "--data-dir", tmp, "--lang", "en", "--smoke-test"],
            env=env,
            timeout=timeout,
            capture_output=True,
            text=True,
        )
        print(out.stdout + out.stderr)
        if "MainWindow" not in out.stdout:
            raise SystemExit("smoke test: the main window did not show")


def linux(args) -> None:
    folder = DIST / APP if args.skip_pyinstaller else pyinstaller()
    share = folder / "share"
    (share / "applications").mkdir(parents=True, exist_ok=True)
    shutil.copy(
        ROOT / "installer" / "linux" / "accountdesk.desktop", share / "applications" / "accountdesk.desktop"
    )
    for size in (16, 32, 48, 64, 128, 256, 512):
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "resources" / "icons" / f"app-icon-{size}.png", target / "accountdesk.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "resources" / "app-icon.svg", scalable / "accountdesk.svg")
    shutil.copy(ROOT / "installer" / "linux" / "install.sh", folder / "install.sh")
    if args.smoke_test:
        smoke_test(folder)
    archive = DIST / f"{APP}-{version('accountdesk')}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=APP)
    print(f"built {archive}")


def windows(args) -> None:
    folder = DIST / APP if args.skip_pyinstaller else pyinstaller()
    iscc = shutil.which("iscc") or r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe"
    run(
        [
            iscc,
            f"/DAppVersion={version('accountdesk')}",
            f"/DSourceDir={folder}",
            str(ROOT / "installer" / "windows" / "accountdesk.iss"),
        ]
    )


def macos(args) -> None:
    if not args.skip_pyinstaller:
        pyinstaller()
    bundle = DIST / f"{APP}.app"
    dmg = DIST / f"{APP}-{version('accountdesk')}-macos.dmg"
    run(["hdiutil", "create", "-volname", APP, "-srcfolder", str(bundle), "-ov", "-format", "UDZO", str(dmg)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("platform", choices=["linux", "windows", "macos"])
    ap.add_argument("--skip-pyinstaller", action="store_true")
    ap.add_argument("--smoke-test", action="store_true")
    args = ap.parse_args()
    {"linux": linux, "windows": windows, "macos": macos}[args.platform](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
