"""The one entry point editors and bots call: a document and a cursor in, a completion out.

``complete`` runs the straight path: ``context.extract`` (tree-sitter window, budgets, gap
kind) -> backend ``infill`` (K candidates in one batch) -> ``postprocess`` filters ->
syntax verification (candidates that add ERROR/MISSING nodes, or that CPython's compiler
rejects, are rejected) -> repair of the best one (its broken tokens re-masked) -> if it is
still broken, a fresh sampled batch (``resample``) -> the best remaining candidate by model
score.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import Callable

from engine.backend import Backend, InfillRequest, InfillResult, RequestCancelled, load_backend
from engine.errors import EngineError

from .config import InfillOptions
from .context import extract
from .errors import Cancelled, InfillError
from .gaps import leading_ws
from .postprocess import postprocess
from .syntax import adds_syntax_errors, completion_error_spans


@dataclass
class Completion:
    text: str                       # the text to insert at the cursor
    gap_kind: str
    syntax_valid: bool              # the chosen text adds no syntax error
    forward_passes: int             # canvas forward passes spent
    tokens: int                     # tokens committed for the chosen candidate
    latency_ms: float
    candidates: list[str] = field(default_factory=list)   # all post-processed candidates, best first
    votes: list[int] = field(default_factory=list)        # how many of the K rows gave each candidate
    rejected: int = 0               # candidates rejected by syntax verification

    def to_dict(self) -> dict:
        return asdict(self)


_BACKENDS: dict[tuple, Backend] = {}


def get_backend(options: InfillOptions) -> Backend:
    """Load (once per model, thread count and backend options) the backend the options name."""
    extra = options.backend_options()
    key = (options.model, options.threads, *sorted(extra.items()))
    if key not in _BACKENDS:
        try:
            _BACKENDS[key] = load_backend(options.model, threads=options.threads, **extra)
        except EngineError as exc:
            raise InfillError(str(exc)) from exc
    return _BACKENDS[key]


def run_backend(backend: Backend, request: InfillRequest) -> InfillResult:
    """``backend.infill`` with engine errors turned into infill's: ``Cancelled`` or ``InfillError``."""
    try:
        return backend.infill(request)
    except RequestCancelled as exc:
        raise Cancelled(str(exc)) from exc
    except EngineError as exc:
        raise InfillError(str(exc)) from exc


def complete(text: str, offset: int, language: str, options: InfillOptions,
             backend: Backend | None = None, cancelled: Callable[[], bool] | None = None,
             extra_context: str = "") -> Completion:
    """Fill the gap at ``offset`` (characters) of ``text``.

    ``cancelled`` is polled before each forward pass; when it returns True the request
    stops with ``Cancelled``. ``extra_context`` (e.g. a comment block of type errors and
    failing tests, ``infill.diagnostics``) is put before the prefix the backend sees; the
    document, post-processing and verification do not see it.

    A completion that ends in a Python block header with no body after it (``for x in
    xs:`` and then the code after the gap, not indented deeper) gets its body from a second
    request at the start of the next line, up to ``HEADER_BODIES`` times, while the gap's
    line budget allows and no pass budget (``options.steps``) is set; the joined text is
    kept only if it adds no syntax error.
    """
    t0 = time.perf_counter()
    backend = backend or get_backend(options)
    follows = HEADER_BODIES if not options.steps else 0
    done, max_lines = _complete_once(text, offset, language, options, backend, cancelled, extra_context,
                                     follows > 0)
    before, after = text[:offset], text[offset:]
    for _ in range(follows):
        follow = _header_follow(before, done.text, after, language)
        lines_left = max_lines - done.text.rstrip("\n").count("\n") - 1
        if follow is None or lines_left < 1:
            break
        doc, at, sep = follow
        more, _ = _complete_once(doc, at, language, replace(options, max_lines=lines_left), backend,
                                 cancelled, extra_context, True)
        body = more.text.rstrip("\n") if sep else more.text
        joined = done.text + sep + body
        if not body.strip() or adds_syntax_errors(before, joined, after, language, open_header=True):
            break
        done = replace(done, text=joined, syntax_valid=True, forward_passes=done.forward_passes + more.forward_passes,
                       tokens=done.tokens + more.tokens, candidates=[joined, *done.candidates],
                       votes=[1, *done.votes])
    if follows and done.syntax_valid and language == "python":   # a header left open after all
        done.syntax_valid = not adds_syntax_errors(before, done.text, after, language)
    done.latency_ms = (time.perf_counter() - t0) * 1000
    return done


