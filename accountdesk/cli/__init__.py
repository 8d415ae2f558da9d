"""The ``accountdesk`` command line: a contract for scripts and administrators.

Exit codes: 0 success, 2 bad input (the message names the field), 1 any other error.
``--json`` gives machine-readable output. Each command group lives in its own module of this
package and exposes ``register(subparsers)``; modules are discovered, so adding a group touches
no shared file.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..errors import AccountDeskError, ValidationError
from ..i18n import _, set_language
from .common import CLIError, emit_error

log = logging.getLogger("accountdesk")


def _pre_language(argv: Sequence[str]) -> str | None:
    """Read ``--lang`` before building the parser, so that help texts are translated too."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accountdesk",
        description=_(
            "AccountDesk: the workstation of key-account managers. Without a command, opens the desktop app."
        ),
    )
    parser.add_argument("--version", action="version", version=f"AccountDesk {__version__}")
    parser.add_argument("--data-dir", type=Path, help=_("profile folder (default: the user's data folder)"))
    parser.add_argument(
        "--lang", choices=["zh_CN", "en"], help=_("language of messages (default: the system's)")
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=_("log more detail"))
    sub = parser.add_subparsers(dest="command", metavar=_("COMMAND"))
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in ("common",) or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    set_language(_pre_language(argv))
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 for bad usage, 0 for --help
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if args.command is None:
        from ..ui.app import run_app

        return run_app(data_dir=args.data_dir, lang=args.lang)
    from ..store import crypto
    from .security import TerminalProgress

    crypto.set_progress_listener(TerminalProgress())  # a one-time encryption in place, on stderr
    try:
        return int(args.func(args) or 0)
    except ValidationError as exc:
        emit_error(args, exc, code=2)
        return 2
    except CLIError as exc:
        emit_error(args, exc, code=exc.exit_code)
        return exc.exit_code
    except AccountDeskError as exc:
        emit_error(args, exc, code=exc.exit_code)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (``accountdesk clients list | head``): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no stack traces for users
        log.debug("unexpected error", exc_info=True)
        emit_error(args, AccountDeskError(_("Unexpected error: {error}").format(error=exc)), code=1)
        return 1
    finally:
        crypto.set_progress_listener(None)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
