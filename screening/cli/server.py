"""Commands about the web intake and what it stores: export, rescore, serve, worker, user and token."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .common import EXIT_OK, data_option, database_options, definition_options, load, usage_error

if TYPE_CHECKING:
    from .common import Commands


def add_export(commands: Commands) -> None:
    export = commands.add_parser(
        "export",
        help="export stored submissions as CSV or JSON lines",
        description="Write one row per stored submission: ids, timestamps, versions, disposition, likelihood, red "
        "flags and one column per question. Spreadsheet-safe: ISO dates, cells that would start a formula are "
        "prefixed with a quote. Patient names are left out unless --with-names.",
    )
    export.add_argument(
        "what", choices=("submissions", "questionnaire"), help="stored submissions, or the questionnaire itself"
    )
    export.add_argument(
        "--format",
        choices=("csv", "jsonl", "fhir"),
        help="submissions: csv (default) or jsonl; questionnaire: fhir (an HL7 FHIR R4 Questionnaire, the default)",
    )
    export.add_argument(
        "--base-url",
        metavar="URL",
        help="where the FHIR Questionnaire is published (its canonical url is BASE/ID; default: a placeholder)",
    )
    export.add_argument(
        "--questionnaire", type=Path, metavar="FILE", help="questionnaire YAML (default: the bundled one)"
    )
    export.add_argument("--ruleset", type=Path, metavar="FILE", help=argparse.SUPPRESS)
    export.add_argument("--since", metavar="DATE", help="only submissions from this date (YYYY-MM-DD, UTC) on")
    export.add_argument("--with-names", action="store_true", help="include patient name, contact and date of birth")
    export.add_argument("--bom", action="store_true", help="start the CSV with a UTF-8 byte-order mark (for Excel)")
    export.add_argument(
        "--clinic",
        type=Path,
        metavar="SETTINGS",
        help="clinic settings YAML, for the time zone of the CSV's 'received' column "
        "(default: $SCREENING_CLINIC, else Europe/London)",
    )
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)")
    database_options(export)
    export.set_defaults(handler=_export)


def add_rescore(commands: Commands) -> None:
    rescore = commands.add_parser(
        "rescore",
        help="show which stored results a new ruleset would change",
        description="Re-assess stored submissions (or a folder of response files) under another ruleset and list "
        "every one whose disposition or likelihood would change. Nothing is overwritten.",
    )
    rescore.add_argument("responses", nargs="?", type=Path, metavar="DIR", help="a folder of response files instead")
    rescore.add_argument("--ruleset", type=Path, metavar="FILE", required=True, help="the new ruleset YAML")
    rescore.add_argument(
        "--questionnaire", type=Path, metavar="FILE", help="the questionnaire it scores (default: the bundled one)"
    )
    rescore.add_argument("--json", action="store_true", help="print the changes as JSON lines")
    rescore.add_argument("--all", action="store_true", help="list unchanged submissions too")
    database_options(rescore)
    rescore.set_defaults(handler=_rescore)


def add_serve(commands: Commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the web intake (patients at /, staff at /staff, API at /api/v1)",
        description="Serve patient self-screening, the staff area and the JSON API. Keeps its SQLite database and "
        "signing key in the data folder unless SCREENING_DATABASE_URL points at a database.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="server processes (default: 1); they share limits, sessions and data through the database",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default="",
        metavar="IPS",
        help="comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto headers are trusted "
        "(default: none, so forwarding headers are ignored)",
    )
    serve.add_argument(
        "--allowed-hosts",
        default="",
        metavar="HOSTS",
        help="comma-separated host names the server answers to (default: any); others get 400",
    )
    data_option(serve)
    serve.add_argument("--clinic", type=Path, metavar="SETTINGS", help="clinic settings YAML (default: neutral)")
    serve.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark cookies Secure (use when served over HTTPS, e.g. behind a proxy)",
    )
    serve.add_argument(
        "--no-jobs",
        action="store_true",
        help="leave rendering PDFs and sending alerts to `screening worker` processes (default: each server "
        "process works on them too)",
    )
    definition_options(serve)
    serve.set_defaults(handler=_web)


def add_worker(commands: Commands) -> None:
    worker = commands.add_parser(
        "worker",
        help="render queued PDFs and send queued alerts (beside or instead of the servers)",
        description="Work through the referral PDFs and alerts that the servers queue in the database, until "
        "stopped. Any number can run, on any machine that reaches the database: each job is done once. Give it "
        "the same data folder or database, clinic settings and definitions as the servers.",
    )
    worker.add_argument("--once", action="store_true", help="do what is queued now, then stop")
    worker.add_argument("--clinic", type=Path, metavar="SETTINGS", help="clinic settings YAML (default: neutral)")
    definition_options(worker)
    database_options(worker)
    worker.set_defaults(handler=_web)


def add_user(commands: Commands) -> None:
    user = commands.add_parser(
        "user",
        help="manage staff accounts",
        description="Create, list, disable or enable staff accounts, or set their passwords. Passwords are stored as "
        "argon2 hashes. A new password or disabling an account ends its open sessions at once.",
    )
    user.add_argument(
        "action",
        choices=("add", "password", "disable", "enable", "list"),
        help="add a user, set a new password, disable or enable an account, or list them all",
    )
    user.add_argument("name", metavar="NAME", nargs="?", help="the user (not needed for list)")
    user.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    data_option(user)
    user.set_defaults(handler=_web)


def add_token(commands: Commands) -> None:
    token = commands.add_parser(
        "token",
        help="create, list and revoke API tokens for clinic systems",
        description="Create a bearer token for the JSON API (printed once; only its hash is stored), list the "
        "tokens, or revoke one for good.",
    )
    token.add_argument("action", choices=("add", "revoke", "list"))
    token.add_argument("name", metavar="NAME", nargs="?", help="which system the token is for (not needed for list)")
    data_option(token)
    token.set_defaults(handler=_web)


def _export(args: argparse.Namespace) -> int:
    import os
    from datetime import date

    from ..clinic_file import load_clinic_settings
    from ..loader import load_definition
    from ..tables import write_csv, write_jsonl
    from ..web.exports import (
        FIXED_COLUMNS,
        HUMAN_COLUMNS,
        NAME_COLUMNS,
        database_engine,
        export_row,
        item_columns,
        submissions,
    )

    if args.what == "questionnaire":
        return _export_questionnaire(args)
    if args.format not in (None, "csv", "jsonl"):
        raise usage_error("--format", f"submissions export as csv or jsonl, not {args.format}")
    try:
        since = date.fromisoformat(args.since) if args.since else None
    except ValueError as exc:
        raise usage_error("--since", f"{args.since!r} is not a date", "write it like 2026-11-21") from exc
    items = item_columns(load_definition())
    csv_out = args.format != "jsonl"
    # people read the CSV: its "received" column is in the clinic's time; JSON lines keep UTC only
    clinic_file = args.clinic or (Path(env) if (env := os.environ.get("SCREENING_CLINIC")) else None)
    zone = load_clinic_settings(clinic_file).zone if csv_out else None
    columns = FIXED_COLUMNS + HUMAN_COLUMNS + (NAME_COLUMNS if args.with_names else []) + items
    engine = database_engine(args.database, args.data)
    records = (export_row(row, items, args.with_names, zone) for row in submissions(engine, since))
    out = args.output.open("w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        count = write_jsonl(records, out) if args.format == "jsonl" else write_csv(records, columns, out, args.bom)
    finally:
        if args.output:
            out.close()
        engine.dispose()
    if args.output:
        print(f"{args.output}: {count} submission{'s' if count != 1 else ''}", file=sys.stderr)
    return EXIT_OK


def _export_questionnaire(args: argparse.Namespace) -> int:
    from ..error_codes import ErrorCode
    from ..errors import ExportError, Problem
    from ..fhir import DEFAULT_BASE_URL, check_questionnaire, questionnaire_resource
    from ..report import write_atomic

    if args.format not in (None, "fhir"):
        raise usage_error("--format", f"the questionnaire exports as fhir, not {args.format}")
    resource = questionnaire_resource(load(args), base_url=args.base_url or DEFAULT_BASE_URL)
    problems = check_questionnaire(resource)
    if problems:  # our own checks beyond the FHIR structure; a failure here is a bug, not a user error
        raise ExportError(
            [Problem("", None, "exported Questionnaire", p, code=ErrorCode.EXPORT_CHECK_FAILED) for p in problems]
        )
    text = json.dumps(resource, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        write_atomic(args.output, text.encode("utf-8"))
        print(f"{args.output}: FHIR R4 Questionnaire {resource['url']}|{resource['version']}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _rescore(args: argparse.Namespace) -> int:
    from collections.abc import Iterator
    from dataclasses import asdict

    from ..loader import load_definition
    from ..rescore import Change, rescore_files
    from ..web.exports import database_engine, rescore_database

    new = load_definition(args.questionnaire, args.ruleset)
    engine = None if args.responses else database_engine(args.database, args.data)
    changes: Iterator[Change] = (
        rescore_files(args.responses, load_definition(args.questionnaire), new)
        if engine is None
        else rescore_database(engine, new)
    )
    total = changed = unreadable = 0
    try:
        for change in changes:  # printed as they come: nothing is kept, however many submissions there are
            total += 1
            unreadable += bool(change.problem)
            changed += change.changed and not change.problem
            if not (args.all or change.changed):
                continue
            if args.json:
                print(json.dumps(asdict(change), ensure_ascii=False))
            elif change.problem:
                print(f"{change.submission} ({change.created_at}): cannot be re-assessed: {change.problem}")
            else:
                flags = "".join(
                    [f" +{f}" for f in change.red_flags_added] + [f" -{f}" for f in change.red_flags_removed]
                )
                print(
                    f"{change.submission} ({change.created_at}): {change.old_disposition} -> "
                    f"{change.new_disposition}, {change.old_likelihood} -> {change.new_likelihood}"
                    + (f"; red flags{flags}" if flags else "")
                )
    finally:
        if engine is not None:
            engine.dispose()
    if not args.json:
        problems = f"; {unreadable} could not be re-assessed (listed above)" if unreadable else ""
        print(
            f"{total - unreadable} re-assessed with {new.ruleset.id} {new.ruleset.version}: {changed} would "
            f"change{problems}. Nothing was written.",
            file=sys.stderr,
        )
    return EXIT_OK


def _web(args: argparse.Namespace) -> int:
    from ..web.admin import run_command

    return run_command(args)
