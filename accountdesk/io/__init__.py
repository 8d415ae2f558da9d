"""Getting data in and out: imports, exports, backups. Qt-free; the GUI runs these off the GUI
thread (they may take seconds) and shows their results.

Import (guided: preview, mapping, duplicates, then one transaction)::

    plan = importer.plan_import(ctx, path, kind=None | "clients" | "contacts" | "equipment",
                                mapping={column: field}, client_id=None)
    plan.columns, plan.mapping, mapping.targets(plan.kind)     # the mapping editor
    plan.preview, plan.total, plan.new, plan.duplicates, plan.rejected   # rows, counts, reasons
    result = importer.run_import(ctx, plan, {row: "merge" | "skip"} or "skip", progress=cb,
                                 skip_rejected=False)          # all or nothing

The checks themselves are ``plan.py`` (no store: an ``Index`` and the rules of a create are
given by the caller), shared with the server's ``accountdesk-server import``
(``accountdesk/server/importer.py``).

Export: ``exports.export_table(ctx, "clients" | "contacts", path, "xlsx" | "csv" | "json")``,
``exports.export_vcard(ctx, path, "3.0" | "4.0")``, ``exports.export_ical(ctx, path, tz=...)``.
Backup: ``backup.create_backup(ctx, path)``; ``backup.restore_backup(path, data_dir)`` (an empty
profile only). Every bad input raises :class:`accountdesk.errors.ValidationError` naming the field
(``file`` for the file itself) and changes nothing.

Duplicates in the store and merging live in ``services.duplicates`` and ``services.merge``.
"""
