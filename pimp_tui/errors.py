"""Errors a user can act on. The CLI prints them as one line on stderr and exits with `exit_code`;
the TUI shows them as notifications. Anything else escaping is a bug."""

from __future__ import annotations


class PimpError(Exception):
    """A failure caused by input or environment, with a message meant for the user."""

    exit_code = 2


class ModelSyntaxError(PimpError):
    """A malformed model file, located as FILE:LINE:COL (1-based)."""

    def __init__(self, message: str, file: str | None, line: int, col: int) -> None:
        super().__init__(message)
        self.message, self.file, self.line, self.col = message, file, line, col

    def __str__(self) -> str:
        return f"{self.file or '<string>'}:{self.line}:{self.col}: {self.message}"


class UnsupportedConstruct(PimpError):
    """Well-formed, but the reasoner cannot handle it (for example an unbounded Integer)."""

    exit_code = 1


class UnreadableData(PimpError):
    """Stored data pimp will not read: damaged, foreign, or in a format whose loading could run
    code."""

    exit_code = 1


class CampaignBusy(PimpError):
    """Another live process holds the campaign's run lease."""

    exit_code = 1
