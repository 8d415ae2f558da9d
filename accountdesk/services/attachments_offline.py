"""Which attachment files a laptop keeps (issue 18): "keep offline" per client, files asked
for on demand, and why a transfer failed. Split off :mod:`.attachments` (issue 17), whose names
these stay as well (``attachments.set_keep_offline`` ...)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import PermissionDenied
from ..i18n import _
from ..models import Attachment, Client, ClientTeamMember, OfflineChoice
from ..store import blobs
from . import records
from .context import AppContext


def default_keep_offline(ctx: AppContext, session: Session, client_id: str) -> bool:
    """A laptop keeps the files of the clients its user owns, backs up or serves."""
    client = session.get(Client, client_id)
    if client is None:
        return False
    me = ctx.actor.id
    if me in (client.owner_id, client.backup_owner_id):
        return True
    return (
        session.scalar(
            select(ClientTeamMember.id)
            .where(
                ClientTeamMember.client_id == client_id,
                ClientTeamMember.user_id == me,
                ClientTeamMember.deleted_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )


def keeps_offline(ctx: AppContext, client_id: str) -> bool:
    with ctx.read() as session:
        choice = session.get(OfflineChoice, client_id)
        return choice.keep if choice is not None else default_keep_offline(ctx, session, client_id)


def set_keep_offline(ctx: AppContext, client_id: str, keep: bool | None) -> int:
    """Switch "keep offline" for a client's files (None: back to the default). Switching off
    drops the client's files from this laptop once they have reached the server (unless another
    client kept offline names the same bytes); returns how many were dropped."""
    dropped = 0
    with ctx.store.write() as session:
        choice = session.get(OfflineChoice, client_id)
        if keep is None:
            if choice is not None:
                session.delete(choice)
        elif choice is None:
            session.add(OfflineChoice(client_id=client_id, keep=keep))
        else:
            choice.keep = keep
        session.flush()
        if not _kept(ctx, session, client_id):
            shas = {
                sha
                for sha in session.scalars(
                    select(Attachment.sha256).where(
                        Attachment.client_id == client_id, Attachment.sha256.is_not(None)
                    )
                )
                if sha is not None  # (none is: the query leaves them out; for the type)
            }
            for sha in shas:
                blob = blobs.get(session, sha)
                if blob is None or not blob.uploaded:
                    continue  # not on the server yet: it stays until it is
                others = session.scalars(
                    select(Attachment.client_id).where(
                        Attachment.sha256 == sha,
                        Attachment.client_id != client_id,
                        Attachment.deleted_at.is_(None),
                    )
                ).all()
                if any(_kept(ctx, session, c) for c in others if c is not None):  # (SQL's != drops NULLs)
                    continue
                blobs.drop(session, sha)
                dropped += 1
    return dropped


def _kept(ctx: AppContext, session: Session, client_id: str) -> bool:
    choice = session.get(OfflineChoice, client_id)
    return choice.keep if choice is not None else default_keep_offline(ctx, session, client_id)


def request_file(ctx: AppContext, attachment_id: str) -> bool:
    """Ask for an attachment's file on demand (its client is not kept offline): the next file
    transfer fetches it. Returns False when it is here already."""
    from ..sync.files import request

    with ctx.store.write() as session:
        row = records.get_live_row(session, Attachment, attachment_id)
        if row.confidential and not ctx.actor.sees_confidential or not row.sha256:
            raise PermissionDenied(_("This file is confidential."))
        if blobs.is_complete(session, row.sha256):
            return False
        request(session, row.sha256, row.size)
        return True


def transfer_errors(ctx: AppContext) -> dict[str, str]:
    """Why the last transfer of some files failed, by SHA-256 (shown beside them)."""
    from ..sync.files import last_errors

    with ctx.read() as session:
        return last_errors(session)
