"""A clinic settings file: reading it, checking that referrals can be sent with it, and warning while it is not.

The settings models are in ``clinic``; ``report`` renders with them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from .clinic import PLACEHOLDER_ADDRESS, ClinicSettings
from .error_codes import ErrorCode
from .errors import ClinicSettingsError, Problem
from .limits import DEFINITION_LIMITS, LimitError, read_text_bounded
from .loader import bundled_dir
from .yamlio import YamlSyntaxError, line_for, load_with_lines

NEUTRAL_SETTINGS = bundled_dir("reports") / "clinic.yaml"
_FIELD_CODES = {"missing": ErrorCode.KEY_MISSING, "extra_forbidden": ErrorCode.KEY_UNKNOWN}


def placeholder_warning(clinic: ClinicSettings, source: Path | None) -> str:
    """A warning for the terminal while the clinic settings lack real contact details, else an empty string."""
    if not clinic.placeholders:
        return ""
    where = f"in {source}" if source else "(the shipped defaults are in use: pass --clinic SETTINGS)"
    return (
        f"warning: the clinic settings {where} lack {' and '.join(clinic.placeholders)}, so referrals do not say "
        "how to reach the clinic — fill them in and check the file with `screening clinic check SETTINGS`"
    )


def clinic_problems(path: Path) -> list[Problem]:
    """What keeps a clinic settings file from being used for referrals, each with its line.

    A file that cannot be read or does not fit the format raises ``ClinicSettingsError`` (see ``load_clinic_settings``);
    a valid file may still hold the shipped placeholder address or no way to reach the clinic.
    """
    settings = load_clinic_settings(path)
    data, lines = load_with_lines(read_text_bounded(path, DEFINITION_LIMITS), DEFINITION_LIMITS)
    problems = []
    for index, line in enumerate(settings.address):
        if line.strip().startswith(PLACEHOLDER_ADDRESS):
            where = line_for(("address", index), data, lines)
            fix = "replace it with the clinic's postal address, one line per entry"
            message = f"'{line}' is the placeholder shipped with the program"
            problems.append(Problem(str(path), where, "address", message, fix, code=ErrorCode.PLACEHOLDER_ADDRESS))
    if not settings.address:
        problems.append(
            Problem(
                str(path),
                line_for(("name",), data, lines),
                "address",
                "no address is given",
                "add the clinic's postal address under 'address:'",
                code=ErrorCode.NO_ADDRESS,
            )
        )
    if not settings.phone and not settings.email:
        where = line_for(("phone",), data, lines) or line_for(("email",), data, lines)
        problems.append(
            Problem(
                str(path),
                where,
                "phone, email",
                "neither a phone number nor an e-mail address is given",
                "add at least one, so a GP who reads a referral can reach the clinic",
                code=ErrorCode.NO_CONTACT,
            )
        )
    return problems


def load_clinic_settings(path: Path | None = None) -> ClinicSettings:
    """Read clinic settings (YAML); the neutral defaults ship in ``reports/clinic.yaml``."""
    path = path or NEUTRAL_SETTINGS
    try:
        data, lines = load_with_lines(read_text_bounded(path, DEFINITION_LIMITS), DEFINITION_LIMITS)
    except (OSError, LimitError, YamlSyntaxError, UnicodeDecodeError) as exc:
        raise ClinicSettingsError(_unreadable(str(path), exc)) from exc
    try:
        return ClinicSettings.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                str(path),
                line_for(tuple(e["loc"]), data, lines),
                "clinic settings",
                f"'{'.'.join(map(str, e['loc'])) or 'settings'}': {e['msg'].removeprefix('Value error, ')}",
                code=_FIELD_CODES.get(e["type"], ErrorCode.CLINIC_FIELD),
            )
            for e in exc.errors()
        ]
        raise ClinicSettingsError(problems) from exc


def _unreadable(file: str, exc: Exception) -> Problem:
    if isinstance(exc, LimitError):
        return exc.problem(file)
    if isinstance(exc, YamlSyntaxError):
        message = f"the clinic settings are not valid YAML ({exc})"
        return Problem(file, exc.line, "", message, "fix the syntax", code=ErrorCode.YAML_SYNTAX)
    if isinstance(exc, OSError):
        message = f"cannot read the clinic settings ({exc.strerror})"
        return Problem(file, None, "", message, "check the path", code=ErrorCode.FILE_UNREADABLE)
    message = "the clinic settings are not UTF-8 text"
    return Problem(file, None, "", message, "save the file as UTF-8", code=ErrorCode.NOT_UTF8)
