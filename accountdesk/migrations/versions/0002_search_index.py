"""search index: search_rows, FTS5 trigram and two-character gram indexes, triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:45:00

The index of clients, contacts and service notes used by the client list and global search
(see accountdesk/store/search.py). Triggers call SQL functions that the store registers on every
connection; the existing rows are indexed here.
"""
from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# The DDL as of this revision (a later change of the index needs a new revision).
SCHEMA = [
    "CREATE TABLE IF NOT EXISTS search_rows (\n        id INTEGER PRIMARY KEY,\n        entity TEXT NOT NULL,\n        row_id TEXT NOT NULL UNIQUE,\n        client_id TEXT NOT NULL,\n        label TEXT NOT NULL DEFAULT '',\n        name_doc TEXT NOT NULL DEFAULT '',\n        body_doc TEXT NOT NULL DEFAULT '',\n        sort_key TEXT,\n        confidential INTEGER NOT NULL DEFAULT 0\n    )",
    'CREATE INDEX IF NOT EXISTS ix_search_rows_client ON search_rows (client_id)',
    "CREATE INDEX IF NOT EXISTS ix_search_rows_sort ON search_rows (sort_key, row_id) WHERE entity = 'client'",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_tri USING fts5(name_doc, body_doc, tokenize='trigram', content='search_rows', content_rowid='id')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_bi USING fts5(grams, tokenize='unicode61', content='', detail='none')",
    'CREATE TRIGGER IF NOT EXISTS search_rows_ai AFTER INSERT ON search_rows BEGIN\n        INSERT INTO search_tri(rowid, name_doc, body_doc) VALUES (NEW.id, NEW.name_doc, NEW.body_doc);\n        INSERT INTO search_bi(rowid, grams) VALUES (NEW.id, ad_grams(NEW.name_doc, NEW.body_doc));\n    END',
    "CREATE TRIGGER IF NOT EXISTS search_rows_ad AFTER DELETE ON search_rows BEGIN\n        INSERT INTO search_tri(search_tri, rowid, name_doc, body_doc) VALUES ('delete', OLD.id, OLD.name_doc, OLD.body_doc);\n        INSERT INTO search_bi(search_bi, rowid, grams) VALUES ('delete', OLD.id, ad_grams(OLD.name_doc, OLD.body_doc));\n    END",
    "CREATE TRIGGER IF NOT EXISTS search_clients_ai AFTER INSERT ON clients BEGIN\n        DELETE FROM search_rows WHERE row_id = NEW.id;\n        INSERT INTO search_rows (entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential)\n        SELECT 'client', NEW.id, NEW.id, NEW.name, ad_name_doc(NEW.name, NEW.short_name), ad_body_doc(NEW.uscc), ad_sort_key(NEW.name), 0\n        WHERE NEW.deleted_at IS NULL AND NEW.id IS NOT NULL;\n    END",
    "CREATE TRIGGER IF NOT EXISTS search_clients_au AFTER UPDATE OF name, short_name, uscc, deleted_at ON clients BEGIN\n        DELETE FROM search_rows WHERE row_id = NEW.id;\n        INSERT INTO search_rows (entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential)\n        SELECT 'client', NEW.id, NEW.id, NEW.name, ad_name_doc(NEW.name, NEW.short_name), ad_body_doc(NEW.uscc), ad_sort_key(NEW.name), 0\n        WHERE NEW.deleted_at IS NULL AND NEW.id IS NOT NULL;\n    END",
    'CREATE TRIGGER IF NOT EXISTS search_clients_ad AFTER DELETE ON clients BEGIN\n        DELETE FROM search_rows WHERE row_id = OLD.id;\n    END',
    "CREATE TRIGGER IF NOT EXISTS search_contacts_ai AFTER INSERT ON contacts BEGIN\n        DELETE FROM search_rows WHERE row_id = NEW.id;\n        INSERT INTO search_rows (entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential)\n        SELECT 'contact', NEW.id, NEW.client_id, NEW.name, ad_name_doc(NEW.name), ad_join_docs(ad_phones_doc(NEW.mobile, NEW.phone), ad_body_doc(NEW.email, NEW.wechat, NEW.title, NEW.department, NEW.notes)), NULL, 0\n        WHERE NEW.deleted_at IS NULL AND NEW.client_id IS NOT NULL;\n    END",
    "CREATE TRIGGER IF NOT EXISTS search_contacts_au AFTER UPDATE OF name, mobile, phone, email, wechat, title, department, notes, client_id, deleted_at ON contacts BEGIN\n        DELETE FROM search_rows WHERE row_id = NEW.id;\n        INSERT INTO search_rows (entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential)\n        SELECT 'contact', NEW.id, NEW.client_id, NEW.name, ad_name_doc(NEW.name), ad_join_docs(ad_phones_doc(NEW.mobile, NEW.phone), ad_body_doc(NEW.email, NEW.wechat, NEW.title, NEW.department, NEW.notes)), NULL, 0\n        WHERE NEW.deleted_at IS NULL AND NEW.client_id IS NOT NULL;\n    END",
    'CREATE TRIGGER IF NOT EXISTS search_contacts_ad AFTER DELETE ON contacts BEGIN\n        DELETE FROM search_rows WHERE row_id = OLD.id;\n    END',
    "CREATE TRIGGER IF NOT EXISTS search_service_notes_ai AFTER INSERT ON service_notes BEGIN\n        DELETE FROM search_rows WHERE row_id = NEW.id;\n        INSERT INTO search_rows (entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential)\n        SELECT 'service_note', NEW.id, NEW.client_id, COALESCE(NEW.category, ''), '', ad_body_doc(NEW.category, NEW.text), NULL, COALESCE(NEW.confidential, 0)\n        WHERE NEW.deleted_at IS NULL AND NEW.client_id IS NOT NULL;\n    END",
    "CREATE TRIGGER IF NOT EXISTS search_service_notes_au AFTER UPDATE OF category, text, confidential, client_id, deleted_at ON service_notes BEGIN\n        DELETE FROM search_rows WHERE row_id = NEW.id;\n        INSERT INTO search_rows (entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential)\n        SELECT 'service_note', NEW.id, NEW.client_id, COALESCE(NEW.category, ''), '', ad_body_doc(NEW.category, NEW.text), NULL, COALESCE(NEW.confidential, 0)\n        WHERE NEW.deleted_at IS NULL AND NEW.client_id IS NOT NULL;\n    END",
    'CREATE TRIGGER IF NOT EXISTS search_service_notes_ad AFTER DELETE ON service_notes BEGIN\n        DELETE FROM search_rows WHERE row_id = OLD.id;\n    END',
]

