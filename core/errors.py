"""Refusals: the user typed something we will not do. Each carries one clear line."""

from __future__ import annotations


class Refused(Exception):
    """Base for every refusal; the message is shown to the user as is. `field` names the input it is
    about, when it is about one (`confidence`, `reason`, `a2`): a form shows it next to that input."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(Refused):
    """Malformed or out-of-range input."""


class NotFound(Refused):
    """An id, team or person that does not exist in this workspace."""


class PermissionDenied(Refused):
    """The caller may not do this."""


class Conflict(Refused):
    """The request is well formed but the record's state does not allow it."""
