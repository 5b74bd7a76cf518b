"""The glossary covers every term in the headings of the domain brief."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ROOT.parent / "shared" / "DOMAIN.md"
GLOSSARY = ROOT / "docs" / "glossary.md"


def heading_terms(text: str) -> list[str]:
    terms: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            continue
        for inner in re.findall(r"\(([^)]*)\)", line):
            terms += [
                t.strip() for t in re.split(r"[/,]", inner) if re.search(r"[\u4e00-\u9fff]", t)
            ]
    return terms


@pytest.mark.skipif(not DOMAIN.exists(), reason="../shared/DOMAIN.md is not beside the repo")
def test_every_heading_term_is_in_the_glossary() -> None:
    glossary = GLOSSARY.read_text(encoding="utf-8")
    terms = heading_terms(DOMAIN.read_text(encoding="utf-8"))
    assert len(terms) >= 15
    missing = [t for t in terms if t not in glossary]
    assert not missing, f"glossary lacks: {missing}"


def test_glossary_names_exist() -> None:
    import importlib

    glossary = GLOSSARY.read_text(encoding="utf-8")
    for dotted in sorted(set(re.findall(r"`(sirui(?:\.\w+)+)`", glossary))):
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ModuleNotFoundError:
                continue
            for attr in parts[i:]:
                obj = getattr(obj, attr)
            break
        else:
            pytest.fail(f"{dotted} does not resolve")
