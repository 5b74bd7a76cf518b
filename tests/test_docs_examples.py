"""Every ```python block in docs/ (and the README) runs, page by page, in one namespace per page.

A block fenced as ```python is executed; use ```text or ```console for
output or shell snippets. A page's blocks share a namespace, top to bottom,
so a worked example can build up across blocks; its asserts are the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)
README = DOCS.parent / "README.md"
PAGES = sorted(p for p in DOCS.rglob("*.md") if BLOCK.search(p.read_text(encoding="utf-8")))
PAGES.append(README)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS.parent)) for p in PAGES])
def test_page_examples_run(page: Path) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    text = page.read_text(encoding="utf-8")
    for i, match in enumerate(BLOCK.finditer(text)):
        code = match.group(1)
        line = text[: match.start()].count("\n") + 2
        compiled = compile(code, f"{page.relative_to(DOCS.parent)}:block{i}@line{line}", "exec")
        exec(compiled, namespace)


def test_docs_have_examples() -> None:
    assert PAGES, "no executable examples found in docs/"
