"""One exception tree for every stage, each class carrying the exit code the CLI uses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file: where, what, and how to fix it."""

    file: str
    line: int | None
    subject: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{where}: {self.subject}: {self.message}" if self.subject else f"{where}: {self.message}"
        return f"{text} — {self.fix}" if self.fix else text

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line or 0, self.subject, self.message)


class ScreeningError(Exception):
    """Root of every error the engine raises on purpose."""

    exit_code = 1

    def format_message(self) -> str:
        return str(self)


class _ProblemsError(ScreeningError):
    """An error that carries every problem found, sorted by file and line."""

    headline = "problems found"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__(self.format_message())

    def format_message(self) -> str:
        count = len(self.problems)
        head = f"{count} {self.headline}" if count != 1 else f"1 {self.headline.replace('problems', 'problem')}"
        return "\n".join([head + ":", *(f"  {p}" for p in self.problems)])


class DefinitionError(_ProblemsError):
    """A questionnaire or ruleset file is broken; nothing can be scored with it."""

    exit_code = 2
    headline = "problems in the definition"


class ResponseError(_ProblemsError):
    """A response does not fit its questionnaire."""

    exit_code = 1
    headline = "problems in the response"


class ReportError(ScreeningError):
    """A report could not be rendered or written."""

    exit_code = 1
