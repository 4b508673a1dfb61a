"""Rows out to CSV or JSON lines, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Iterator
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str | int:
    """A CSV cell that a spreadsheet shows as text: lists joined, formulas neutralised with a leading quote."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    return "'" + text if _looks_like_formula(text) else text


def _looks_like_formula(text: str) -> bool:
    if text.startswith(FORMULA_STARTS):
        return True
    start = 0
    while start < len(text) and (text[start].isspace() or unicodedata.category(text[start]) == "Cf"):
        start += 1
    return start > 0 and text.startswith(FORMULA_STARTS, start)


def write_csv(records: Iterator[dict[str, Any]], columns: list[str], out: TextIO, bom: bool) -> int:
    if bom:
        out.write("\ufeff")  # lets Excel on Windows open the file as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for record in records:
        writer.writerow([safe_cell(record[c]) for c in columns])
        count += 1
    return count


def write_jsonl(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
