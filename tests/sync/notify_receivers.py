"""Real receivers on loopback for the notification tests, each run as its own process:

- ``smtp``: an aiosmtpd server storing what it receives in a Maildir, optionally with STARTTLS
  or implicit TLS (a test certificate) and AUTH LOGIN/PLAIN checked against one user;
- ``webhook``: an HTTP server that plays the WeCom, DingTalk and Feishu group robots: it checks
  each one's URL key, message format and signature (implemented here from the vendors'
  documentation, independently of the server's code), answers as they do, and logs every
  request as a JSON line. While the file ``<log>.down`` exists it answers 503.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def run_smtp(args) -> None:
    import asyncio
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            user, pw = args.auth.split(":", 1)
            return AuthResult(success=auth_data.login.decode() == user and auth_data.password.decode() == pw)
        return AuthResult(success=False, handled=False)

    context = None
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    kw = {}
    if args.auth:
        # implicit TLS: the whole connection is encrypted (aiosmtpd only counts STARTTLS as TLS for AUTH)
        kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=args.tls == "starttls")
    if args.tls == "starttls":
        kw.update(tls_context=context, require_starttls=True)
    controller = Controller(
        Mailbox(args.maildir),
        hostname="127.0.0.1",
        port=args.port,
        ssl_context=context if args.tls == "implicit" else None,
        server_kwargs=kw,
    )
    controller.start()
    Path(args.maildir + ".ready").write_text("ok")
    try:
        asyncio.run(asyncio.sleep(3600))
    finally:
        controller.stop()


def run_webhook(args) -> None:
    log = Path(args.log)
    down = Path(args.log + ".down")
    robots = json.loads(
        args.robots
    )  # {"wecom": {"key"}, "dingtalk": {"token", "secret"}, "feishu": {"hook", "secret"}}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):  # quiet
            pass

        def answer(self, status: int, body: dict) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def record(self, kind: str, ok: bool, body, query, why: str = "") -> None:
            with log.open("a", encoding="utf-8") as fh:
                fh.write(
                    json.dumps(
                        {"kind": kind, "ok": ok, "why": why, "body": body, "query": query, "at": time.time()},
                        ensure_ascii=False,
                    )
                    + "\n"
                )

        def do_POST(self):  # noqa: N802
            parts = urllib.parse.urlsplit(self.path)
            query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            kind = parts.path.strip("/").split("/")[0]
            if down.exists():
                self.record(kind, False, body, query, "down")
                self.answer(503, {"error": "unavailable"})
                return
            if "application/json" not in (self.headers.get("Content-Type") or ""):
                self.record(kind, False, body, query, "content type")
                self.answer(400, {"errcode": 40001})
                return
            if kind == "wecom":
                ok = query.get("key") == robots["wecom"]["key"]
                fmt = (
                    isinstance(body, dict)
                    and body.get("msgtype") == "markdown"
                    and isinstance(body["markdown"].get("content"), str)
                    and len(body["markdown"]["content"].encode()) <= 4096
                )
                self.record(kind, ok and fmt, body, query, "" if ok else "key")
                self.answer(
                    200,
                    {"errcode": 0, "errmsg": "ok"}
                    if ok and fmt
                    else {"errcode": 93000, "errmsg": "invalid webhook url"},
                )
            elif kind == "dingtalk":
                cfg = robots["dingtalk"]
                ok = query.get("access_token") == cfg["token"]
                why = "" if ok else "token"
                if ok and cfg.get("secret"):
                    ts = query.get("timestamp", "")
                    expected = base64.b64encode(
                        hmac.new(
                            cfg["secret"].encode(), f"{ts}\n{cfg['secret']}".encode(), hashlib.sha256
                        ).digest()
                    ).decode()
                    fresh = ts.isdigit() and abs(int(ts) - time.time() * 1000) < 3600_000
                    ok = fresh and hmac.compare_digest(query.get("sign", ""), expected)
                    why = "" if ok else "sign"
                fmt = (
                    isinstance(body, dict)
                    and body.get("msgtype") == "markdown"
                    and bool(body["markdown"].get("title"))
                    and isinstance(body["markdown"].get("text"), str)
                )
                self.record(kind, ok and fmt, body, query, why or ("" if fmt else "format"))
                self.answer(
                    200,
                    {"errcode": 0, "errmsg": "ok"}
                    if ok and fmt
                    else {"errcode": 310000, "errmsg": "sign not match"},
                )
            elif kind == "feishu":
                cfg = robots["feishu"]
                hook = parts.path.strip("/").split("/")[-1]
                ok = hook == cfg["hook"]
                why = "" if ok else "hook"
                if ok and cfg.get("secret"):
                    ts = str((body or {}).get("timestamp", ""))
                    key = f"{ts}\n{cfg['secret']}".encode()
                    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
                    fresh = ts.isdigit() and abs(int(ts) - time.time()) < 3600
                    ok = fresh and hmac.compare_digest(str(body.get("sign", "")), expected)
                    why = "" if ok else "sign"
                card = (body or {}).get("card") or {}
                fmt = (
                    isinstance(body, dict)
                    and body.get("msg_type") == "interactive"
                    and bool(card.get("header", {}).get("title", {}).get("content"))
                    and bool(card.get("elements"))
                )
                self.record(kind, ok and fmt, body, query, why or ("" if fmt else "format"))
                self.answer(
                    200,
                    {"code": 0, "msg": "success", "data": {}}
                    if ok and fmt
                    else {
                        "code": 19021,
                        "msg": "sign match fail or timestamp is not within one hour from current time",
                    },
                )
            else:
                self.record(kind, False, body, query, "path")
                self.answer(404, {"error": "not found"})

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    Path(args.log + ".ready").write_text("ok")
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("smtp")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--maildir", required=True)
    s.add_argument("--tls", choices=["starttls", "implicit"])
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--auth", help="user:password")
    w = sub.add_parser("webhook")
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--log", required=True)
    w.add_argument("--robots", required=True)
    args = parser.parse_args()
    if args.what == "smtp":
        run_smtp(args)
    else:
        run_webhook(args)


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
