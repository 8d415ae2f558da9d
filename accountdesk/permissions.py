"""Who may do what: one pure table shared by the device services and the server.

The server enforces these rules on every push and pull (authorisation); the device applies the
same rules so that the UI can hide what would be refused anyway.
"""

from __future__ import annotations

from .models.enums import Role

#: Entities field staff may create and edit in the clients they serve.
FIELD_WRITABLE = frozenset(
    {
        "visit",
        "service_note",
        "service_delivery",
        "feedback",
        "survey",
        "equipment",
        "interaction",
        "improvement_item",
        "contact",
        "conflict",
        "attachment",
        "task",
    }
)
#: Entities only supervisors and admins may write. Who serves a client (its service team) decides
#: who sees it, so changing the team is a supervisor's action like changing the owner.
SUPERVISOR_ONLY = frozenset(
    {"ownership_change", "handover", "user", "service_offering", "client_team_member", "service_standard"}
)
#: Entities every user writes for themselves only (their own saved views): the row's ``user_id``
#: must be the writer, checked on the device and the server.
OWN_ROWS = frozenset({"saved_view"})
#: Client fields that only supervisors and admins may change (a reassignment is a handover).
SUPERVISOR_ONLY_CLIENT_FIELDS = frozenset({"owner_id", "backup_owner_id"})
#: What the successor of a handover may change on it (their acknowledgement and the checklist as
#: ticked); that they are its successor is checked with the row (device service and server).
HANDOVER_ACK_FIELDS = frozenset({"status", "checklist"})
#: Who does a piece of work: the field naming the person responsible for it. Moving someone else's
#: work to another person is a reassignment (supervisors and admins; Today's "Reassign"); anybody who
#: may edit the row may give away their own work or take up work nobody has.
RESPONSIBLE_FOR_WORK = {
    "visit": "owner_id",
    "visit_plan": "owner_id",
    "feedback": "handler_id",
    "improvement_item": "owner_id",
    "task": "owner_id",
}
#: Conflicts are made by the server only; devices may only record how one was settled.
CONFLICT_RESOLUTION_FIELDS = frozenset({"resolved_at", "resolved_by", "resolution"})


def sees_all_clients(role: str) -> bool:
    return role in (Role.ADMIN, Role.SUPERVISOR)


def sees_confidential(role: str) -> bool:
    return role != Role.FIELD


def may_write(role: str, entity: str, op: str, fields: set[str] | frozenset[str] = frozenset()) -> bool:
    """May a user of ``role`` perform ``op`` (create|update|delete) on ``entity``, touching ``fields``?

    Scope (is the client one of theirs?) is checked separately.
    """
    if entity == "conflict":
        return op == "update" and bool(fields) and fields <= CONFLICT_RESOLUTION_FIELDS
    if role in (Role.ADMIN, Role.SUPERVISOR):
        return True
    if entity == "handover" and op == "update" and fields and fields <= HANDOVER_ACK_FIELDS:
        return True  # a successor's acknowledgement (only the handover's successor: checked with the row)
    if entity in SUPERVISOR_ONLY:
        return False
    if entity in OWN_ROWS:
        return True
    if role == Role.FIELD:
        if entity not in FIELD_WRITABLE:
            return False
        # (attachments: only those they added themselves, checked on the device and the server)
        return op != "delete" or entity in ("visit", "interaction", "service_note", "attachment")
    if role == Role.MANAGER:
        if entity == "client":
            if op == "delete":
                return False
            return not (fields & SUPERVISOR_ONLY_CLIENT_FIELDS) or op == "create"
        return True
    return False


def may_change_responsible(role: str, actor_id: str | None, current: str | None) -> bool:
    """May a user of ``role`` change who is responsible for a piece of work (see
    :data:`RESPONSIBLE_FOR_WORK`) that is now ``current``'s? Supervisors and admins reassign any
    work; anybody else only their own or unassigned work."""
    return sees_all_clients(role) or not current or current == actor_id


def may_create_client(
    role: str, actor_id: str | None, owner_id: str | None, backup_owner_id: str | None
) -> bool:
    """A new client: supervisors and admins assign any owner and backup; anybody else creates a
    client they own themselves, without a backup (naming someone else would widen scopes)."""
    if role in (Role.ADMIN, Role.SUPERVISOR):
        return True
    return owner_id == actor_id and not backup_owner_id


def may_change_confidentiality(role: str) -> bool:
    """Whether ``role`` may change what decides a row's confidentiality (a service note's
    "confidential" flag): only roles that may see the confidential value."""
    return sees_confidential(role)
