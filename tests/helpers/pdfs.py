"""Reading referral PDFs back in tests: text (poppler's pdftotext), attachments, XMP and structure (pypdf, qpdf)."""

from __future__ import annotations

import io
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pypdf
from pypdf.generic import DictionaryObject

PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"


def pdf_pages_text(pdf: bytes, folder: Path, name: str = "document") -> list[str]:
    """The text of each page as pdftotext reads it in content order (``-raw``).

    pdftotext keeps only what lies on the page, so text pushed off the page edge is missing here, as it is on paper.
    """
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    )
    return done.stdout.split("\f")[: pdf_page_count(pdf)]


def flat(text: str) -> str:
    """Text with hyphenated line breaks joined and every run of whitespace made one space, for phrase searches."""
    return " ".join(re.sub(r"-\n", "-", text).split())


def squeezed(text: str) -> str:
    """Text with all whitespace removed: for strings that may be wrapped anywhere."""
    return "".join(text.split())


def pdf_page_count(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def catalog(pdf: bytes) -> DictionaryObject:
    root = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"].get_object()
    assert isinstance(root, DictionaryObject)
    return root


@dataclass(frozen=True)
class Embedded:
    name: str
    relationship: str
    data: bytes


def embedded_files(pdf: bytes) -> list[Embedded]:
    """Every file in the document's EmbeddedFiles name tree, in order, with its AFRelationship."""
    tree = catalog(pdf).get("/Names")
    tree = tree.get_object().get("/EmbeddedFiles") if tree is not None else None
    names = tree.get_object().get("/Names", []) if tree is not None else []
    files = []
    for key, spec in zip(names[0::2], names[1::2], strict=True):
        spec = spec.get_object()
        files.append(
            Embedded(str(key), str(spec.get("/AFRelationship", "")), spec["/EF"]["/F"].get_object().get_data())
        )
    return files


def xmp_root(pdf: bytes) -> ET.Element:
    """The XMP metadata packet, parsed; fails if it is not well-formed XML (PDF/A requires that it is)."""
    data = cast(Any, catalog(pdf)["/Metadata"].get_object()).get_data()
    return ET.fromstring(data)


def pdfa_identification(pdf: bytes) -> tuple[str | None, str | None]:
    """``pdfaid:part`` and ``pdfaid:conformance`` from the XMP, whether written as attributes or as elements."""
    found: dict[str, str] = {}
    for element in xmp_root(pdf).iter():
        for key in ("part", "conformance"):
            if PDFAID + key in element.attrib:
                found[key] = element.attrib[PDFAID + key]
            if element.tag == PDFAID + key and element.text:
                found[key] = element.text.strip()
    return found.get("part"), found.get("conformance")


def qpdf_check(pdf: bytes, folder: Path, name: str = "checked") -> subprocess.CompletedProcess[str]:
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)


def assert_valid_pdf(pdf: bytes, folder: Path) -> None:
    """Parses with pypdf (every page's text), passes ``qpdf --check``, and keeps well-formed PDF/A-3b XMP."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.pages, "the PDF has no pages"
    for page in reader.pages:
        page.extract_text()
    check = qpdf_check(pdf, folder)
    assert check.returncode == 0, f"qpdf --check failed ({check.returncode}):\n{check.stdout}\n{check.stderr}"
    try:
        identification = pdfa_identification(pdf)
    except ET.ParseError as exc:
        raise AssertionError(f"the XMP metadata is not well-formed XML, so the PDF is not valid PDF/A: {exc}") from exc
    assert identification == ("3", "B")
