"""The order of the names valid at a cursor: which of them the gap most likely starts with.

``names.rank`` keeps the best ``LIMIT`` of what an analysis found, and the first few become
drafts the model completes (``naming.name_drafts``), so the order decides whether the right
name is among the judged. It is a linear score over features of a name at the cursor, fitted
listwise (softmax over a gap's names, the name the code really had as the label) on gaps cut
from the training corpus at the slots the server sees (after ``=``, ``return``, ``(``, ``.``,
``if``): ``python -m training.name_rank`` writes the weights to ``infill/data/name_rank.json``.
A missing or unreadable file gives the hand-set weights below (the order before the fit).

The features of a name, read from the text around the cursor in one pass over a window
(``Context``): how often it occurs near and close to the cursor, after the same receiver, in
the enclosing function before the cursor (and whether once: a value bound and not yet used),
in the lines just above and on the cursor's line, how recently, after the cursor; which names
follow the same one or two tokens elsewhere in the window and the file (``left1``, ``left2``);
the share of its words in what the value is bound to (``target_words``: ``timeout=`` or, after
``return``, the function's name); its shape (private, dunder, CONSTANT, Class, length) and what
the analysis says it is (its kind, apart for member slots; a class or function after ``=``). A
name that occurs nowhere in the window differs from another only by its shape and kind, so a
module of 10,000 names costs a dictionary lookup each.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

WEIGHTS_FILE = Path(__file__).with_name("data") / "name_rank.json"

NEAR = (3000, 1000)        # characters before and after the cursor whose names count as near ...
CLOSE = (600, 300)         # ... and close
FILE_CHARS = 50_000        # ... and how far either way the names after the same tokens are counted
LINE_CHARS = 400           # the cursor's line is read this far back at most (a minified file is one line)
SCOPE_CHARS = 6000         # how far back the enclosing function is looked for
RECENT_LINES = 20.0        # the decay, in lines, of ``recent``

KINDS = ("param", "statement", "builtin", "module", "class", "function", "instance", "property",
         "attribute", "import", "definition")
DYNAMIC = ("near", "close", "member", "scope", "scope_once", "above", "same_line", "recent", "after",
           "left1", "left2", "left1_file", "left2_file")
STATIC = ("private", "dunder", "constant", "capitalised", "log_length", "target_words")
FEATURES = DYNAMIC + STATIC + tuple(f"kind_{k}" for k in KINDS) + tuple(f"member_kind_{k}" for k in KINDS) \
    + ("member_near", "member_close", "callable_after_eq")

# The order before the fit (near + close + 2 x member, parameters +1.5, statements +0.5,
# builtins -1.5, dunders -3, private -1): the fallback when the fitted file is missing.
HAND_SET = {"near": 1.0, "close": 1.0, "member": 2.0, "kind_param": 1.5, "kind_statement": 0.5,
            "kind_builtin": -1.5, "member_kind_param": 1.5, "member_kind_statement": 0.5,
            "member_kind_builtin": -1.5, "dunder": -3.0, "private": -1.0}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|[0-9][A-Za-z_0-9.]*|[^\sA-Za-z_0-9]")
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
# What a value is bound to on the cursor's line: ``timeout=config.``, ``self.url = ``,
# ``timeout: float = ``.
_TARGET = re.compile(r"([A-Za-z_][A-Za-z_0-9]*)(?:[ \t]*:[ \t]*[A-Za-z_][A-Za-z_0-9.\[\], |]*?)?"
                     r"[ \t]*=[ \t]*(?:[A-Za-z_][A-Za-z_0-9.]*\.)?$")
_RETURN = re.compile(r"(?:^|[^\w.])return[ \t]+(?:[A-Za-z_][A-Za-z_0-9.]*\.)?$")
_BLOCK = re.compile(r"(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_][A-Za-z_0-9]*)")
_CALLABLE = frozenset({"class", "function"})

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def weights() -> dict[str, float]:
    """The fitted weights (``name_rank.json``), or ``HAND_SET`` where the file is missing or
    unreadable (with one warning)."""
    try:
        data = json.loads(WEIGHTS_FILE.read_text())
        return {k: float(v) for k, v in data["weights"].items() if k in FEATURES}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("name ranking weights unreadable (%s): using the hand-set order", exc)
        return dict(HAND_SET)


class Context:
    """What the text around one cursor says about names, read once per request."""

    def __init__(self, text: str, offset: int, member: bool, receiver_counts: Counter, partial: str = ""):
        lo, hi = max(0, offset - NEAR[0]), offset + NEAR[1]
        at = offset - len(partial)
        self.member = member
        self.near = Counter(_IDENT.findall(text, lo, hi))
        self.close = Counter(_IDENT.findall(text, max(0, offset - CLOSE[0]), offset + CLOSE[1]))
        self.after = Counter(_IDENT.findall(text, offset, offset + CLOSE[1]))
        self.receiver = receiver_counts
        line_start = max(text.rfind("\n", max(0, at - LINE_CHARS), at) + 1, at - LINE_CHARS, 0)
        self.same_line = set(_IDENT.findall(text, line_start, at))
        above = line_start
        for _ in range(3):
            above = text.rfind("\n", 0, max(0, above - 1)) + 1 if above > 0 else 0
        self.above = set(_IDENT.findall(text, above, line_start))
        # Lines since each name's last occurrence before the cursor, within the near window.
        self.recent: dict[str, float] = {}
        line = text.count("\n", lo, at)
        row = 0
        pos = lo
        for m in _IDENT.finditer(text, lo, at):
            row += text.count("\n", pos, m.start())
            pos = m.start()
            self.recent[m.group(0)] = float(line - row)
        scope_start, function = self._scope_start(text, line_start, at)
        self.scope = Counter(_IDENT.findall(text, scope_start, at))
        line_text = text[line_start:at]
        before = line_text.rstrip()
        self.after_eq = before.endswith("=") and not before.endswith(("==", "!=", "<=", ">="))
        # The words of what the value is bound to: ``timeout=`` / ``url = `` on the line, or
        # after ``return`` the function's own name (``get_timeout``).
        target = _TARGET.search(line_text)
        self.target = words(target.group(1)) if target else frozenset()
        self.own = ""                # the function's own name: what it returns is not itself
        if not target and _RETURN.search(line_text):
            self.target, self.own = words(function), function
        # The names that follow the same one or two tokens as the cursor elsewhere in the
        # window (``isinstance(`` -> what else was passed first to it; ``return``, ``if``).
        tokens = _TOKEN.findall(before)
        near, wide = (lo, hi), (max(0, offset - FILE_CHARS), offset + FILE_CHARS)
        self.left1 = self._following(text, tokens[-1:], near, at, line_start)
        self.left2 = self._following(text, tokens[-2:], near, at, line_start)
        self.left1_file = self._following(text, tokens[-1:], wide, at, line_start)
        self.left2_file = self._following(text, tokens[-2:], wide, at, line_start)

    @staticmethod
    def _following(text: str, tokens: list[str], window: tuple[int, int], at: int, line_start: int) -> Counter:
        """The names right after ``tokens`` in ``text[window]``, but the one the gap starts with."""
        lo, hi = window
        if not tokens:
            return Counter()
        head = r"(?<![\w.])" if tokens[0][0].isalnum() or tokens[0][0] == "_" else ""
        pattern = re.compile(head + r"\s*".join(map(re.escape, tokens)) + r"[ \t]*([A-Za-z_][A-Za-z_0-9]*)")
        out = Counter(pattern.findall(text, lo, hi))
        for here in pattern.finditer(text, max(lo, line_start), min(hi, at + 200)):
            if here.start(1) >= at and not text[at:here.start(1)].strip():   # the text after the cursor
                out[here.group(1)] -= 1
                if out[here.group(1)] <= 0:
                    del out[here.group(1)]
        return out

    @staticmethod
    def _scope_start(text: str, line_start: int, at: int) -> tuple[int, str]:
        """Where the function around the cursor starts and its name: up from the cursor's line,
        the first ``def`` (or ``class``: a class body, no name) each line of which is indented
        less than the line below it; a top-level statement ends the search there; the window's
        start and "" when none is within ``SCOPE_CHARS``."""
        line = text[line_start:at]
        indent = len(line) - len(line.lstrip(" \t"))
        lo = max(0, line_start - SCOPE_CHARS)
        pos = line_start
        while pos > lo and indent > 0:
            start = text.rfind("\n", lo, pos - 1) + 1
            row = text[start:pos - 1]
            pos = start
            code = row.lstrip(" \t")
            if not code or code.startswith(("#", ")", "]", "}")):
                continue
            depth = len(row) - len(code)
            if depth >= indent:
                continue
            block = _BLOCK.match(code)
            if block:
                return start, block.group(2) if block.group(1) == "def" else ""
            if depth == 0:
                return start, ""
            indent = depth
        return lo, ""

    def dynamic(self, name: str) -> dict[str, float]:
        """The features of a name that depend on where it occurs (all 0 when it occurs nowhere)."""
        near, close = self.near.get(name, 0), self.close.get(name, 0)
        scope = self.scope.get(name, 0)
        lines = self.recent.get(name)
        out = {
            "near": math.log1p(near), "close": math.log1p(close), "member": math.log1p(self.receiver.get(name, 0)),
            "scope": math.log1p(scope), "scope_once": float(scope == 1), "above": float(name in self.above),
            "same_line": float(name in self.same_line),
            "recent": math.exp(-lines / RECENT_LINES) if lines is not None else 0.0,
            "after": math.log1p(self.after.get(name, 0)),
            "left1": math.log1p(self.left1.get(name, 0)), "left2": math.log1p(self.left2.get(name, 0)),
            "left1_file": math.log1p(self.left1_file.get(name, 0)),
            "left2_file": math.log1p(self.left2_file.get(name, 0)),
        }
        if self.member:
            out["member_near"], out["member_close"] = out["near"], out["close"]
        return out

    def occurs(self, name: str) -> bool:
        return name in self.near or name in self.receiver or name in self.left1_file


def words(name: str) -> frozenset[str]:
    """The lower-case words of a name (``DEFAULT_TIMEOUT_SECONDS``, ``maxRetries``), two letters or more."""
    return frozenset(w.lower() for w in _WORD.findall(name) if len(w) > 1)


def target_share(name: str, target: frozenset[str]) -> float:
    """The share of the bound name's words the name has (``timeout`` and ``DEFAULT_TIMEOUT_SECONDS``: 1)."""
    return len(words(name) & target) / len(target) if target else 0.0


