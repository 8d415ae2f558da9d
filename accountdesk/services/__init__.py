"""Use cases, Qt-free. The only way to change data: every write validates, names the field that
is wrong, and records its change in the outbox in the same transaction.

Entry point: :class:`accountdesk.services.context.AppContext` (``open_profile(data_dir)``).
"""
