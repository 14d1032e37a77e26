"""Post-processing of a raw completion: small filters, applied in a fixed order.

Each filter is ``f(completion, ctx) -> str``, knows only the text and the ``GapContext``
of the gap, and is tested by golden cases in ``tests/infill/golden/postprocess``.
``postprocess`` applies them in the order of ``FILTERS``:

1. ``cut_repetition``: a degenerate loop at the end is cut first, so the later filters
   see the text the model meant;
2. ``match_indent_style``: indentation in tabs where the file indents with tabs (Go, C),
   in spaces where it uses spaces, before any filter compares indentations;
3. ``fix_indentation``: the first line is moved to a valid level (and the lines under it
   with it) before ``cut_to_scope`` judges indentation against the gap's;
4. ``cut_to_scope``: at most ``max_new_lines`` lines, none leaving the gap's scope (a closing
   ``}`` or ``end`` at the header's level is the suffix's, not the completion's);
5. ``drop_suffix_overlap``: text that repeats what follows the cursor (closing brackets on
   the cursor's line, whole lines such as a ``}`` after the gap), once the completion's end is
   known;
6. ``strip_trailing_whitespace``: per-line trailing blanks, and the final line break the
   gap needs (only a whole-line gap keeps one).

Every filter reads text and indentation only: none branches on the language.
"""

from __future__ import annotations

import re
from math import gcd
from typing import Callable

from infill.context import GapContext

DEFAULT_UNIT = "    "
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = set(_OPENERS.values())
_PUNCTUATION = set(":;,") | _CLOSERS  # what may follow a cursor and be typed again
# A line that closes or continues the block above it, so it may sit shallower than the next line
# would: "else:", "} else {", "end", "fi", ")".
_CLOSES_BLOCK = re.compile(r"^\s*(?:[)\]}]"                                          # ) ] }
                           r"|(?:else|elif|elsif|elseif|except|finally|catch|rescue|ensure)\b"
                           r"(?!\s*(?:[-+*/%|&^]?=(?!=)|[.,\[]))"                         # not a name: else = 1
                           r"|(?:end|fi|done|esac)\s*[;),]*\s*$"                          # a closer alone
                           r"|(?:case\b.*|default\s*):\s*$|when\s)")


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


# ---------------------------------------------------------------- cut_repetition


def _repeated_lines(lines: list[str], min_repeats: int, max_unit: int) -> int | None:
    """Index after the first copy of a chunk of lines repeated at the end, if any."""
    for unit in range(1, max_unit + 1):
        chunk = lines[len(lines) - unit :]
        if len(chunk) < unit or all(not line.strip() for line in chunk):
            continue
        copies, end = 1, len(lines) - unit
        while end >= unit and lines[end - unit : end] == chunk:
            copies, end = copies + 1, end - unit
        if copies >= min_repeats:
            return end + unit
    return None


