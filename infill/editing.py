"""Editor-side helpers around ``complete``: edits that replace text, rewrites, a suggestion cache.

- ``inline_edit`` turns a completion at a cursor into a replacement of the rest of the
  cursor's line, so a client that shows ghost text over that range duplicates nothing;
- ``rewrite`` re-denoises a selection: the selected text's tokens are the canvas, a seeded
  share of them re-masked, and the candidates are ranked like ``complete``'s;
- ``SuggestionCache`` remembers the last suggestions shown per document, so typing the
  characters of a suggestion answers with the rest of it without running the model.

Offsets are in characters (code points); nothing here knows about LSP positions.
"""

from __future__ import annotations

import ast
import re
import textwrap
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Callable

from engine.api import Backend, InfillRequest

from .backends import check_language, get_backend, run_backend
from .checks import run_checks
from .scope import bound_anywhere, own_statement
from .config import InfillOptions
from .errors import InfillError, PositionError
from .languages import get_language, spec_of
from .syntax import adds_syntax_errors


# ---------------------------------------------------------------- inline edits


@dataclass(frozen=True)
class Edit:
    start: int       # replace text[start:end] (characters) ...
    end: int
    text: str        # ... with this


def line_end(text: str, offset: int) -> int:
    """Offset of the end of the line holding ``offset``, before its line break (and any "\\r")."""
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    return end - 1 if end > offset and text[end - 1] == "\r" else end


def inline_edit(text: str, offset: int, completion: str, replaced_end: int | None = None) -> Edit:
    """The completion at ``offset`` (replacing ``text[offset:replaced_end]``, nothing by
    default) as a replacement of the rest of the line.

    The rest of the line is kept after the completion (post-processing has already
    dropped what the completion would duplicate of it), so applying the edit gives the
    same text as inserting the completion, while the range tells the client which
    characters its preview covers.
    """
    replaced_end = offset if replaced_end is None else replaced_end
    end = max(line_end(text, offset), replaced_end)
    return Edit(offset, end, completion + text[replaced_end:end])


# ---------------------------------------------------------------- rewrite


@dataclass
class Rewrite:
    text: str                       # the replacement for the selection
    syntax_valid: bool              # the replacement adds no syntax error
    forward_passes: int
    latency_ms: float
    candidates: list[str] = field(default_factory=list)   # best first
    refused: str = ""               # why the selection is kept as it is ("no better rewrite: ...")

    def to_dict(self) -> dict:
        return asdict(self)


def rewrite(text: str, start: int, end: int, language: str, options: InfillOptions,
            backend: Backend | None = None, cancelled: Callable[[], bool] | None = None,
            extra_context: str = "", path: str | None = None) -> Rewrite:
    """Rewrite ``text[start:end]``: a share ``options.renoise`` of its tokens is re-masked and
    denoised again in the context of the text around it. The token count is kept. With
    ``options.checks``, only a rewrite that adds no syntax error, leaves no name unbound and
    that the model prefers to the selection is returned (``better_rewrites``); else the
    selection stays and ``refused`` says why.
    ``extra_context`` (a comment block, as for ``complete``) is put before the prefix the
    backend sees; ``path`` is the document's path as a prompt may show it (``Request.shown_path``)."""
    t0 = time.perf_counter()
    if not 0 <= start <= end <= len(text):
        raise PositionError(f"selection {start}..{end} is outside the document ({len(text)} characters)")
    if not text[start:end].strip():
        raise InfillError("there is nothing to rewrite: the selection is empty")
    if not 0.0 < options.renoise <= 1.0:
        raise InfillError("renoise must be in (0, 1]")
    get_language(language)  # fails early on an unknown language
    backend = backend or get_backend(options)
    check_language(backend, language)
    request = InfillRequest(prefix=extra_context + text[:start], suffix=text[end:], candidates=options.candidates,
                            sampler=options.sampler_config(), seed=options.seed,
                            init_text=text[start:end], renoise=options.renoise, cancelled=cancelled,
                            language=language, language_title=spec_of(language).title, path=path)
    result = run_backend(backend, request)
    before, after = text[:start], text[end:]
    scored = sorted(((not adds_syntax_errors(before, c.text, after, language), c.score, c.text)
                     for c in result.candidates), reverse=True)
    if not options.checks:   # --no-checks: the best candidate, as the model ranks it
        return Rewrite(text=scored[0][2], syntax_valid=scored[0][0], forward_passes=result.forward_passes,
                       latency_ms=(time.perf_counter() - t0) * 1000, candidates=[s[2] for s in scored])
    kept, why = better_rewrites(before, text[start:end], after, language, [s[2] for s in scored if s[0]], backend)
    latency = (time.perf_counter() - t0) * 1000
    if not kept:
        return Rewrite(text=text[start:end], syntax_valid=True, forward_passes=result.forward_passes,
                       latency_ms=latency, candidates=[], refused=f"no better rewrite: {why}")
    return Rewrite(text=kept[0], syntax_valid=True, forward_passes=result.forward_passes, latency_ms=latency,
                   candidates=kept)


