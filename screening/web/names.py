"""Patient names as staff search and see them: invisible characters can neither hide a name nor disguise one."""

from __future__ import annotations

import unicodedata

from markupsafe import Markup, escape


def is_invisible(character: str) -> bool:
    """Zero-width characters, bidi controls, soft hyphens and other format characters (Unicode category Cf)."""
    return unicodedata.category(character) == "Cf"


def search_form(text: str) -> str:
    """The form of a name that searches compare: NFKC, invisible characters removed, case folded, spaces single.

    So "Jo\u200bhn", "Ｊｏｈｎ" and "JOHN" all match a search for "john".
    """
    if text.isascii():  # most names: NFKC changes nothing and there is no invisible character
        return " ".join(text.lower().split())
    folded = unicodedata.normalize("NFKC", text)
    folded = "".join(c for c in folded if not is_invisible(c)).casefold()
    return " ".join(folded.split())


def shown_name(text: str | None) -> Markup:
    """A name for staff pages, escaped, with each invisible character replaced by a visible marker naming it."""
    if not text:
        return Markup("")
    parts: list[str] = []
    for character in text:
        if is_invisible(character):
            code = f"U+{ord(character):04X}"
            parts.append(f'<mark class="hidden-char" title="hidden character {code}">[{code}]</mark>')
        else:
            parts.append(str(escape(character)))
    return Markup("".join(parts))
