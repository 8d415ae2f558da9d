"""Receivers for the notification tests (real processes on loopback, see notify_receivers.py)
and a laptop factory for servers the tests start themselves."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import mailbox
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sync_env import Device, free_port

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "notify_receivers.py"
ROBOTS = {
    "wecom": {"key": "wk-7f3a9c"},
    "dingtalk": {"token": "dt-token-51", "secret": "SECd1ngta1k-s1gn"},
    "feishu": {"hook": "fs-hook-0b2e", "secret": "fe1shu-s1gn-secret"},
}


def wait_for(predicate, timeout: float = 20.0, step: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


#: receivers started and not yet stopped (the tests' autouse fixture stops them, whatever failed)
RUNNING: list = []


class _Process:
    def __init__(self):
        self.proc: subprocess.Popen | None = None

    def _start(self, argv: list[str], ready: Path, log: Path) -> None:
        ready.unlink(missing_ok=True)
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), *argv], stdout=self._log, stderr=subprocess.STDOUT
        )
        RUNNING.append(self)
        wait_for(lambda: ready.exists() or self.proc.poll() is not None, what="receiver start")
        if self.proc.poll() is not None:
            raise RuntimeError("receiver exited: " + log.read_text()[-2000:])

    def stop(self) -> None:
        if self in RUNNING:
            RUNNING.remove(self)
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self._log.close()


class SmtpReceiver(_Process):
    """An aiosmtpd process storing mail in a Maildir."""

    def __init__(
        self,
        root: Path,
        *,
        port: int | None = None,
        tls: str | None = None,
        auth: str | None = None,
        cert: tuple[Path, Path] | None = None,
    ):
        super().__init__()
        self.root = root
        self.maildir = root / "maildir"
        self.port = port or free_port()
        self.tls, self.auth, self.cert = tls, auth, cert

    def start(self) -> SmtpReceiver:
        argv = ["smtp", "--port", str(self.port), "--maildir", str(self.maildir)]
        if self.tls:
            argv += ["--tls", self.tls, "--cert", str(self.cert[0]), "--key", str(self.cert[1])]
        if self.auth:
            argv += ["--auth", self.auth]
        self._start(argv, Path(str(self.maildir) + ".ready"), self.root / "smtp.log")
        return self

    def messages(self) -> list[email.message.EmailMessage]:
        if not self.maildir.exists():
            return []
        box = mailbox.Maildir(self.maildir, factory=None, create=False)
        out = [email.message_from_bytes(box.get_bytes(k), policy=email.policy.default) for k in box.keys()]
        return sorted(out, key=lambda m: (m["To"], m["Subject"]))


def text_of(mail: email.message.EmailMessage) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


class WebhookReceiver(_Process):
    """The WeCom, DingTalk and Feishu robots in one HTTP process."""

    def __init__(self, root: Path, robots: dict | None = None, *, port: int | None = None):
        super().__init__()
        self.root = root
        self.log = root / "webhook.jsonl"
        self.robots = robots or ROBOTS
        self.port = port or free_port()

    def start(self) -> WebhookReceiver:
        self._start(
            [
                "webhook",
                "--port",
                str(self.port),
                "--log",
                str(self.log),
                "--robots",
                json.dumps(self.robots),
            ],
            Path(str(self.log) + ".ready"),
            self.root / "webhook.log",
        )
        return self

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, kind: str) -> str:
        r = self.robots[kind]
        if kind == "wecom":
            return f"{self.base}/wecom/send?key={r['key']}"
        if kind == "dingtalk":
            return f"{self.base}/dingtalk/send?access_token={r['token']}"
        return f"{self.base}/feishu/hook/{r['hook']}"

    def down(self, is_down: bool = True) -> None:
        flag = Path(str(self.log) + ".down")
        if is_down:
            flag.write_text("down")
        else:
            flag.unlink(missing_ok=True)

    def requests(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [
            json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line.strip()
        ]

    def accepted(self) -> list[dict]:
        return [r for r in self.requests() if r["ok"]]


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def laptop(template: Path, root: Path, server, username: str, name: str | None = None) -> Device:
    """A laptop of ``username`` on ``server`` (a profile copied from the template)."""
    path = root / (name or f"laptop-{username}")
    shutil.copytree(template, path)
    with sqlite3.connect(path / "accountdesk.sqlite3") as conn:
        conn.execute("DELETE FROM meta WHERE key IN ('device_id', 'hlc', 'current_user_id')")
    return Device(path, server, username)


def server_env(**extra: str) -> dict[str, str]:
    """The environment of a test server with a fast notification schedule."""
    env = {
        "ACCOUNTDESK_NOTIFY_INTERVAL_S": "0.2",
        "ACCOUNTDESK_NOTIFY_RETRY_S": "0.2",
        "ACCOUNTDESK_NOTIFY_ATTEMPTS": "3",
        "ACCOUNTDESK_NOTIFY_TIMEOUT_S": "5",
        "ACCOUNTDESK_DIGEST_HOUR": "23",
    }
    env.update(extra)
    return env


__all__ = ["os"]
