"""Who receives which event: the routing rules an administrator configures on the server.

A rule is ``(event, recipient, tier?, severity?)``:

- **event**: ``escalation`` (every level of the complaint ladder), ``escalation:1`` (the
  deadline is near), ``escalation:2`` (imminent), ``escalation:3`` (the deadline has passed), or
  ``digest`` (the daily e-mail);
- **recipient**: ``handler`` (the complaint's handler, else the client's owner), ``owner`` (the
  client's account manager), ``backup`` (the backup owner), ``team-supervisor`` (the supervisors
  of the owner's team; supervisors without a team when the team has none), ``supervisors`` (every
  supervisor), ``admins``, ``managers`` (every account manager: for the digest), ``user:NAME`` (one
  person) or ``group:CHANNEL`` (a WeCom, DingTalk or Feishu group robot, by channel name);
- **tier** and **severity** narrow a rule to clients of a tier and complaints of a severity.

People receive e-mail (at the address on their user record) in their language; a group gets
its robot's message in the channel's language. A person or group matched by several rules gets
one message per event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...i18n import _
from ...models.enums import Role, Severity, Tier
from ..errors import ServerError

EVENTS = ("escalation", "escalation:1", "escalation:2", "escalation:3", "digest")
PEOPLE = ("handler", "owner", "backup", "team-supervisor", "supervisors", "admins", "managers")
TIERS = tuple(x.value for x in Tier)
SEVERITIES = tuple(x.value for x in Severity)
DEFAULT_RULES: tuple[tuple[str, str], ...] = (
    ("escalation", "handler"),
    ("escalation", "owner"),
    ("escalation:2", "team-supervisor"),
    ("escalation:3", "team-supervisor"),
    ("escalation:3", "supervisors"),
    ("digest", "managers"),
    ("digest", "supervisors"),
)
_NAME = re.compile(r"^(user|group):(.{1,64})$")


def check_rule(event: str, recipient: str, tier: str | None, severity: str | None) -> None:
    """A :class:`ServerError` (400, naming the field) for a rule that cannot work."""
    if event not in EVENTS:
        raise ServerError(400, "bad_request", _("event: one of {values}").format(values=", ".join(EVENTS)))
    if recipient not in PEOPLE and not _NAME.match(recipient or ""):
        raise ServerError(
            400,
            "bad_request",
            _("to: one of {values}, user:NAME or group:CHANNEL").format(values=", ".join(PEOPLE)),
        )
    if tier is not None and tier not in TIERS:
        raise ServerError(400, "bad_request", _("tier: one of {values}").format(values=", ".join(TIERS)))
    if severity is not None and severity not in SEVERITIES:
        raise ServerError(
            400, "bad_request", _("severity: one of {values}").format(values=", ".join(SEVERITIES))
        )
    if event == "digest" and (tier or severity):
        raise ServerError(400, "bad_request", _("tier: the digest is not filtered by tier or severity"))
    if event == "digest" and (
        recipient.startswith("group:") or recipient in ("handler", "owner", "backup", "team-supervisor")
    ):
        raise ServerError(
            400, "bad_request", _("to: the digest goes to managers, supervisors, admins or user:NAME")
        )


def matches(
    rule: dict[str, Any], event: str, level: int | None, tier: str | None, severity: str | None
) -> bool:
    wanted = rule["event"]
    if event == "digest":
        if wanted != "digest":
            return False
    elif wanted != "escalation" and wanted != f"escalation:{level}":
        return False
    if rule.get("tier") and rule["tier"] != tier:
        return False
    return not (rule.get("severity") and rule["severity"] != severity)


@dataclass(frozen=True)
class Recipient:
    """One addressee: a person (by e-mail) or a group robot (a channel)."""

    key: str  # user:<id> or group:<channel name>
    language: str
    user: dict[str, Any] | None = None
    channel: dict[str, Any] | None = None


class Directory:
    """Users, their preferences and the channels, read once per run."""

    def __init__(
        self,
        users: list[dict[str, Any]],
        channels: list[dict[str, Any]],
        default_language: str,
        default_time_zone: str = "Asia/Shanghai",
    ):
        self.default_time_zone = default_time_zone
        self.users = {u["id"]: u for u in users}
        self.by_name = {u["username"]: u for u in users}
        self.channels = {c["name"]: c for c in channels}
        self.default_language = default_language

    def active(self, user_id: str | None) -> dict[str, Any] | None:
        user = self.users.get(user_id or "")
        return user if user and user["active"] else None

    def with_role(self, role: str) -> list[dict[str, Any]]:
        return [u for u in self.users.values() if u["active"] and u["role"] == role]

    def team_supervisors(self, owner_id: str | None) -> list[dict[str, Any]]:
        owner = self.users.get(owner_id or "")
        team = (owner or {}).get("team")
        supervisors = self.with_role(Role.SUPERVISOR.value)
        mine = [s for s in supervisors if team and s.get("team") == team]
        return mine or [s for s in supervisors if not s.get("team")]

    def team_members(self, supervisor: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The users a supervisor is responsible for (None: everybody, a supervisor without a team)."""
        if not supervisor.get("team"):
            return None
        return [
            u
            for u in self.users.values()
            if u.get("team") == supervisor["team"] and u["id"] != supervisor["id"]
        ]

    def language_of(self, user: dict[str, Any]) -> str:
        return user.get("language") or self.default_language

    def time_zone_of(self, user: dict[str, Any] | None) -> str:
        return (user or {}).get("time_zone") or self.default_time_zone

    def person(self, user: dict[str, Any]) -> Recipient:
        return Recipient(key=f"user:{user['id']}", language=self.language_of(user), user=user)

    def resolve(
        self, recipient: str, *, client: dict[str, Any] | None = None, feedback: dict[str, Any] | None = None
    ) -> list[Recipient]:
        data = (client or {}).get("data", {})
        people: list[dict[str, Any] | None] = []
        if recipient == "handler":
            handler = self.active((feedback or {}).get("handler_id"))
            people.append(handler or self.active(data.get("owner_id")))
        elif recipient == "owner":
            people.append(self.active(data.get("owner_id")))
        elif recipient == "backup":
            people.append(self.active(data.get("backup_owner_id")))
        elif recipient == "team-supervisor":
            people += self.team_supervisors(data.get("owner_id"))
        elif recipient == "supervisors":
            people += self.with_role(Role.SUPERVISOR.value)
        elif recipient == "admins":
            people += self.with_role(Role.ADMIN.value)
        elif recipient == "managers":
            people += self.with_role(Role.MANAGER.value)
        elif recipient.startswith("user:"):
            user = self.by_name.get(recipient[5:])
            people.append(user if user and user["active"] else None)
        elif recipient.startswith("group:"):
            channel = self.channels.get(recipient[6:])
            if channel is None or channel["kind"] == "smtp":
                return []
            return [
                Recipient(
                    key=f"group:{channel['name']}",
                    language=channel.get("language") or self.default_language,
                    channel=channel,
                )
            ]
        return [self.person(u) for u in people if u is not None]
