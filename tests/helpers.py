"""What tests share beside fixtures: a scripted backend and a sample of code (imported as
``helpers``: with a second ``conftest`` in tests/lsp_server, ``from conftest import`` is ambiguous)."""

from __future__ import annotations

import io
import sys
import textwrap


class Scripted:
    """A backend that answers a fresh request with ``first`` and a rewrite (init_text, the
    syntax repair) with ``fix``; it keeps every request it got."""

    name = "scripted"

    def __init__(self, first: str, fix: str = "never"):
        from engine.api import Capabilities

        self.first, self.fix, self.requests = first, fix, []
        self.capabilities = Capabilities(rewrite=True)

    def infill(self, request):
        from engine.api import Candidate, InfillResult

        self.requests.append(request)
        text = self.fix if request.init_text is not None else self.first
        return InfillResult([Candidate(text, -1.0, 3)], forward_passes=5, latency_ms=1.0)

    def count_tokens(self, text: str) -> float:
        return len(text) / 3.5      # the estimate a backend without a tokenizer gives

    def describe(self):
        return {"backend": self.name}


SAMPLE_CODE = textwrap.dedent('''
    def add(a, b):
        """Return the sum."""
        return a + b


    class Stack:
        def __init__(self):
            self.items = []

        def push(self, item):
            self.items.append(item)

        def pop(self):
            if not self.items:
                raise IndexError("pop from empty stack")
            return self.items.pop()
''')


def run_cli(argv, capsys, stdin=None, monkeypatch=None):
    """``infill ARGV`` in this process: (exit code, stdout, stderr); ``stdin`` fed through
    ``monkeypatch``."""
    from infill.cli import main

    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err