def static(name: str, kind: str, member: bool, partial: str, after_eq: bool = False,
           target: frozenset[str] = frozenset(), own: str = "") -> dict[str, float]:
    """The features of a name from its shape and kind alone."""
    dunder = name.startswith("__") and name.endswith("__")
    core = name.strip("_")
    out = {"private": float(name.startswith("_") and not dunder and not partial.startswith("_")),
           "dunder": float(dunder),
           "constant": float(len(core) > 1 and core.isupper()),
           "capitalised": float(core[:1].isupper() and not core.isupper()),
           "log_length": math.log(len(name))}
    if kind in KINDS:
        out[("member_kind_" if member else "kind_") + kind] = 1.0
    if after_eq and kind in _CALLABLE:
        out["callable_after_eq"] = 1.0
    share = target_share(name, target) if name != own else 0.0
    if share:
        out["target_words"] = share
    return out


def features(name: str, kind: str, ctx: Context, partial: str = "") -> dict[str, float]:
    """Every feature of one name at the cursor ``ctx`` describes (the fit reads these)."""
    out = static(name, kind, ctx.member, partial, ctx.after_eq, ctx.target, ctx.own)
    if ctx.occurs(name):
        out.update(ctx.dynamic(name))
    return out


def score(feats: dict[str, float], w: dict[str, float]) -> float:
    return sum(w.get(k, 0.0) * v for k, v in feats.items())


