"""A newcomer's clone has everything the README and docs point to: no link leaves the repository."""

import re

from tests.conftest import ROOT

LINK = re.compile(r"\]\(([^)#\s]+)[^)]*\)|`((?:\.\./|docs/|deploy/|apps/|templates/|tests/|bench/)[\w./-]+)`")


def test_the_readme_and_docs_point_only_inside_the_repository():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text()
        assert "../shared" not in text and "/work/" not in text, doc.name
        for match in LINK.finditer(text):
            target = match.group(1) or match.group(2)
            if re.match(r"[a-z]+:", target) or "<" in target or "*" in target:
                continue  # an external address, or a pattern
            path = (doc.parent / target).resolve() if match.group(1) else (ROOT / target).resolve()
            assert path.is_relative_to(ROOT), f"{doc.name} points outside the repository: {target}"
            assert path.exists(), f"{doc.name} points to {target}, which is not in the repository"


def test_the_docs_a_contributor_needs_are_here():
    for name in ["architecture.md", "style.md", "personal-data-map.md", "proofs.md", "decisions.md"]:
        assert (ROOT / "docs" / name).exists()
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    assert "The deletion notice" in architecture and "crypto-shred" in architecture
