"""Names as staff search and see them (``screening.web.names``)."""

from __future__ import annotations

import pytest

from screening.web.names import search_form, shown_name


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("Jo\u200bhn Smith", "john smith"),
        ("\u202eJohn\u202c  Smith", "JOHN SMITH"),
        ("\uff2a\uff4f\uff48\uff4e Smith", "john"),
        ("Strau\u00df", "STRAUSS"),
        ("Jo\ufeffhn\u2060 Smith", "n smi"),
    ],
)
def test_search_form_matches_what_staff_type(stored: str, typed: str) -> None:
    assert search_form(typed) in search_form(stored)


def test_search_form_keeps_distinct_names_distinct() -> None:
    assert search_form("John") != search_form("Joan")
    assert search_form("\u200b \u200c") == ""


def test_shown_name_escapes_and_marks_invisible_characters() -> None:
    shown = str(shown_name('<b>Eve</b> \u202egnp.exe\u202c "x"'))
    assert "<b>" not in shown and "&lt;b&gt;Eve&lt;/b&gt;" in shown and "&#34;x&#34;" in shown
    assert shown.count('<mark class="hidden-char"') == 2 and "[U+202E]" in shown and "[U+202C]" in shown
    assert "\u202e" not in shown and "\u202c" not in shown
    assert str(shown_name("Plain Name")) == "Plain Name"
    assert str(shown_name(None)) == ""
