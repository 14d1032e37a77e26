"""The docs and the code agree: the option tables are the dataclasses', the README's links and
flags exist, and the README stays a page for users."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from infill.config import InfillOptions, option_table
from lsp_server.options import server_option_table

ROOT = Path(__file__).resolve().parents[1]


def between(text: str, start: str, end: str) -> str:
    a = text.index(start)
    return text[text.index("\n", a) + 1:text.index(end, a)]


def test_the_option_tables_are_generated_from_the_dataclasses():
    doc = (ROOT / "docs" / "configuration.md").read_text()
    assert between(doc, "<!-- options:", "<!-- /options -->") == option_table(), \
        "docs/configuration.md is stale: paste the output of `python -m infill.config`"
    assert between(doc, "<!-- server options:", "<!-- /server options -->") == server_option_table()


def test_every_option_has_a_meaning():
    for line in option_table().splitlines()[2:]:
        assert line.rstrip(" |").rsplit("|", 1)[-1].strip(), line


def test_the_readme_flags_and_links_exist():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 200
    flags = {"--" + f.name.replace("_", "-") for f in fields(InfillOptions)}
    flags |= {"--no-" + f.name.replace("_", "-") for f in fields(InfillOptions) if f.type == "bool"}
    section = between(readme, "## Options people change", "\n## ")
    used = set(re.findall(r"`(--[a-z-]+)", section)) | set(re.findall(r", `(--[a-z-]+)`", section))
    assert used and used <= flags, used - flags
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target


def test_the_docs_link_to_what_exists():
    for doc in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#]+)\)", doc.read_text()):
            if not target.startswith("http"):
                assert (doc.parent / target).exists(), f"{doc.name}: {target}"
