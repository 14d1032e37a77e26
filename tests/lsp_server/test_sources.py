"""lsp_server.sources: type checks cached per version, the syntax-error fallback, time bounds,
the context gathered only when used, and the workspace root of a document."""

from __future__ import annotations

import time

import pytest

from infill.config import InfillOptions
from infill.sources.diagnostics import mypy_available
from lsp_server.sources import Sources, TypeChecks, request_context, workspace_root

pytestmark = pytest.mark.skipif(not mypy_available(), reason="mypy is not installed")

TYPED = "def f(x: int) -> str:\n    return x\n"


@pytest.mark.asyncio
async def test_checks_are_cached_per_version_and_stand_in_for_syntax_errors():
    checks = TypeChecks()
    first = await checks.problems("file:///a.py", 1, TYPED, "python", 30)
    assert [(p.line, p.code) for p in first] == [(1, "return-value")]
    t0 = time.perf_counter()
    assert await checks.problems("file:///a.py", 1, "ignored: cached by version", "python", 30) == first
    assert time.perf_counter() - t0 < 0.05
    typing = TYPED + "def g(:\n"                                  # a syntax error while typing
    assert await checks.problems("file:///a.py", 2, typing, "python", 30) == first   # the last good result
    assert await checks.problems("file:///b.py", 1, typing, "python", 30) == []      # none for a new document
    assert await checks.problems("file:///c.py", 1, TYPED, "python", 0.001) == []     # past its time: nothing
    checks.forget("file:///a.py")
    assert not [k for k in checks.results if k[0] == "file:///a.py"]


@pytest.mark.asyncio
async def test_context_is_gathered_only_when_used():
    sources = Sources()
    assert await request_context(sources, "k", "file:///r.py", 1, TYPED, 10, "python", None,
                                 InfillOptions()) == (None,)
    on = InfillOptions(context_in_prompt=True)
    (context,) = await request_context(sources, "k", "file:///r.py", 1, TYPED, len(TYPED) - 1, "python", None, on)
    assert context.function.name == "f" and context.prompt(TYPED, "python").startswith("# type error: line 2 `return x`")


def test_workspace_root_is_the_innermost_folder_holding_the_document():
    folders = ["/ws", "/ws/pkg", "/other"]
    assert workspace_root("file:///ws/pkg/m.py", folders, "/root") == "/ws/pkg"
    assert workspace_root("file:///elsewhere/m.py", folders, "/root") == "/root"
    assert workspace_root("untitled:1", folders, None) is None