DROP = [
    'DROP TRIGGER IF EXISTS search_clients_ai',
    'DROP TRIGGER IF EXISTS search_clients_au',
    'DROP TRIGGER IF EXISTS search_clients_ad',
    'DROP TRIGGER IF EXISTS search_contacts_ai',
    'DROP TRIGGER IF EXISTS search_contacts_au',
    'DROP TRIGGER IF EXISTS search_contacts_ad',
    'DROP TRIGGER IF EXISTS search_service_notes_ai',
    'DROP TRIGGER IF EXISTS search_service_notes_au',
    'DROP TRIGGER IF EXISTS search_service_notes_ad',
    'DROP TRIGGER IF EXISTS search_rows_ai',
    'DROP TRIGGER IF EXISTS search_rows_ad',
    'DROP TABLE IF EXISTS search_tri',
    'DROP TABLE IF EXISTS search_bi',
    'DROP TABLE IF EXISTS search_rows',
]


def _conn():
    bind = op.get_bind()
    from accountdesk.store.search import register_functions

    register_functions(bind.connection.dbapi_connection)
    return bind


def upgrade() -> None:
    from accountdesk.store import search

    bind = _conn()
    for stmt in SCHEMA:
        bind.exec_driver_sql(stmt)
    search.rebuild(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for stmt in DROP:
        bind.exec_driver_sql(stmt)
