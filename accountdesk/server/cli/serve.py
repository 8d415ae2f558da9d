"""``serve``: check the port, set the environment the app reads, and run uvicorn."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ...errors import AccountDeskError, ValidationError
from ...i18n import _
from ..db import Database
from ..errors import ServerError
from .common import address_arg, database_url


def check_port(host: str, port: int) -> None:
    """Refuse, in words, a port that another program holds (uvicorn would log a bare errno)."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise AccountDeskError(
                    _(
                        "Port {port} on {host} is already in use by another program (another server?); "
                        "stop it or choose another port with --port."
                    ).format(port=port, host=host)
                ) from None
            if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
                raise ValidationError(
                    "host",
                    _("Cannot listen on {host}:{port}: {reason}").format(
                        host=host, port=port, reason=exc.strerror
                    ),
                ) from None
            raise


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    check_port(args.host, args.port)
    url = database_url(args)
    Database(url).migrate()
    os.environ["ACCOUNTDESK_SERVER_DATABASE_URL"] = url
    if args.retention_days is not None:
        os.environ["ACCOUNTDESK_TOMBSTONE_RETENTION_DAYS"] = repr(args.retention_days)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ServerError(400, "bad_request", _("Give both --tls-cert and --tls-key."))
    if args.trusted_proxy:
        from ..settings import Settings

        proxies = [*Settings().trusted_proxies, *(address_arg(a, network=True) for a in args.trusted_proxy)]
        os.environ["ACCOUNTDESK_TRUSTED_PROXIES"] = ",".join(dict.fromkeys(proxies))
    if args.no_docs:
        os.environ["ACCOUNTDESK_SERVER_DOCS"] = "0"
    if args.files_dir:
        os.environ["ACCOUNTDESK_SERVER_FILES_DIR"] = str(Path(args.files_dir).resolve())
    if args.max_file_mb is not None:
        os.environ["ACCOUNTDESK_MAX_FILE_MB"] = str(args.max_file_mb)
    if args.file_quota_mb is not None:
        os.environ["ACCOUNTDESK_FILE_QUOTA_MB"] = str(args.file_quota_mb)
    scheme = "https" if args.tls_cert else "http"
    shown = f"[{args.host}]" if ":" in args.host else args.host
    sys.stdout.write(
        _("AccountDesk server listening on {url} (stop with Ctrl+C)").format(
            url=f"{scheme}://{shown}:{args.port}"
        )
        + "\n"
    )
    sys.stdout.flush()
    uvicorn.run(
        "accountdesk.server.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        log_level="warning" if not args.verbose else "info",
        # X-Forwarded-For is read by the app, and only from the proxies the settings trust
        proxy_headers=False,
    )
    return 0