def better_rewrites(before: str, original: str, after: str, language: str, candidates: list[str],
                    backend: Backend) -> tuple[list[str], str]:
    """The candidates (best first) worth offering instead of ``original``: they add no syntax
    error (the caller filtered), leave no name unbound that the original bound, echo nothing
    (``x = x``, a copy of the line beside it), change
    something but keep what the code means as far as text tells (``changed_meaning``), and,
    where the backend scores tokens, the model likes them more than the original. Also the
    reason when none is left (the best candidate's, said once)."""
    if not candidates:
        return [], "every candidate adds a syntax error"
    known = {c.reason for c in run_checks(before, original, after, language) if c.verdict == "reject"}
    distinct = [c for c in dict.fromkeys(candidates) if c.strip() != original.strip()]
    if not distinct:
        return [], "the model wrote the selection again"
    refusals = {}
    for c in distinct:
        new = [ch.reason for ch in run_checks(before, c, after, language)
               if ch.verdict == "reject" and ch.name in ("names", "compiles", "echo") and ch.reason not in known]
        refusals[c] = new[0] if new else changed_meaning(original, c, after, language)
    checked = [c for c in distinct if not refusals[c]]
    if not checked:
        return [], refusals[distinct[0]]
    if not backend.capabilities.token_scoring:
        return checked, ""
    scores = backend.likelihood(before, after, [original, *checked])
    if scores[0] == float("-inf"):           # too long to score: the model's preference is unknown
        return checked, ""
    better = [c for c, s in sorted(zip(checked, scores[1:]), key=lambda p: -p[1]) if s > scores[0]]
    return better, ("" if better else "the model prefers the selection as it is")


# What a rewrite must keep of the selection. Strings first, so a comment marker inside one is
# no comment; numbers as the tokenizer of most languages reads them (1, 0x1F, 1.5e3, 10L).
_STRING = r"(?P<s>[rbfuRBFU]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`[^`]*`))"
_NUMBER = r"(?P<n>(?<![\w.])\.?\d[\w.]*)"
_KEPT_KEYWORDS = ("return", "for", "while")   # a statement whose loss changes what the code does


@lru_cache(maxsize=16)
def _lexer(comment: str) -> re.Pattern:
    return re.compile("|".join([_STRING, *([f"(?P<c>{re.escape(comment)}.*)"] if comment else []), _NUMBER]))


def _code_and_literals(text: str, language: str) -> tuple[str, list[str]]:
    """(the code with strings and comments blanked, the string and number literals in order)."""
    literals: list[str] = []

    def blank(m: re.Match) -> str:
        if m.lastgroup in ("s", "n"):
            literals.append(m.group(0))
        return " " if m.lastgroup != "n" else m.group(0)

    return _lexer(spec_of(language).line_comment).sub(blank, text), literals


def changed_meaning(original: str, candidate: str, after: str, language: str) -> str:
    """Why ``candidate`` changes what ``original`` does in ways a reader would not call a rewrite
    (empty when it does not): a literal of the selection replaced by another (``"no"`` by
    ``"1"`` inverts a flag and still compiles), a new one added or one dropped, a ``return`` or loop of the selection gone, a
    name the selection binds and the rest of its top-level statement reads no longer bound, a
    name, attribute or keyword of the selection gone or a new one added (a local name renamed
    excepted), an operator changed. What is left to offer keeps the selection's words and
    operators: their order and brackets may change, not only the spacing."""
    code, literals = _code_and_literals(original, language)
    new_code, new_literals = _code_and_literals(candidate, language)
    gone, added = Counter(literals) - Counter(new_literals), Counter(new_literals) - Counter(literals)
    if gone and added:
        return f"the rewrite changes the literal {next(iter(gone))} to {next(iter(added))}"
    if added:                       # `x % y` -> `x % 2`: a constant where the selection had a name
        return f"the rewrite adds the literal {next(iter(added))}"
    for keyword in _KEPT_KEYWORDS:
        word = re.compile(rf"\b{keyword}\b")
        if len(word.findall(new_code)) < len(word.findall(code)):
            return f"the rewrite drops a `{keyword}` of the selection"
    rest_code, _ = _code_and_literals(own_statement("", after)[1], language)
    read_after = set(re.findall(r"(?<![\w.])[A-Za-z_]\w*", rest_code))
    lost = sorted((bound_anywhere(code) - bound_anywhere(new_code)) & read_after)
    if lost:
        return f"the rewrite no longer binds `{lost[0]}`, which the code after it reads"
    if gone:                        # `self.token = ''` -> `self.token = None`
        return f"the rewrite drops the literal {next(iter(gone))}"
    if "".join(original.split()) == "".join(candidate.split()):
        return "the rewrite changes only the spacing"
    return _changed_words(code, new_code, read_after) or _changed_operators(code, new_code)


