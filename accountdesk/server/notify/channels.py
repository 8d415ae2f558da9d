"""The channels: e-mail over SMTP and the group robots of WeCom (企业微信), DingTalk (钉钉) and
Feishu (飞书), each with its own message format and signature.

- **SMTP**: STARTTLS (``starttls``), implicit TLS (``tls``, port 465) or none, login when a user
  is given; a text part and an HTML part (``multipart/alternative``).
- **WeCom** group robot: ``POST <webhook URL>`` with ``{"msgtype": "markdown", "markdown":
  {"content"}}`` (at most 4096 bytes); the key is in the URL. Success: ``{"errcode": 0}``.
- **DingTalk** custom robot: ``{"msgtype": "markdown", "markdown": {"title", "text"}}``; with a
  signing secret the URL gets ``timestamp`` (milliseconds) and ``sign`` = url-encoded base64 of
  HmacSHA256(key=secret, message="timestamp\\nsecret"). Success: ``{"errcode": 0}``.
- **Feishu** custom bot: ``{"msg_type": "interactive", "card": {...}}`` (a message card with a
  coloured header and ``lark_md`` text); with a signing secret the body gets ``timestamp``
  (seconds) and ``sign`` = base64 of HmacSHA256(key="timestamp\\nsecret", message=""). Success:
  ``{"code": 0}`` (older bots: ``{"StatusCode": 0}``).

A failure raises :class:`DeliveryError` with a short reason that never holds the URL, a key or
a password (it is stored in the outbox and shown to administrators).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import smtplib
import ssl
import time
import urllib.parse
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

import httpx

KINDS = ("smtp", "wecom", "dingtalk", "feishu")
WEBHOOKS = ("wecom", "dingtalk", "feishu")
SECURITY = ("starttls", "tls", "none")
WECOM_MAX_BYTES = 4096
DINGTALK_MAX_CHARS = 4000
FEISHU_TEMPLATES = {"info": "blue", "warning": "orange", "danger": "red"}
WECOM_COLOURS = {"info": "info", "warning": "warning", "danger": "warning"}


# httpx logs every request's URL at INFO, and a robot's URL holds its key: never below WARNING
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(max(logging.getLogger(_name).level, logging.WARNING))


class DeliveryError(Exception):
    """A message could not be delivered now (it is retried later)."""


# -- layout ------------------------------------------------------------------------------------
def plain_text(message: dict[str, Any]) -> str:
    lines = [message["title"], ""]
    if message.get("intro"):
        lines += [message["intro"], ""]
    for section in message.get("sections", []):
        if section.get("heading"):
            lines.append(section["heading"])
        for item in section.get("items", []):
            lines.append(f"- {item}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def html_text(message: dict[str, Any]) -> str:
    esc = html.escape
    parts = [f"<h2>{esc(message['title'])}</h2>"]
    if message.get("intro"):
        parts.append(f"<p>{esc(message['intro'])}</p>")
    for section in message.get("sections", []):
        if section.get("heading"):
            parts.append(f"<h3>{esc(section['heading'])}</h3>")
        if section.get("items"):
            parts.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in section["items"]) + "</ul>")
    return "<html><body>" + "".join(parts) + "</body></html>"


def markdown(message: dict[str, Any], *, heading: str = "###") -> str:
    lines = [f"{heading} {message['title']}", ""]
    if message.get("intro"):
        lines += [message["intro"], ""]
    for section in message.get("sections", []):
        if section.get("heading"):
            lines += [f"**{section['heading']}**", ""]
        for item in section.get("items", []):
            lines.append(f"- {item}")
        lines.append("")
    return "\n".join(lines).rstrip()


def _clip_bytes(text: str, limit: int) -> str:
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: limit - 4].decode(errors="ignore") + "\n…"


def wecom_payload(message: dict[str, Any]) -> dict[str, Any]:
    colour = WECOM_COLOURS.get(message.get("tone", "info"), "info")
    body = markdown(message, heading="##").split("\n", 1)
    content = f'## <font color="{colour}">{message["title"]}</font>\n' + (body[1] if len(body) > 1 else "")
    return {"msgtype": "markdown", "markdown": {"content": _clip_bytes(content, WECOM_MAX_BYTES)}}


def dingtalk_payload(message: dict[str, Any]) -> dict[str, Any]:
    text = markdown(message)
    if len(text) > DINGTALK_MAX_CHARS:
        text = text[: DINGTALK_MAX_CHARS - 2] + "\n…"
    return {"msgtype": "markdown", "markdown": {"title": message["title"][:100], "text": text}}


def feishu_payload(message: dict[str, Any]) -> dict[str, Any]:
    elements: list[dict[str, Any]] = []
    if message.get("intro"):
        elements.append({"tag": "div", "text": {"tag": "lark_md", "content": message["intro"]}})
    for section in message.get("sections", []):
        text = "\n".join(f"- {i}" for i in section.get("items", []))
        if section.get("heading"):
            text = f"**{section['heading']}**\n" + text
        elements.append({"tag": "div", "text": {"tag": "lark_md", "content": text}})
    return {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {
                "title": {"tag": "plain_text", "content": message["title"]},
                "template": FEISHU_TEMPLATES.get(message.get("tone", "info"), "blue"),
            },
            "elements": elements,
        },
    }


# -- signatures --------------------------------------------------------------------------------
def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


# -- sending -----------------------------------------------------------------------------------
def send_email(
    channel: dict[str, Any],
    secret: dict[str, Any],
    address: str,
    message: dict[str, Any],
    *,
    timeout: float,
    ca_file: str | None = None,
) -> None:
    cfg = channel["settings"]
    mail = EmailMessage()
    mail["Subject"] = "[AccountDesk] " + message["title"]
    mail["From"] = formataddr(("AccountDesk", cfg["sender"]))
    mail["To"] = address
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=cfg["sender"].rsplit("@", 1)[-1] or None)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(plain_text(message))
    mail.add_alternative(html_text(message), subtype="html")
    context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    security = cfg.get("security", "starttls")
    try:
        if security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                cfg["host"], int(cfg["port"]), timeout=timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(cfg["host"], int(cfg["port"]), timeout=timeout)
        with smtp:
            if security == "starttls":
                smtp.starttls(context=context)
            if cfg.get("username"):
                smtp.login(cfg["username"], secret.get("password") or "")
            smtp.send_message(mail)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {exc.smtp_code}") from None
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError("SMTP: recipient refused") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {type(exc).__name__}") from None


def webhook_request(
    kind: str, secret: dict[str, Any], message: dict[str, Any], *, now: float | None = None
) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body to post (signed when the channel has a signing secret)."""
    url = secret["url"]
    signing = secret.get("secret")
    now = time.time() if now is None else now
    if kind == "wecom":
        return url, wecom_payload(message)
    if kind == "dingtalk":
        body = dingtalk_payload(message)
        if signing:
            ts = int(now * 1000)
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={dingtalk_sign(signing, ts)}"
        return url, body
    if kind == "feishu":
        body = feishu_payload(message)
        if signing:
            ts = int(now)
            body = {"timestamp": str(ts), "sign": feishu_sign(signing, ts), **body}
        return url, body
    raise DeliveryError(f"unknown channel kind {kind}")


def send_webhook(
    channel: dict[str, Any], secret: dict[str, Any], message: dict[str, Any], *, timeout: float
) -> None:
    kind = channel["kind"]
    url, body = webhook_request(kind, secret, message)
    try:
        resp = httpx.post(
            url,
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{kind}: {type(exc).__name__}") from None
    if resp.status_code >= 300:
        raise DeliveryError(f"{kind}: HTTP {resp.status_code}")
    try:
        answer = resp.json()
    except ValueError:
        raise DeliveryError(f"{kind}: the answer is not JSON") from None
    if not isinstance(answer, dict):
        raise DeliveryError(f"{kind}: unexpected answer")
    code = (
        answer.get("errcode")
        if kind in ("wecom", "dingtalk")
        else answer.get("code", answer.get("StatusCode"))
    )
    if code != 0:
        text = str(answer.get("errmsg") or answer.get("msg") or "")[:120]
        raise DeliveryError(f"{kind}: error {code} {text}".rstrip())
