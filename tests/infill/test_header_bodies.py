"""A completion that ends in a block header with no body gets the body from a second request."""

from dataclasses import replace

import pytest

from helpers import Scripted
from infill.complete import complete
from infill.rescue import header_follow as _header_follow
from infill.config import InfillOptions

BODY_GAP = "def total(xs):\n    t = 0\n    return t\n"
AT_RETURN = BODY_GAP.index("    return")          # column 0 of a non-blank line: whole lines go here


class InTurn(Scripted):
    """Answers fresh requests with ``answers`` in turn (the last one from then on)."""

    def __init__(self, *answers: str):
        super().__init__(answers[0])
        self.answers = list(answers)

    def infill(self, request):
        self.first = self.answers[min(len(self.requests), len(self.answers) - 1)]
        return super().infill(request)


OPTIONS = InfillOptions(max_lines=0, repair=0, resample=0)


def test_a_dangling_header_gets_its_body():
    backend = InTurn("    for x in xs:\n", "        t += x\n")
    result = complete(BODY_GAP, AT_RETURN, "python", OPTIONS, backend=backend)
    assert result.text == "    for x in xs:\n        t += x\n"
    assert result.syntax_valid and result.forward_passes == 10 and len(backend.requests) == 2
    # The second request is the document with the header in it, the cursor on the next line.
    assert backend.requests[1].prefix.endswith("    t = 0\n    for x in xs:\n")
    assert backend.requests[1].suffix.startswith("    return t")


def test_nested_headers_get_bodies_up_to_the_limit():
    backend = InTurn("    for x in xs:\n", "        if x:\n", "            t += x\n")
    result = complete(BODY_GAP, AT_RETURN, "python", OPTIONS, backend=backend)
    assert result.text == "    for x in xs:\n        if x:\n            t += x\n"
    backend = InTurn("    for x in xs:\n", "        if x:\n", "            t += x\n")
    one = replace(OPTIONS, header_bodies=1)          # one body, though it is a header again
    result = complete(BODY_GAP, AT_RETURN, "python", one, backend=backend)
    assert result.text == "    for x in xs:\n        if x:\n" and len(backend.requests) == 2
    backend = InTurn("    for x in xs:\n", "        t += x\n")
    off = replace(OPTIONS, header_bodies=0)
    assert complete(BODY_GAP, AT_RETURN, "python", off, backend=backend).text == "    for x in xs:\n"


def test_a_cursor_in_a_blank_lines_indentation_gets_the_body_on_the_next_line():
    text = "def total(xs):\n    t = 0\n    \n    return t\n"
    cursor = text.index("    \n") + 4
    backend = InTurn("    for x in xs:", "        t += x\n")
    result = complete(text, cursor, "python", OPTIONS, backend=backend)
    assert result.text == "for x in xs:\n        t += x"
    assert text[:cursor] + result.text + text[cursor:] == \
        "def total(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n"


@pytest.mark.parametrize("options, language, first", [
    (InfillOptions(max_lines=0, repair=0, resample=0, steps=6), "python", "    for x in xs:\n"),   # a pass budget
    (InfillOptions(max_lines=1, repair=0, resample=0), "python", "    for x in xs:\n"),  # one line allowed
    (OPTIONS, "python", "    t += 1\n"),                                               # not a header
    (OPTIONS, "python", "    t += 1  # note:\n"),                                      # a comment's colon
])
def test_no_second_request(options, language, first):
    backend = InTurn(first, "        t += x\n")
    result = complete(BODY_GAP, AT_RETURN, language, options, backend=backend)
    assert result.text == first and len(backend.requests) == 1


def test_a_body_that_breaks_the_code_is_not_kept():
    backend = InTurn("    for x in xs:\n", "        t += (x\n")
    result = complete(BODY_GAP, AT_RETURN, "python", OPTIONS, backend=backend)
    assert result.text == "    for x in xs:\n" and len(backend.requests) == 2
    assert not result.syntax_valid          # a header with no block, said so


def test_a_header_that_cannot_get_a_body_is_broken_and_resampled():
    """One line allowed: ``for x in xs:`` before a dedent is a syntax error (CPython's, which
    tree-sitter lets through), so the repair and then a fresh batch are tried."""
    backend = InTurn("    for x in xs:\n", "    t = sum(xs)\n")
    backend.fix = "    for x in xs:\n"                                     # the repair changes nothing
    options = InfillOptions(candidates=1, max_lines=1, repair=1, resample=4)
    result = complete(BODY_GAP, AT_RETURN, "python", options, backend=backend)
    assert result.text == "    t = sum(xs)\n" and result.syntax_valid
    assert [r.candidates for r in backend.requests] == [1, 1, 4]
    assert backend.requests[1].init_text == "    for x in xs:\n"      # the repair saw the header


def test_header_follow_sees_a_block_that_is_already_there():
    assert _header_follow("def f(xs):\n", "    for x in xs:\n", "        g(x)\n", "python") is None
    assert _header_follow("def f(xs):\n", "    for x in xs:\n", "\n\n    g(x)\n", "python") is not None
    assert _header_follow("def f(xs):\n", "    for x in xs:", "  # why\n", "python") is None
    assert _header_follow("f(", "a:", ")\n", "javascript") is None
    assert _header_follow("def f():\n", "    d = {'a':", "\n", "python") is None
    doc, at, sep = _header_follow("def f(xs):\n    ", "for x in xs:", "", "python")
    assert (doc, at, sep) == ("def f(xs):\n    for x in xs:\n", len(doc), "\n")


def test_a_header_that_gets_its_body_next_is_not_resampled():
    """With header bodies to come, ``for x in xs:`` alone is not broken: no repair, no
    fresh batch, only the body's request."""
    backend = InTurn("    for x in xs:\n", "        t += x\n")
    result = complete(BODY_GAP, AT_RETURN, "python", InfillOptions(candidates=1, max_lines=0), backend=backend)
    assert result.text == "    for x in xs:\n        t += x\n" and result.syntax_valid
    assert [r.candidates for r in backend.requests] == [1, 1] and backend.requests[1].init_text is None
