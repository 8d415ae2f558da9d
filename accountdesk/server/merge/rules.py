"""Who may write what, checked before any change of an item: role, scope, confidentiality and
references (see :mod:`accountdesk.server.merge`)."""

from typing import Any

from ...models import ENTITIES, SyncMixin
from ...permissions import (
    OWN_ROWS,
    may_change_confidentiality,
    may_create_client,
    may_write,
    sees_all_clients,
    sees_confidential,
)
from ...sync import protocol as p
from .. import repo, validate
from ..validate import Rejected
from .core import LOSS_GRACE, NOT_VISIBLE, RESPONSIBLE, WriterCore, _reference_fields


class WriterRules(WriterCore):
    """The checks of a :class:`~.items.Writer`."""

    # -- authorisation ------------------------------------------------------------------------
    def authorise(
        self,
        entity: str,
        op: str,
        fields: set[str],
        client_id: str | None,
        hlc: str,
        existing: dict[str, Any] | None,
        new_client: dict[str, Any] | None = None,
    ) -> str:
        """Check role, scope and confidentiality; returns ``"ok"`` or ``"grace"`` (the client left
        the writer's scope while this edit was on its way: see the module docstring)."""
        role = self.who.role
        if entity == "user":
            raise Rejected(p.R_SERVER_OWNED, "users are managed on the server")
        if entity == "conflict" and op != "update":
            raise Rejected(p.R_SERVER_OWNED, "conflicts are recorded by the server")
        if not may_write(role, entity, op, frozenset(fields)):
            raise Rejected(
                p.R_NOT_ALLOWED,
                f"the role {role} may not {op} {entity}"
                + (
                    " (only supervisors change who serves a client)" if entity == "client_team_member" else ""
                ),
            )
        if entity in OWN_ROWS:
            owner = (
                (existing or {}).get("data", {}).get("user_id")
                if existing is not None
                else (new_client or {}).get("user_id")
            )
            if owner != self.who.user_id or (op == "update" and "user_id" in fields):
                raise Rejected(p.R_NOT_ALLOWED, f"a {entity} belongs to its user: write only your own")
        if (
            entity == "handover"
            and not sees_all_clients(role)
            and (existing is None or existing["data"].get("to_user_id") != self.who.user_id)
        ):
            raise Rejected(p.R_NOT_ALLOWED, "only the successor of a handover acknowledges it")
        verdict = "ok"
        if ENTITIES[entity].__global__ or sees_all_clients(role):
            pass
        elif entity == "client" and existing is None:
            data = new_client or {}
            if not may_create_client(
                role, self.who.user_id, data.get("owner_id"), data.get("backup_owner_id")
            ):
                raise Rejected(
                    p.R_NOT_ALLOWED,
                    "a new client is owned by its author, without a backup owner (supervisors assign owners)",
                )
        elif not self.visible(client_id):
            verdict = self._former_scope(client_id, op)
        if not sees_confidential(role) and existing is not None:
            if op == "update" and fields & set(existing["hidden"]):
                raise Rejected(p.R_CONFIDENTIAL, "you may not change a confidential field")
            flag = ENTITIES[entity].__confidential_flag__
            if flag and flag in fields and not may_change_confidentiality(role):
                raise Rejected(p.R_CONFIDENTIAL, "you may not change what is confidential")
        if entity == "attachment":
            from ..files import check_push

            check_push(self, op, fields, existing, new_client)
        return verdict

    def _former_scope(self, client_id: str | None, op: str) -> str:
        """An edit of a client the writer cannot see: refused, unless the user had the client and
        the server never told this device it was gone (see the module docstring)."""
        mark = self._former.get(client_id) if client_id else None
        if mark is None:
            raise Rejected(p.R_OUT_OF_SCOPE, NOT_VISIBLE)
        _until_ms, until_seq = mark
        if self._first_seq is False:
            self._first_seq = repo.device_first_seq(self.conn, self.who.device_id)
        first = self._first_seq
        if until_seq is not None and isinstance(first, int) and first >= until_seq:
            raise Rejected(p.R_OUT_OF_SCOPE, "this client left your scope before this device was registered")
        seen = self._seen.get(client_id) if client_id else None
        if seen is None:
            return "ok"
        if self.now - seen <= LOSS_GRACE and op != "delete":
            return "grace"
        raise Rejected(p.R_OUT_OF_SCOPE, "this client left your scope before this device last synced")

    def _check_refs(self, model: type[SyncMixin], fields: dict[str, Any], client_id: str | None) -> None:
        """References must point at rows the writer may see: the same client's rows, or the
        global catalogue; user references at known users."""
        for name, spec in _reference_fields(model):
            if name not in fields or fields[name] in (None, []):
                continue
            if spec.kind in ("ref", "refs"):
                target_model = ENTITIES[spec.ref]
                ids = fields[name] if isinstance(fields[name], list) else [fields[name]]
                for rid in ids:
                    rec = self.get(rid)
                    ok = (
                        rec is not None
                        and rec["entity"] == spec.ref
                        and (target_model.__global__ or rec["client_id"] == client_id)
                    )
                    if not ok:
                        raise validate.invalid(name, NOT_VISIBLE)
            elif spec.kind in ("user", "users"):
                ids = fields[name] if isinstance(fields[name], list) else [fields[name]]
                for uid in ids:
                    rec = self.get(uid)
                    if rec is not None and rec["entity"] != "user":
                        raise validate.invalid(name, "not a user")
                    # A user the server does not know (a profile used on its own before it joined
                    # names its local colleagues) is kept as it is: such a client needs a new
                    # owner. A deactivated user takes on nothing new.
                    if (
                        rec is not None
                        and name in RESPONSIBLE
                        and rec["data"].get("active") is False
                        and uid != self.who.user_id
                    ):  # (a leaver's last edits may name the leaver)
                        raise validate.invalid(name, "this user has been deactivated")
