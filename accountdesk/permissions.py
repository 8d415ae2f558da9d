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
    }
)
#: Entities only supervisors and admins may write.
SUPERVISOR_ONLY = frozenset({"ownership_change", "handover", "user", "service_offering"})
#: Client fields that only supervisors and admins may change (a reassignment is a handover).
SUPERVISOR_ONLY_CLIENT_FIELDS = frozenset({"owner_id", "backup_owner_id"})


def sees_all_clients(role: str) -> bool:
    return role in (Role.ADMIN, Role.SUPERVISOR)


def sees_confidential(role: str) -> bool:
    return role != Role.FIELD


def may_write(role: str, entity: str, op: str, fields: set[str] | frozenset[str] = frozenset()) -> bool:
    """May a user of ``role`` perform ``op`` (create|update|delete) on ``entity``, touching ``fields``?

    Scope (is the client one of theirs?) is checked separately.
    """
    if role in (Role.ADMIN, Role.SUPERVISOR):
        return True
    if entity in SUPERVISOR_ONLY:
        return False
    if role == Role.FIELD:
        if entity not in FIELD_WRITABLE:
            return False
        return op != "delete" or entity in ("visit", "interaction", "service_note")
    if role == Role.MANAGER:
        if entity == "client":
            if op == "delete":
                return False
            return not (fields & SUPERVISOR_ONLY_CLIENT_FIELDS) or op == "create"
        return True
    return False
