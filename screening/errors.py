"""One exception tree for every stage, each class carrying the exit code the command line uses.

Exit codes of ``screening``:

====  ======================================================================================================
code  meaning
====  ======================================================================================================
0     ok
1     the work failed: a response that does not fit its questionnaire, a failing case or missed target, a
      file or database that cannot be read or written, or another run-time fault
2     an input file has problems: a questionnaire or ruleset, a cases file, clinic or server settings;
      every problem is listed with its file, line and code
64    the command line is wrong: an unknown option, a missing argument, an option value that cannot be used
      (such as ``--since 2026-13-01``)
130   interrupted (Ctrl-C)
====  ======================================================================================================

Each class below names its code in ``exit_code``. Problems carry a code from ``screening.error_codes``.

``ScreeningError``
    ``ProblemsError`` — carries ``Problem`` records
        ``DefinitionError`` (2), ``ResponseError`` (1), ``CasesError`` (2), ``SettingsError`` (2),
        ``ReportError`` (1) with ``ClinicSettingsError`` (2), ``ExportError`` (1), ``UsageError`` (64)
    ``CodedError`` — one message with its code: ``IntakeError`` (1), ``AccountError`` (1)
    ``RebuildError`` (1), ``RenderBusy`` (1), ``AlertConfigError`` (2)
    ``LimitError`` (2), ``YamlSyntaxError`` (2) — raised while parsing; callers turn them into problems
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .error_codes import ErrorCode

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INVALID = 2
EXIT_USAGE = 64  # as EX_USAGE in BSD's sysexits.h
EXIT_INTERRUPTED = 130

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "ok",
    EXIT_FAILURE: "the work failed: a response that does not fit, a failing case or target, a run-time fault",
    EXIT_INVALID: "an input file has problems (definition, cases, settings), each listed with its code",
    EXIT_USAGE: "the command line is wrong (unknown option, missing argument, unusable value)",
    EXIT_INTERRUPTED: "interrupted",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file: where, what, how to fix it, and its code from the catalogue.

    ``file`` may be empty for a problem that is not in a file (an option or an environment variable).
    """

    file: str
    line: int | None
    subject: str
    message: str
    fix: str = ""
    code: ErrorCode = field(kw_only=True)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        said = f"{self.subject}: {self.message}" if self.subject else self.message
        text = f"{where}: [{self.code.code}] {said}" if where else f"[{self.code.code}] {said}"
        return f"{text} — {self.fix}" if self.fix else text

    def sort_key(self) -> tuple[str, int, str, str, str]:
        return (self.file, self.line or 0, self.subject, self.message, self.code.code)

    def as_json(self) -> dict[str, Any]:
        """The problem as a JSON object: code, file, line, subject, message and fix."""
        return {
            "code": self.code.code,
            "file": self.file,
            "line": self.line,
            "subject": self.subject,
            "message": self.message,
            "fix": self.fix,
        }


class ScreeningError(Exception):
    """Root of every error the engine raises on purpose."""

    exit_code: ClassVar[int] = EXIT_FAILURE

    def format_message(self) -> str:
        return str(self)


class ProblemsError(ScreeningError):
    """An error that carries every problem found, sorted by file and line.

    With a ``headline`` the message counts the problems under it; without one, each problem is a line of its own.
    """

    headline: ClassVar[str | None] = "problems found"

    def __init__(self, problems: list[Problem] | Problem) -> None:
        found = [problems] if isinstance(problems, Problem) else problems
        self.problems = sorted(found, key=Problem.sort_key)
        super().__init__(self.format_message())

    def format_message(self) -> str:
        if self.headline is None:
            return "\n".join(str(p) for p in self.problems)
        count = len(self.problems)
        head = f"{count} {self.headline}" if count != 1 else f"1 {self.headline.replace('problems', 'problem')}"
        return "\n".join([head + ":", *(f"  {p}" for p in self.problems)])


_ProblemsError = ProblemsError  # the name used before the tree was public


class DefinitionError(ProblemsError):
    """A questionnaire or ruleset file is broken; nothing can be scored with it."""

    exit_code = EXIT_INVALID
    headline = "problems in the definition"


class ResponseError(ProblemsError):
    """A response does not fit its questionnaire."""

    exit_code = EXIT_FAILURE
    headline = "problems in the response"


class CasesError(ProblemsError):
    """A cases file itself cannot be used (not a failing case: that is a result)."""

    exit_code = EXIT_INVALID
    headline = None


class SettingsError(ProblemsError):
    """The server's settings cannot work: the signing key, the data folder or the database."""

    exit_code = EXIT_INVALID
    headline = None


class ReportError(ProblemsError):
    """A report could not be rendered or written."""

    exit_code = EXIT_FAILURE
    headline = None


class ClinicSettingsError(ReportError):
    """A clinic settings file cannot be read or does not fit the format."""

    exit_code = EXIT_INVALID


class ExportError(ProblemsError):
    """Stored submissions or the questionnaire cannot be exported."""

    exit_code = EXIT_FAILURE
    headline = None


class UsageError(ProblemsError):
    """The command line asks for something that cannot be done: a value an option cannot take."""

    exit_code = EXIT_USAGE
    headline = None


class CodedError(ScreeningError):
    """An error of one sentence with its problem code, printed as ``[SCR9xx] message``; ``message`` alone is what
    a web page shows."""

    def __init__(self, message: str, code: ErrorCode) -> None:
        self.message = message
        self.code = code
        super().__init__(f"[{code.code}] {message}")


class IntakeError(CodedError):
    """The intake cannot start or cannot save: an unreadable draft, an unwritable folder, no terminal."""

    exit_code = EXIT_FAILURE


class AccountError(CodedError):
    """A staff account or API token cannot be created or changed as asked."""

    exit_code = EXIT_FAILURE


class RenderBusy(ScreeningError):
    """Another PDF was still being rendered after the longest wait for a turn (the web answers 503, a job is
    tried again later)."""

    exit_code = EXIT_FAILURE


class GroupLost(ScreeningError):
    """SQLite ended the transaction of submissions stored together before its commit (a full disk, say):
    nothing of the group is stored, and the web answers each of them 503 (see ``web.writer``)."""

    exit_code = EXIT_FAILURE


class RebuildError(ScreeningError):
    """A stored submission's assessment cannot be worked out again here (its definitions are missing, no longer
    load, or give another result with this engine)."""

    exit_code = EXIT_FAILURE


class AlertConfigError(ScreeningError):
    """The alert settings cannot work as they stand; shown to staff with the failed alerts."""

    exit_code = EXIT_INVALID


class LimitError(ScreeningError, ValueError):
    """A document is over one of the limits; carries the 1-based line when known, how to fix it, and its code."""

    exit_code = EXIT_INVALID

    def __init__(self, message: str, line: int | None = None, fix: str = "", *, code: ErrorCode) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.fix = fix
        self.code = code

    def problem(self, file: str) -> Problem:
        return Problem(file, self.line, "", self.message, self.fix, code=self.code)


class YamlSyntaxError(ScreeningError, ValueError):
    """The text is not YAML; carries the 1-based line of the fault."""

    exit_code = EXIT_INVALID

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line
