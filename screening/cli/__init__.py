"""The ``screening`` command line. Thin: parse arguments, call the engine, print, set the exit code.

Only the standard library is imported at start-up so ``screening --help`` answers at once; the engine
(pydantic, YAML) is imported inside the commands that need it. The commands live in three groups:
``definitions`` (validate, questions, clinic, schema, test, evaluate, diff), ``responses`` (score, report, batch,
intake) and ``server`` (export, rescore, serve, user, token). Exit codes are listed in ``screening.errors``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .._version import __version__
from . import definitions, responses, server
from .common import (
    EXIT_BAD_DEFINITION,
    EXIT_BAD_RESPONSE,
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    Parser,
)

__all__ = [
    "EXIT_BAD_DEFINITION",
    "EXIT_BAD_RESPONSE",
    "EXIT_FAILURE",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "main",
    "run",
]

EXIT_INTERRUPTED = 130

# in the order --help lists them
_COMMANDS = (
    definitions.add_validate,
    definitions.add_questions,
    responses.add_score,
    responses.add_report,
    responses.add_batch,
    definitions.add_clinic,
    definitions.add_schema,
    responses.add_intake,
    definitions.add_test,
    definitions.add_evaluate,
    definitions.add_diff,
    server.add_export,
    server.add_rescore,
    server.add_serve,
    server.add_user,
    server.add_token,
)


def build_parser() -> Parser:
    parser = Parser(
        prog="screening",
        description="Screen headaches for a neck-related (cervicogenic) origin and for red flags that need a "
        "doctor. A screening aid, not a diagnosis.",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument("--version", action="version", version=f"screening {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _COMMANDS:
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    from ..errors import ScreeningError

    try:
        result: int = args.handler(args)
        return result
    except ScreeningError as exc:
        print(exc.format_message(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
