"""The farewell of a revoked device (issue 13): what it had not pushed, sent once before it wipes
itself, and kept for the people who now hold its clients — never applied on its word.

A device is revoked by ``accountdesk-server device revoke`` or with its user (``user deactivate``,
``user handover --deactivate``). Its next sign-in is refused, with a farewell grant while the
server permits one (:func:`accountdesk.server.auth.farewell_grant`). With the grant's token it
pushes its outbox here, then ends the farewell; it is never served a pull.

What the server keeps, trusting nothing the device claims (docs/security.md, "Farewell"):

- **Nothing is applied.** A change to an existing record becomes a conflict per changed field,
  the record unchanged; a new record becomes a whole-record conflict (restoring it creates the
  record). Conflicts sync to whoever sees the client now — after a handover, the successor, who
  keeps or restores each value (and supervisors). A device that lies about when it wrote
  something thus gains a proposal, never a change.
- **Only what the device could hold**: the usual checks of role, scope (a client its user had,
  and lost without this device being told: :meth:`Writer._former_scope`), confidentiality and
  references apply as to any push.
- **Nothing written after the revocation**: an item whose clock (the device's claim) is later
  than the revocation is refused. The claim is used only to refuse, never to accept.
- **Not taken at all** (refused, reported to the device): deletions, new clients, the global
  catalogue, attachments (their bytes cannot be uploaded with a grant), conflict resolutions
  and handover acknowledgements — decisions a person who has left does not make any more.
"""

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Request, params
from fastapi.responses import Response

from ..models import ENTITIES
from ..sync import protocol as p
from . import auth, merge, repo
from .db import Database
from .errors import ServerError
from .merge import Writer
from .settings import Settings
from .validate import Rejected

#: Entities a farewell never touches (see the module docstring).
NOT_TAKEN = frozenset({"conflict", "handover", "attachment"})


class FarewellWriter(Writer):
    """A push under a farewell grant: checked as any push, then kept as conflicts only."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        before = self.who.farewell_before
        if before is None:  # only a farewell identity pushes through this writer
            raise ServerError(403, p.E_FORBIDDEN, "Not a farewell.")
        self.before_ms = int(before.timestamp() * 1000)

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
        if int(hlc.split("-", 1)[0]) > self.before_ms:
            raise Rejected(p.R_NOT_ALLOWED, "written after this device was revoked")
        if op == "delete":
            raise Rejected(p.R_NOT_ALLOWED, "a revoked device's deletions are not carried out")
        if entity in NOT_TAKEN or ENTITIES[entity].__global__:
            raise Rejected(p.R_NOT_ALLOWED, f"a revoked device's {entity} changes are not taken")
        if entity == "client" and existing is None:
            raise Rejected(p.R_NOT_ALLOWED, "a revoked device's new clients are not taken")
        super().authorise(entity, op, fields, client_id, hlc, existing, new_client)
        return "grace"  # kept as conflicts for whoever holds the client now


def router(db: Database, settings: Settings, who_dep: params.Depends) -> APIRouter:
    """The farewell's routes; ``who_dep``: the dependency that gives the request's :class:`auth.Identity`."""
    r = APIRouter()
    Who = Annotated[auth.Identity, who_dep]

    @r.post(
        p.PATH_FAREWELL_PUSH,
        response_model=p.PushResult,
        response_model_exclude_none=True,
        responses={401: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}},
    )
    def farewell_push(req: p.PushRequest, who: Who, request: Request) -> Response:
        """A revoked device's last push (with its farewell grant's token): kept as conflicts."""
        if who.farewell_before is None:
            raise ServerError(403, p.E_FORBIDDEN, "Not a farewell.")
        features = frozenset(f.strip() for f in request.headers.get(p.HEADER_FEATURES, "").split(",")[:20])
        result = merge.push(db, settings, who, req, features=features, writer=FarewellWriter)
        if not result.get("replayed"):
            statuses = [r["status"] for r in result["results"]]
            with db.write() as conn:
                repo.audit(
                    conn,
                    "farewell_push",
                    user_id=who.user_id,
                    device_id=who.device_id,
                    kept=statuses.count("conflict") + statuses.count("applied"),
                    refused=statuses.count("rejected"),
                )
        return Response(orjson.dumps(result), media_type="application/json")

    @r.post(
        p.PATH_FAREWELL_END,
        responses={401: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}},
    )
    def farewell_end(who: Who) -> dict[str, bool]:
        """The device has sent what it had and wipes itself: nothing more is granted to it."""
        if who.farewell_before is None:
            raise ServerError(403, p.E_FORBIDDEN, "Not a farewell.")
        with db.write() as conn:
            auth.end_farewell(conn, who)
        return {"ended": True}

    return r