# How many block headers a completion may be given a body for (``complete``); 0 turns it off.
HEADER_BODIES = 2


def _header_follow(before: str, body: str, after: str, language: str) -> tuple[str, int, str] | None:
    """If ``body`` ends in a Python block header whose block is missing (the next non-blank
    line after it is not indented deeper): (document with ``body`` inserted, offset of the
    next line's start, separator to put between ``body`` and that line's completion)."""
    if language != "python" or not body.strip():
        return None
    text = before + body
    last = text.rstrip("\n")
    last = last[last.rfind("\n") + 1:]
    code = last.split("#", 1)[0].rstrip() if "'" not in last and '"' not in last else last.rstrip()
    if not code.endswith(":") or last.lstrip().startswith("#") or \
            sum(map(code.count, "([{")) > sum(map(code.count, ")]}")):   # a dict or slice goes on
        return None
    indent = leading_ws(last)
    if body.endswith("\n"):
        rest, doc, at, sep = after, text + after, len(text), ""
    else:
        first, newline, rest = after.partition("\n")
        if first.strip():                     # the header's line goes on after the gap
            return None
        doc = text + (after if newline else after + "\n")
        at, sep = len(text) + len(first) + 1, "\n"
    following = next((ln for ln in rest.split("\n") if ln.strip()), "")
    if following.startswith(indent) and len(leading_ws(following)) > len(indent):
        return None                           # the block is there already
    return doc, at, sep


def _complete_once(text: str, offset: int, language: str, options: InfillOptions, backend: Backend,
                   cancelled: Callable[[], bool] | None, extra_context: str,
                   bodies_follow: bool = False) -> tuple[Completion, int]:
    """One request: (the completion, the gap's line budget). ``bodies_follow``: ``complete``
    may next write the body of a block header that this completion leaves open."""
    t0 = time.perf_counter()
    budgets = getattr(backend, "prefix_tokens", 224), getattr(backend, "suffix_tokens", 48)
    counter = getattr(backend, "count_tokens", None)
    ctx = extract(text, offset, language, prefix_budget=budgets[0], suffix_budget=budgets[1],
                  count_tokens=counter)
    if options.max_lines >= 0:
        ctx = replace(ctx, max_new_lines=options.max_lines or 10_000)
    before, after = text[:offset], text[offset:]
    lead = cursor_indent(before) if HEAL_INDENT else ""
    if not ctx.prefix.endswith(lead):
        lead = ""
    # A header left without its block is fine here when ``complete`` may write the block next.
    score = partial(_scored, ctx=ctx, before=before, after=after, language=language, lead=lead,
                    open_header=bodies_follow and ctx.max_new_lines > 1)
    request = InfillRequest(
        prefix=extra_context + ctx.prefix.removesuffix(lead), suffix=ctx.suffix,
        canvas_length=options.canvas or ctx.canvas_tokens,
        max_blocks=options.max_blocks if ctx.max_new_lines > 1 else 1,  # a 32-token canvas holds a line
        max_lines=min(ctx.max_new_lines, 1000), candidates=options.candidates,
        sampler=options.sampler_config(), seed=options.seed, cancelled=cancelled)
    result = run_backend(backend, request)
    scored = [score(cand) for cand in result.candidates]
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    rejected = sum(1 for s in scored if not s[0])
    passes = result.forward_passes
    remask = getattr(backend, "supports_remask", False)     # repair and resample re-run the canvas
    for _ in range(options.repair if remask else 0):
        if scored[0][0]:
            break
        repaired, spent = _repair(backend, request, scored[0][2], before, after, language, lead, score)
        passes += spent
        if repaired is None:
            break
        scored[0] = repaired          # the repair revises the best candidate; K stays K
    # Under a pass budget (``steps``: the server's automatic requests) latency comes first.
    if not scored[0][0] and options.resample and not options.steps and remask:
        fresh, spent = _resample(backend, request, score, options.resample)
        passes += spent
        rejected += sum(1 for s in fresh if not s[0])
        if fresh and fresh[0][0]:     # the valid one leads and takes the last place: K stays K
            scored = (fresh[:1] + scored)[:len(scored)]
    valid, _, best, tokens = scored[0]
    texts = [s[2] for s in scored]
    distinct = list(dict.fromkeys(texts))
    return Completion(
        text=best, gap_kind=ctx.gap_kind, syntax_valid=valid, forward_passes=passes,
        tokens=tokens, latency_ms=(time.perf_counter() - t0) * 1000,
        candidates=distinct, votes=[texts.count(t) for t in distinct], rejected=rejected), ctx.max_new_lines