class Scorer:
    """``score(features(...))`` for many names at one cursor, fast: the shape and kind terms
    read straight from the weights, the rest only for names that occur around the cursor."""

    def __init__(self, ctx: Context, partial: str = "", w: dict[str, float] | None = None):
        self.ctx, self.partial = ctx, partial
        self.w = weights() if w is None else w
        prefix = "member_kind_" if ctx.member else "kind_"
        self.kind_w = {k: self.w.get(prefix + k, 0.0) for k in KINDS}
        self.callable_eq = self.w.get("callable_after_eq", 0.0) if ctx.after_eq else 0.0
        self.dunder, self.private = self.w.get("dunder", 0.0), self.w.get("private", 0.0)
        self.constant, self.capitalised = self.w.get("constant", 0.0), self.w.get("capitalised", 0.0)
        self.length = self.w.get("log_length", 0.0)
        self.target_w = self.w.get("target_words", 0.0)

    def __call__(self, name: str, kind: str) -> float:
        s = self.kind_w.get(kind, 0.0)
        if kind in _CALLABLE:
            s += self.callable_eq
        if name[0] == "_":
            if name.startswith("__") and name.endswith("__"):
                s += self.dunder
            elif not self.partial.startswith("_"):
                s += self.private
        core = name.strip("_")
        if core.isupper():
            if len(core) > 1:
                s += self.constant
        elif core[:1].isupper():
            s += self.capitalised
        s += self.length * math.log(len(name))
        if self.target_w and self.ctx.target and name != self.ctx.own:
            s += self.target_w * target_share(name, self.ctx.target)
        if self.ctx.occurs(name):
            s += score(self.ctx.dynamic(name), self.w)
        return s
