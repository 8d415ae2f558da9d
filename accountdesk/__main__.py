"""``python -m accountdesk`` and the ``accountdesk-gui`` launcher.

Without a command the desktop app starts straight away (the command-line parser and its command
modules are not even imported); with a command this is the ``accountdesk`` command line.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

_GUI_OPTIONS = {"--data-dir", "--lang"}


def _gui_arguments(argv: list[str]) -> dict | None:
    """``{"data_dir": ..., "lang": ...}`` when argv only holds the app's own options, else None."""
    found: dict[str, str | None] = {"data_dir": None, "lang": None}
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, _eq, value = arg.partition("=")
        if name not in _GUI_OPTIONS:
            return None
        if not _eq:
            if i + 1 >= len(argv):
                return None
            value = argv[i + 1]
            i += 1
        if name == "--lang" and value not in ("zh_CN", "en"):
            return None
        found[name[2:].replace("-", "_")] = value
        i += 1
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    gui = _gui_arguments(args)
    if gui is not None:
        from .ui.app import run_app

        return run_app(data_dir=gui["data_dir"], lang=gui["lang"])
    from .cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