REPAIR_EXTRA_TOKENS = 4   # masks a repair may append (a closing bracket, a colon)


def _repair(backend: Backend, request: InfillRequest, body: str, before: str, after: str,
            language: str, lead: str, score: Callable) -> tuple[tuple, int]:
    """Denoise again the tokens of ``body`` that lie inside its syntax errors (tree-sitter's,
    or where tree-sitter sees none, CPython's first error), the rest kept:
    the bidirectional canvas sees both the kept tokens and the code after the gap. ``score``
    scores a candidate as ``_scored`` does for this request. Returns ((valid, score, text,
    tokens) or None, forward passes spent)."""
    if not body.strip():
        return None, 0
    spans = completion_error_spans(before, body, after, language)
    if not spans:   # the completion breaks code after it (an open string, a dedent): its end
        spans = [(max(0, len(body.rstrip()) - 1), len(body))]
    spans = [(a + len(lead), b + len(lead)) for a, b in spans]   # the canvas starts at the line start
    retry = replace(request, init_text=lead + body, remask_spans=tuple(spans),
                    extra_tokens=REPAIR_EXTRA_TOKENS, candidates=1)
    result = run_backend(backend, retry)
    repaired = score(result.candidates[0])
    if not repaired[2].strip():   # an empty middle is no repair, though it breaks nothing
        return None, result.forward_passes
    return repaired, result.forward_passes


def _resample(backend: Backend, request: InfillRequest, score: Callable, k: int) -> tuple[list[tuple], int]:
    """The last resort before rejection: ``k`` fresh candidates in one batch, every row sampled
    at the sampler's candidate temperature with the next seed (the greedy row would repeat
    the broken one). Returns them scored, non-empty ones only, valid first, and the passes."""
    sampler = replace(request.sampler, temperature=request.sampler.candidate_temperature or 0.8)
    result = run_backend(backend, replace(request, candidates=k, sampler=sampler, seed=request.seed + 1))
    fresh = [score(c) for c in result.candidates]
    fresh = sorted((s for s in fresh if s[2].strip()), key=lambda s: (s[0], s[1]), reverse=True)
    return fresh, result.forward_passes


def _scored(cand, ctx, before: str, after: str, language: str, lead: str = "",
            open_header: bool = False) -> tuple[bool, float, str, int]:
    """(syntax-valid, model score, post-processed text, tokens): how ``complete`` ranks."""
    body = postprocess(after_indent(cand.text, lead) if lead else cand.text, ctx)
    return not adds_syntax_errors(before, body, after, language, open_header), cand.score, body, cand.tokens


# Token healing for a cursor in a line's indentation (where an editor leaves it after Enter).
# Byte-level BPE joins the last space of an indentation run to the word after it
# ("    return" -> "   ", " return"), so a prefix that ends in the indentation ends on a
# token split that training never shows, and the model answers with noise. The request
# instead ends the prefix at the line start and lets the canvas write the indentation too;
# the completion is then cut back to what follows the cursor. False turns this off (the
# benchmark `benchmarks/cursor_indent.py` measures both).
HEAL_INDENT = True


def cursor_indent(before: str) -> str:
    """The whitespace between the line start and the cursor, if nothing else precedes it."""
    lead = before[before.rfind("\n") + 1:]
    return lead if lead and not lead.strip(" \t") else ""


def after_indent(text: str, lead: str) -> str:
    """A completion written from the line start, as the text after a cursor at ``lead``.

    The first line's own indentation is dropped (the cursor's stands); later lines move by
    the difference, keeping their indentation relative to the first line.
    """
    first, newline, rest = text.partition("\n")
    if not first.strip():            # a blank first line: the cursor's line stays blank
        return text[len(first):]
    own = leading_ws(first)
    if newline and own != lead:
        rest = "\n".join(lead + line[len(own):] if line.startswith(own) and line.strip() else line
                         for line in rest.split("\n"))
    return first[len(own):] + newline + rest
