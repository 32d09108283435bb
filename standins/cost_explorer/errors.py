"""Errors the stand-in answers with, named as in Cost Explorer's API model."""

from __future__ import annotations


class CostExplorerError(Exception):
    """An AWS JSON 1.1 error: `{"__type": code, "Message": message}` with an HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def validation(message: str) -> CostExplorerError:
    """A `ValidationException` (HTTP 400), what AWS answers for a malformed request."""
    return CostExplorerError("ValidationException", message)
