"""Owner-only files of a profile: 0700/0600 on POSIX, an owner-only ACL on Windows (``icacls``),
and removing a plaintext file by overwriting it first. (Split off :mod:`.crypto`, which imports
every name from here.)"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def owner_only(path: Path) -> None:
    """Readable by the user only: 0700 for a folder, 0600 for a file (POSIX); on Windows a folder
    gets an owner-only ACL (:func:`windows_owner_only`), which the files in it inherit."""
    if os.name == "nt":
        if Path(path).is_dir():
            windows_owner_only(Path(path))
        return
    if os.name != "posix":
        return
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)


def windows_account(environ: dict[str, str] | None = None) -> str:
    """The Windows account running this process, as ``icacls`` names it (``DOMAIN\\user``)."""
    env = os.environ if environ is None else environ
    user = env.get("USERNAME") or ""
    if not user:
        import getpass

        user = getpass.getuser()
    domain = env.get("USERDOMAIN") or ""
    return f"{domain}\\{user}" if domain else user


def icacls_owner_only_command(folder: Path, account: str) -> list[str]:
    """The ``icacls`` command that leaves ``folder`` to ``account`` alone: the ACL entries inherited
    from the parent folders removed (``/inheritance:r``: the Users and Administrators groups that
    AppData may pass on), and full control granted to the account, replacing any grant it had
    (``/grant:r``), inherited by the subfolders (CI) and files (OI) in it, present and future."""
    return ["icacls", str(folder), "/inheritance:r", "/grant:r", f"{account}:(OI)(CI)F", "/Q"]


_acl_done: set[str] = set()


def windows_owner_only(folder: Path, run: Callable[..., Any] | None = None) -> bool:
    """Give the profile folder an owner-only ACL (once per folder and process). Returns True when
    it was set; a failure is logged, never raised (the profile still opens: AppData's own ACL is
    the user's already)."""
    key = str(Path(folder).resolve())
    if key in _acl_done:
        return True
    import subprocess

    command = icacls_owner_only_command(Path(folder), windows_account())
    runner = run or subprocess.run
    try:
        result = runner(
            command,
            capture_output=True,
            text=True,
            timeout=30,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not restrict the ACL of %s: %s", folder, exc)
        return False
    if result.returncode != 0:
        log.warning("icacls refused to restrict %s (%s): %s", folder, result.returncode, result.stdout)
        return False
    _acl_done.add(key)
    return True


def secure_tree(data_dir: Path) -> None:
    """The profile folder and everything in it: owner only."""
    data_dir = Path(data_dir)
    if not data_dir.exists():
        return
    owner_only(data_dir)  # on Windows: the folder's ACL, inherited by everything in it
    if os.name != "posix":
        return
    for root, dirs, files in os.walk(data_dir):
        for name in dirs:
            owner_only(Path(root) / name)
        for name in files:
            p = Path(root) / name
            with contextlib.suppress(FileNotFoundError):
                mode = stat.S_IMODE(p.lstat().st_mode)
                if mode & 0o077 and not p.is_symlink():
                    os.chmod(p, 0o600)


def secure_remove(path: Path, on_fraction: Callable[[float], None] | None = None) -> None:
    """Overwrite a file with zeros, flush it to disk, then remove it. (On SSDs and copy-on-write
    file systems the old blocks may survive elsewhere: that is why the store is encrypted at all;
    this only keeps a plaintext copy from being read back with ordinary tools.) ``on_fraction``
    hears how much is overwritten (0..1)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    try:
        with open(path, "r+b", buffering=0) as fh:
            block = b"\0" * (1 << 20)
            left = size
            while left > 0:
                n = min(left, len(block))
                fh.write(block[:n])
                left -= n
                if on_fraction is not None:
                    on_fraction(1 - left / size)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        log.warning("could not overwrite %s before removing it", path, exc_info=True)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
