"""The installers agree with the package, and the packaged app starts.

The fast tests always run. The real build (PyInstaller, then a demo profile opened offscreen by
the built app) takes minutes: it runs only with ``ACCOUNTDESK_BUILD_INSTALLER=1``.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
INSTALLER = ROOT / "installer"
RESOURCES = ROOT / "resources"
VERSION = version("accountdesk")


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_installed_package_is_the_pyproject_version():
    assert VERSION == pyproject()["project"]["version"]


def test_inno_setup_script_matches_the_package():
    iss = (INSTALLER / "windows" / "accountdesk.iss").read_text(encoding="utf-8")
    assert re.search(r'#define AppVersion "([^"]+)"', iss)[1] == VERSION
    assert re.search(r'#define AppExe "([^"]+)"', iss)[1] == "AccountDesk.exe"
    sections = set(re.findall(r"^\[(\w+)\]", iss, re.M))
    assert {"Setup", "Files", "Icons", "Registry", "Run", "Languages"} <= sections
    assert re.search(r"^Name: \"\{group\}\\\{#AppName\}\"", iss, re.M), "Start-menu entry"
    assert "{uninstallexe}" in iss and "UninstallDisplayIcon" in iss, "uninstaller"
    assert "DefaultIcon" in iss, "file icon"
    for rel in re.findall(r'(?:SetupIconFile=|Source: ")(\.\.\\\.\.\\resources\\[^"\s]+)', iss):
        assert (INSTALLER / "windows" / rel.replace("\\", "/")).resolve().exists(), rel


def test_desktop_entry_is_valid_and_matches_the_package():
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    parser.read(INSTALLER / "linux" / "accountdesk.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert entry["Exec"].split()[0] == "AccountDesk" and entry["Icon"] == "accountdesk"
    assert entry["X-AccountDesk-Version"] == VERSION
    assert "Office" in entry["Categories"].split(";") and entry["Categories"].endswith(";")
    assert "大客户" in entry["Name[zh_CN]"]


def test_spec_builds_the_entry_points_of_the_package():
    spec = (INSTALLER / "accountdesk.spec").read_text(encoding="utf-8")
    tree = ast.parse(spec)  # valid Python
    names = {c.value for c in ast.walk(tree) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    assert 'version("accountdesk")' in spec  # the version comes from the package, not the spec
    assert {"AccountDesk", "accountdesk-cli"} <= names
    assert 'copy_metadata("accountdesk")' in spec
    for pattern in ("locale/**/*.po", "migrations/versions/*.py", "migrations/*.ini", "resources/**/*"):
        assert pattern in names, pattern
    # the launcher calls the same function as the accountdesk-gui script of the package
    gui = pyproject()["project"]["gui-scripts"]["accountdesk-gui"]
    module, func = gui.split(":")
    launcher = (INSTALLER / "launcher.py").read_text(encoding="utf-8")
    assert f"from {module} import {func} as app_main" in launcher
    assert "launcher.py" in spec and "BUNDLE(" in spec and "CFBundleShortVersionString" in spec


def test_icons_exist_in_every_size_and_stay_small():
    root = ET.parse(RESOURCES / "app-icon.svg").getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 256 256"
    for size in (16, 32, 48, 64, 128, 256, 512):
        path = RESOURCES / "icons" / f"app-icon-{size}.png"
        with Image.open(path) as im:
            assert im.size == (size, size) and im.mode == "RGBA"
        assert path.stat().st_size < 20_000
    with Image.open(RESOURCES / "accountdesk.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(RESOURCES / "accountdesk.icns") as icns:
        assert icns.format == "ICNS"
    total = sum(p.stat().st_size for p in RESOURCES.rglob("*") if p.is_file())
    assert total < 300_000


def _demo_profile(tmp_path: Path) -> Path:
    profile = tmp_path / "demo"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "accountdesk",
            "--data-dir",
            str(profile),
            "--lang",
            "en",
            "demo",
            "--clients",
            "3",
        ],
        check=True,
        env=env,
        capture_output=True,
        timeout=120,
    )
    return profile


@pytest.mark.gui
def test_launcher_smoke_test_opens_a_demo_profile_and_exits_cleanly(tmp_path):
    """What the packaged app runs, run from the source tree."""
    profile = _demo_profile(tmp_path)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ACCOUNTDESK_SMOKE_SECONDS": "2"}
    out = subprocess.run(
        [
            sys.executable,
            str(INSTALLER / "launcher.py"),
            "--data-dir",
            str(profile),
            "--lang",
            "en",
            "--smoke-test",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "MainWindow" in out.stdout
    assert "Traceback" not in out.stderr


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("ACCOUNTDESK_BUILD_INSTALLER") != "1", reason="set ACCOUNTDESK_BUILD_INSTALLER=1 to build"
)
@pytest.mark.timeout(1800)
def test_pyinstaller_build_opens_a_demo_profile_offscreen_and_exits_cleanly():
    out = subprocess.run(
        [sys.executable, str(INSTALLER / "build.py"), "linux", "--smoke-test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1700,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    assert "smoke-test: visible windows:" in out.stdout and "MainWindow" in out.stdout
    assert (ROOT / "dist" / "AccountDesk" / "AccountDesk").exists()
    assert (ROOT / "dist" / f"AccountDesk-{VERSION}-linux-{os.uname().machine}.tar.gz").exists()
