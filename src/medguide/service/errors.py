"""The one error every door turns into its own shape (a CLI line, an RFC 9457 document)."""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal["bad_input", "not_found"]


class ServiceError(ValueError):
    """Input the engine cannot act on. `field` names the part at fault where there is one."""

    def __init__(self, message: str, *, kind: ErrorKind = "bad_input", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.kind: ErrorKind = kind
        self.field = field

    def as_problem(self) -> dict[str, str | None]:
        """The error as the body of an RFC 9457 problem document."""
        return {
            "type": f"https://medguide.invalid/problems/{self.kind.replace('_', '-')}",
            "title": "bad input" if self.kind == "bad_input" else "not found",
            "detail": self.message,
            "field": self.field,
            "code": self.kind,
        }
