"""The password of the operating system's account, for unlocking the app lock (issue 14, point 6).

Where the platform offers a way to check it from Python:

- **Linux** (and other systems with PAM): ``python-pam`` (ctypes over libpam), service
  ``accountdesk`` where ``/etc/pam.d/accountdesk`` exists, else ``login`` - the stack the console
  sign-in uses, so LDAP/SSSD accounts work too. A process that is not root checks its own user's
  password through pam_unix's setuid helper (unix_chkpwd), as a screen locker does. A wrong
  password costs the service's fail delay (Debian's ``login``: about 2-3 s), as it does at sign-in.
- **macOS**: PAM too (libpam ships with macOS; service ``login``). Not run on a Mac so far.
  LocalAuthentication (Touch ID) is not reachable without pyobjc, which AccountDesk does not ship;
  ``dscl . -authonly`` was not used because it takes the password on its command line, where other
  processes of the computer can read it.
- **Windows**: ``LogonUserW`` (advapi32, through ctypes) with an interactive logon, which also
  works offline for a domain account with cached credentials. Not run on Windows so far.

Elsewhere, or where the check is not available, :func:`method` is None and the lock screen takes
the AccountDesk password only (services/security.py). ``ACCOUNTDESK_OS_PASSWORD=0`` turns the OS
password off.

Stdlib only at import (the PAM binding is imported when used): the tests load this file alone in a
process of another user.
"""

from __future__ import annotations

import logging
import os
import sys

log = logging.getLogger(__name__)

PAM, WINDOWS = "pam", "windows"
PAM_SERVICE = "accountdesk"
PAM_FALLBACK_SERVICE = "login"


def method() -> str | None:
    """How this computer checks its account's password: ``"pam"``, ``"windows"`` or None."""
    if os.environ.get("ACCOUNTDESK_OS_PASSWORD") == "0":
        return None
    if sys.platform == "win32":
        return WINDOWS
    try:
        import pam  # noqa: F401 - python-pam
    except ImportError:
        return None
    from ctypes.util import find_library

    return PAM if find_library("pam") else None


def current_user() -> str:
    """The account this process runs as (not a variable the environment could change)."""
    if os.name == "posix":
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    import getpass

    return getpass.getuser()


def pam_service() -> str:
    return PAM_SERVICE if os.path.exists(f"/etc/pam.d/{PAM_SERVICE}") else PAM_FALLBACK_SERVICE


def check(password: str, user: str | None = None) -> bool:
    """True when ``password`` is the password of the OS account ``user`` (default: this process's).
    Blocks for the platform's fail delay on a wrong password: call it off the GUI thread."""
    how = method()
    if not password or how is None or "\0" in password:
        return False
    user = user or current_user()
    try:
        if how == PAM:
            return _pam(user, password)
        return _windows(user, password)
    except Exception:  # noqa: BLE001 - a broken PAM stack or DLL: the other passwords still work
        log.warning("the OS password could not be checked (%s)", how, exc_info=True)
        return False


def _pam(user: str, password: str) -> bool:
    import pam

    auth = pam.PamAuthenticator()
    # No credentials re-initialised (resetcreds): this is a check, not a new sign-in.
    ok = bool(auth.authenticate(user, password, service=pam_service(), resetcreds=False))
    if not ok:
        log.info("PAM refused the password (%s)", auth.reason)
    return ok


def _windows(user: str, password: str) -> bool:  # pragma: no cover - Windows only
    import ctypes
    from ctypes import wintypes

    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    advapi32.LogonUserW.argtypes = [
        wintypes.LPCWSTR,
        wintypes.LPCWSTR,
        wintypes.LPCWSTR,
        wintypes.DWORD,
        wintypes.DWORD,
        ctypes.POINTER(wintypes.HANDLE),
    ]
    advapi32.LogonUserW.restype = wintypes.BOOL
    logon32_logon_interactive, logon32_provider_default = 2, 0
    domain = os.environ.get("USERDOMAIN") or "."
    token = wintypes.HANDLE()
    ok = advapi32.LogonUserW(
        user, domain, password, logon32_logon_interactive, logon32_provider_default, ctypes.byref(token)
    )
    if ok:
        kernel32.CloseHandle(token)
    return bool(ok)
