"""What the command groups share: the parser class, the options several commands take, and loading a definition.

Standard library only, so ``screening --help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from ..definition import Definition

# the exit codes, as documented in ``screening.errors`` (kept here too so --help imports nothing heavier)
EXIT_OK, EXIT_FAILURE, EXIT_INVALID, EXIT_USAGE = 0, 1, 2, 64
EXIT_BAD_RESPONSE, EXIT_BAD_DEFINITION = EXIT_FAILURE, EXIT_INVALID  # the names used before

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 failed (a response that does not fit, a failing case, a file that cannot be read or "
    "written); 2 an input file has problems (definition, cases, settings); 64 the command line is wrong."
)


class Parser(argparse.ArgumentParser):
    """argparse, but a wrong command line exits with the usage code (64), not 2, which means a bad input file."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


if TYPE_CHECKING:
    from typing import TypeAlias

    Commands: TypeAlias = "argparse._SubParsersAction[Parser]"  # what each command group adds its parsers to


def definition_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--questionnaire",
        type=Path,
        metavar="FILE",
        help="questionnaire YAML (default: the bundled cervicogenic headache questionnaire)",
    )
    parser.add_argument(
        "--ruleset",
        type=Path,
        metavar="FILE",
        help="ruleset YAML (default: the questionnaire's NAME.rules.yaml beside it)",
    )


def ignore_hidden_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ignore-hidden",
        action="store_true",
        help="drop answers to questions that were not shown instead of rejecting the response",
    )


def rendering_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clinic", type=Path, metavar="SETTINGS", help="clinic settings YAML (default: neutral)")
    parser.add_argument(
        "--generated-at",
        metavar="TIME",
        help="ISO 8601 time printed as 'generated' (default: SOURCE_DATE_EPOCH, else now); "
        "fix it for byte-identical output",
    )


def database_options(parser: argparse.ArgumentParser) -> None:
    data_option(parser)
    parser.add_argument(
        "--database", metavar="URL", help="a database URL (default: $SCREENING_DATABASE_URL, else the data folder)"
    )


def data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="data folder for the database and signing key (default: $SCREENING_DATA_DIR or ./screening-data)",
    )


def load(args: argparse.Namespace) -> Definition:
    from ..loader import load_definition

    return load_definition(args.questionnaire, args.ruleset)


def usage_error(subject: str, message: str, fix: str = "") -> Exception:
    """The error for an option value that cannot be used (exit 64)."""
    from ..error_codes import ErrorCode
    from ..errors import Problem, UsageError

    return UsageError(Problem("", None, subject, message, fix, code=ErrorCode.BAD_OPTION_VALUE))
