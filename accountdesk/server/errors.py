"""Errors the server answers with a structured body (never a stack trace)."""

from __future__ import annotations

from typing import Any


class ServerError(Exception):
    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}


def describe(error: BaseException) -> str:
    """An exception for the log, without its message: a database error quotes the failing row
    ("Failing row contains (...)", a duplicate key's value), a parser its input, and a field
    value must never reach a log. Each exception of the chain is named with the database's
    error code and constraint, the statement (its parameters are never part of it) and where
    it was raised."""
    import traceback

    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        head = f"{type(current).__module__}.{type(current).__qualname__}"
        orig = getattr(current, "orig", None) or current
        code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
        if code:
            head += f" [{code}]"
        diag = getattr(orig, "diag", None)
        for part in ("table_name", "column_name", "constraint_name"):
            name = getattr(diag, part, None) if diag is not None else None
            if name:
                head += f" {part}={name}"
        lines.append(head)
        statement = getattr(current, "statement", None)
        if isinstance(statement, str):
            lines.append("  statement: " + " ".join(statement.split())[:400])
        for frame in traceback.extract_tb(current.__traceback__)[-12:]:
            lines.append(f"  at {frame.filename}:{frame.lineno} in {frame.name}")
        current = current.__cause__ or current.__context__
    return "\n".join(lines)
