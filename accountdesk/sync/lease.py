"""Meta keys of the offline lease and the app lock (issue 14), shared by the sync client, which
writes them at each sign-in, and the services, which read them (services/security.py)."""

from __future__ import annotations

#: the server's user this profile syncs as (set when it joins a company server)
META_SYNC_USER = "sync_user_id"
#: the offline lease: its length in days as the server sent it, and the last time the server was
#: reached with a valid sign-in (UTC, ISO)
META_OFFLINE_DAYS = "offline_days"
META_SERVER_CONTACT = "server_contact_at"
#: an Argon2id hash of the password of the last password sign-in, inside the (encrypted) store: the
#: app lock checks it without the network
META_UNLOCK_VERIFIER = "unlock_verifier"