_WORD = re.compile(r"(?<!\w)[A-Za-z_]\w*")
_OPERATOR = re.compile(r"\*\*=?|//=?|<<=?|>>=?|->|:=|[-+*/%&|^@<>!=]=?|~")


def _changed_words(code: str, new_code: str, read_after: set[str]) -> str:
    """A name, attribute or keyword of the selection gone, or one it did not have added
    (``_remove_action`` for ``_add_action``, ``self.type`` written twice and ``self.default``
    no more, ``sorted(data)`` for ``len(data)``); a name the selection binds and nothing after it
    reads may be renamed (one gone for one added)."""
    old_words, new_words = Counter(_WORD.findall(code)), Counter(_WORD.findall(new_code))
    gone, added = old_words - new_words, new_words - old_words
    local = _stored_names(code) - read_after
    renamed = bool(gone) and set(gone) <= local and set(added) <= _stored_names(new_code) \
        and sum(gone.values()) == sum(added.values()) \
        and all(gone[w] == old_words[w] for w in gone) and not set(added) & set(old_words)   # new names, all of the old gone
    if (gone or added) and not renamed:
        return (f"the rewrite drops `{next(iter(gone))}`" if gone else f"the rewrite adds `{next(iter(added))}`")
    return ""


def _stored_names(code: str) -> set[str]:
    """The plain names ``code`` assigns (not attributes, not subscripts), where it parses alone;
    none where it does not. A selection starts after its first line's indentation: that line is
    tried at the indentation of the next ones, and one level out (it opens their block)."""
    first, *rest = code.split("\n")
    depth = min((len(ln) - len(ln.lstrip()) for ln in rest if ln.strip()), default=0)
    for indent in dict.fromkeys((depth, max(0, depth - 4))):
        try:
            tree = ast.parse(textwrap.dedent("\n".join([" " * indent + first.lstrip(), *rest])))
        except (SyntaxError, ValueError):
            continue
        return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return set()


def _changed_operators(code: str, new_code: str) -> str:
    """An operator of the selection replaced, dropped or added (``na * x`` -> ``na // x``)."""
    old_ops, new_ops = Counter(_OPERATOR.findall(code)), Counter(_OPERATOR.findall(new_code))
    if old_ops != new_ops:
        gone, added = old_ops - new_ops, new_ops - old_ops
        return ("the rewrite changes the operator " + (f"`{next(iter(gone))}`" if gone else "")
                + (" to " if gone and added else "") + (f"`{next(iter(added))}`" if added else "")).rstrip()
    return ""


# ---------------------------------------------------------------- suggestion cache


@dataclass
class _Shown:
    before: str                     # document text before the cursor when shown
    after: str                      # document text after the cursor when shown
    suggestions: list[str]          # best first


class SuggestionCache:
    """The last suggestions shown for each document (by key), answered again while the user
    types them: same text after the cursor, and the typed characters start a suggestion."""

    def __init__(self, max_documents: int = 64):
        self.max_documents = max_documents
        self._shown: dict[str, _Shown] = {}

    def remember(self, key: str, text: str, offset: int, suggestions: list[str]) -> None:
        suggestions = [s for s in suggestions if s]
        if not suggestions:
            self._shown.pop(key, None)
            return
        self._shown.pop(key, None)
        self._shown[key] = _Shown(text[:offset], text[offset:], suggestions)
        while len(self._shown) > self.max_documents:
            self._shown.pop(next(iter(self._shown)))

    def lookup(self, key: str, text: str, offset: int) -> list[str] | None:
        """What remains of the shown suggestions after the characters typed since, or None."""
        shown = self._shown.get(key)
        if shown is None or text[offset:] != shown.after or not text.startswith(shown.before):
            return None
        if len(shown.before) > offset:
            return None
        typed = text[len(shown.before):offset]
        rest = [s[len(typed):] for s in shown.suggestions if s.startswith(typed) and len(s) > len(typed)]
        return rest or None

    def forget(self, key: str) -> None:
        self._shown.pop(key, None)