def _repeated_chars(text: str, min_repeats: int, min_unit: int) -> int | None:
    """Length to keep when a chunk (with a letter in it) repeats at the end of text."""
    for unit in range(min_unit, len(text) // min_repeats + 1):
        chunk = text[len(text) - unit :]
        if not any(ch.isalpha() for ch in chunk):
            continue
        copies, end = 1, len(text) - unit
        while end >= unit and text[end - unit : end] == chunk:
            copies, end = copies + 1, end - unit
        if copies >= min_repeats:
            return end + unit
    return None


def cut_repetition(completion: str, ctx: GapContext) -> str:
    """Keep one copy of a line, a chunk of up to 4 lines, or a chunk of 3+ characters
    that ends the completion repeated 3 or more times in a row."""
    body = completion.rstrip()
    tail = completion[len(body) :]
    lines = body.split("\n")
    keep = _repeated_lines(lines, min_repeats=3, max_unit=4)
    if keep is not None:
        return "\n".join(lines[:keep]) + tail
    keep = _repeated_chars(body, min_repeats=3, min_unit=3)
    return body[:keep] + tail if keep is not None else completion


# ---------------------------------------------------------------- match_indent_style


def _step(widths: list[int], levels: int) -> int:
    """The indentation step of a text whose lines are indented by these numbers of spaces: their
    greatest common divisor; when they are all alike, the first over the ``levels`` the gap's
    indentation has (8 spaces where two tabs are due: a step of 4), else 4."""
    if len(set(widths)) == 1:
        width = widths[0]
        return width // levels if levels and width % levels == 0 else (4 if width % 4 == 0 else width)
    step = 0
    for width in widths:
        step = gcd(step, width)
    return step if step >= 2 else 4


def match_indent_style(completion: str, ctx: GapContext) -> str:
    """Indent with what the file indents with: leading spaces become tabs (one per step of the
    completion's own indentation, a remainder kept) where the file uses tabs, and leading tabs
    become the file's unit where it uses spaces. The first line is left alone when the cursor
    has text before it on its line (what follows is no indentation)."""
    tabs = ctx.indent_unit == "\t"
    lines = completion.split("\n")
    first = 1 if ctx.line_prefix.strip() else 0
    indents = [_indent_of(line) for line in lines]
    if tabs:
        widths = [len(i) for i in indents[first:] if i and set(i) == {" "}]
        if not widths:
            return completion
        step = _step(widths, len(ctx.indent) if set(ctx.indent) == {"\t"} else 0)
        moved = [ln if k < first or set(i) != {" "} else "\t" * (len(i) // step) + " " * (len(i) % step) + ln[len(i):]
                 for k, (ln, i) in enumerate(zip(lines, indents))]
    else:
        if not any("\t" in i for i in indents[first:]):
            return completion
        unit = ctx.indent_unit or DEFAULT_UNIT
        moved = [ln if k < first or "\t" not in i else i.replace("\t", unit) + ln[len(i):]
                 for k, (ln, i) in enumerate(zip(lines, indents))]
    return "\n".join(moved)


# ---------------------------------------------------------------- fix_indentation


def fix_indentation(completion: str, ctx: GapContext) -> str:
    """At a line start, move the first line to ``ctx.indent`` when its indentation is not
    plausible there (not one of ``ctx.valid_indents`` nor a whole level between the
    shallowest of them and one level deeper than the deepest);
    lines nested under it move by the same amount."""
    if ctx.line_prefix or not ctx.valid_indents:
        return completion
    lines = completion.split("\n")
    if not lines[0].strip():
        return completion
    old = _indent_of(lines[0])
    if old in ctx.valid_indents or old == ctx.indent:
        return completion
    # Whole levels up to one deeper than the deepest expected one are plausible (a file may
    # indent a block by two units); only an off-grid or far too deep indentation is fixed.
    unit = len(ctx.indent_unit) or 4
    lo, hi = min(map(len, ctx.valid_indents)), max(map(len, ctx.valid_indents))
    if lines[0].rstrip().endswith(":") or _CLOSES_BLOCK.match(lines[0]):
        lo = 0  # `elif`, `else:`, `} else {`, `end` may close deeper blocks than the next line's
    if set(old) <= {ctx.indent_unit[:1] or " "} and len(old) % unit == 0 and lo <= len(old) <= hi + unit:
        return completion
    if lo <= len(old) <= hi + unit and old in _nearby_indents(ctx):
        return completion  # off the file's grid, but lines around the gap use it (mixed-width files)
    moved = [
        ctx.indent + line[len(old) :] if line.startswith(old) and line.strip() else line
        for line in lines
    ]
    return "\n".join(moved)


def _nearby_indents(ctx: GapContext, reach: int = 20) -> set[str]:
    """Indentations of the non-blank lines within ``reach`` lines of the gap."""
    lines = ctx.prefix.split("\n")[:-1][-reach:] + ctx.suffix.split("\n")[1 : reach + 1]
    return {_indent_of(line) for line in lines if line.strip()}


# ---------------------------------------------------------------- cut_to_scope


def cut_to_scope(completion: str, ctx: GapContext) -> str:
    """At most ``ctx.max_new_lines`` lines, stopping before a line that dedents below
    ``ctx.indent`` (or below the first line, at a line start): the completion would leave
    the gap's scope. The first line is always kept. Truncated text keeps its last line
    break; ``strip_trailing_whitespace`` decides the final one."""
    lines = completion.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final line break ends a line; it does not start one
    if not lines:
        return completion
    scope = len(ctx.indent)
    if not ctx.line_prefix and lines[0].strip():  # a line start may dedent to a valid level
        scope = min(scope, len(_indent_of(lines[0])))
    keep = min(len(lines), max(ctx.max_new_lines, 1))
    for i in range(1, keep):
        line = lines[i]
        if line.strip() and len(_indent_of(line)) < scope:
            keep = i
            break
    kept = "\n".join(lines[:keep])
    return kept + "\n" if keep < len(lines) or completion.endswith("\n") else kept


# ---------------------------------------------------------------- drop_suffix_overlap


def _unclosed(text: str) -> int:
    depth = 0
    for ch in text:
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS and depth:
            depth -= 1
    return depth


def _drop_line_overlap(body: str, line_suffix: str) -> str:
    """Remove the end of body that the rest of the cursor's line starts with, when that
    end closes brackets the completion did not open, or is only punctuation."""
    for k in range(min(len(body), len(line_suffix)), 0, -1):
        overlap = line_suffix[:k]
        if "\n" in overlap or not body.endswith(overlap):
            continue
        closes = any(ch in _CLOSERS for ch in overlap)
        punctuation = set(overlap) <= _PUNCTUATION | {" "}
        if (closes or punctuation) and _unclosed(body[:-k]) <= _unclosed(body):
            return body[:-k]
    return body


def _following_lines(ctx: GapContext) -> list[str]:
    """Lines after the gap, leading blank lines skipped: from the cursor's line for a
    whole-line gap, else from the line after it."""
    lines = ctx.suffix.split("\n")
    lines = lines if ctx.whole_line else lines[1:]
    while lines and not lines[0].strip():
        lines.pop(0)
    return [line.rstrip() for line in lines]


def _drop_repeated_lines(body: str, ctx: GapContext) -> str:
    """Remove the completion's last lines when the code after the gap starts with them.
    The first line counts as a whole line only when nothing but indentation precedes it."""
    lines = [line.rstrip() for line in body.split("\n")]
    whole_first = not ctx.line_prefix.strip()
    lines[0] = ctx.line_prefix + lines[0]
    following = _following_lines(ctx)
    for start in range(0 if whole_first else 1, len(lines)):
        tail = lines[start:]
        if tail == following[: len(tail)] and any(line.strip() for line in tail):
            kept = "\n".join(body.split("\n")[:start])
            return kept + "\n" if kept and ctx.whole_line else kept
    return body


def drop_suffix_overlap(completion: str, ctx: GapContext) -> str:
    """Drop what the suffix already holds: closing brackets or punctuation that follow the
    cursor on its line, or whole lines repeating the lines that follow the gap."""
    body = completion.rstrip()
    if not body:
        return completion
    if ctx.line_suffix.strip() and not ctx.whole_line:
        trimmed = _drop_line_overlap(body, ctx.line_suffix)
        if trimmed != body:
            return trimmed
    trimmed = _drop_repeated_lines(body, ctx)
    return trimmed if trimmed != body else completion


# ---------------------------------------------------------------- strip_trailing_whitespace


def strip_trailing_whitespace(completion: str, ctx: GapContext) -> str:
    """Strip trailing blanks of each line and trailing blank lines. A whole-line gap
    (``ctx.whole_line``: text follows on the cursor's line) gets one final line break;
    any other gap gets none, as the cursor's line already has its own."""
    text = "\n".join(line.rstrip() for line in completion.split("\n")).rstrip("\n")
    if not text.strip():
        return ""
    return text + "\n" if ctx.whole_line else text


# ---------------------------------------------------------------- the pipeline

Filter = Callable[[str, GapContext], str]

FILTERS: dict[str, Filter] = {  # in the order postprocess applies them
    "cut_repetition": cut_repetition,
    "match_indent_style": match_indent_style,
    "fix_indentation": fix_indentation,
    "cut_to_scope": cut_to_scope,
    "drop_suffix_overlap": drop_suffix_overlap,
    "strip_trailing_whitespace": strip_trailing_whitespace,
}


def postprocess(completion: str, ctx: GapContext) -> str:
    """Apply every filter of FILTERS, in order."""
    for apply in FILTERS.values():
        completion = apply(completion, ctx)
    return completion
