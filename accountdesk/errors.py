"""Errors that every layer raises and every front end (CLI, GUI, server) knows how to show."""

from __future__ import annotations


class AccountDeskError(Exception):
    """Base class: an error with a message meant for the user (already translated)."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(AccountDeskError):
    """Bad input. ``field`` names the field that is wrong, so forms can show the message beside it.

    ``errors`` may carry several ``(field, message)`` pairs when a whole form is checked at once;
    ``field``/``message`` are the first of them.
    """

    exit_code = 2

    def __init__(self, field: str, message: str, *, errors: list[tuple[str, str]] | None = None):
        self.field = field
        self.errors = errors or [(field, message)]
        super().__init__(message)

    def __str__(self) -> str:
        return "; ".join(f"{f}: {m}" for f, m in self.errors)

    @classmethod
    def collect(cls, errors: list[tuple[str, str]]) -> ValidationError:
        field, message = errors[0]
        return cls(field, message, errors=errors)


class NotFoundError(AccountDeskError):
    """A referenced record does not exist (or was deleted). ``field``: the input that named it
    (``client`` for a client reference), shown by the command line as bad input is."""

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class PermissionDenied(AccountDeskError):
    """The current user may not do this."""

    exit_code = 1


class ConflictError(AccountDeskError):
    """The operation clashes with the current state (e.g. a duplicate credit code)."""

    exit_code = 2
