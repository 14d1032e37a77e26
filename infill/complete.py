"""The completion path: a document and a cursor in, ranked candidates out.

``complete`` runs, for one gap: ``context.extract`` (tree-sitter window, budgets, gap kind)
-> the backend's ``infill`` (K candidates in one batch) -> ``Gap.score`` on each (post-
processing, syntax check) -> the ``rescue.STEPS`` while the best one is broken (repair, then
a fresh sampled batch) -> the best candidate by (syntax-valid, model score). A completion
that leaves a Python block header open gets its body from a next request (``header_bodies``).

``suggest.suggest`` is what the CLI and the language server call: it adds the context beyond
the text (type errors, failing tests) and the ranking by it around this path.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

from engine.api import Backend, InfillRequest

from .backends import check_language, get_backend, run_backend
from . import examples
from .candidates import Gap, best_first, cursor_indent
from .checks import Check, passed, run_checks
from .siblings import copies_a_body, copies_a_line
from .confidence import (calibrated_for, confidence_of, examples_floor, features, ranking_confidence, rivals,
                         slot)
from .config import InfillOptions
from .context import extract
from .drafting import draft_candidates, likelihoods, neighbour_chunks
from .languages import spec_of
from .names import KnownNames, Pending, lookup
from .naming import fix_names, name_drafts
from .rescue import STEPS, Attempt, header_follow
from .retrieval import ChunkIndex, prompt_block
from .syntax import adds_syntax_errors


JUDGED = 4        # distinct sampled candidates checked and given a confidence (drafts are all judged)


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
    scores: list[float] = field(default_factory=list)      # the model's mean log-probability of each
    confidence: float = 0.0         # how likely the text is right, in [0, 1] (``confidence``)
    confidences: list[float] = field(default_factory=list)  # of each (those judged; 0 beyond); need not descend
    shown: bool = False             # the confidence reaches ``min_confidence``: an editor shows it
    checks: list[dict] = field(default_factory=list)       # the checks of ``text`` (``checks``)
    retrieved: list[float] = field(default_factory=list)   # of each candidate: its draft's similarity (0: sampled)
    likelihoods: list[float | None] = field(default_factory=list)  # of each: mean pseudo-log-likelihood
    features: list[list[float]] = field(default_factory=list)      # of each judged: confidence's signals
    named: list[float] = field(default_factory=list)       # of each candidate: its known name's draft (0: none)
    known_names: list[float] = field(default_factory=list)  # of each: its first name is known (1), not (-1), ? (0)
    names_source: str = ""          # where the known names came from: jedi | tree-sitter | "" (none looked up)
    # The checks already run on a candidate text (the drafts, before their likelihood): ``judge``
    # reads them instead of running them again, and leaves every judged one's here (the docstring
    # examples' verdicts included). Not part of the result (``to_dict``).
    checked: dict[str, list[Check]] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict:
        out = asdict(self)
        del out["checked"]
        return out


def complete(text: str, offset: int, language: str, options: InfillOptions,
             backend: Backend | None = None, cancelled: Callable[[], bool] | None = None,
             extra_context: str = "", neighbours: ChunkIndex | None = None, source: str | None = None,
             path: str | None = None, root: str | None = None, file: str | None = None) -> Completion:
    """Fill the gap at ``offset`` (characters) of ``text``.

    ``cancelled`` is polled before each forward pass; when it returns True the request
    stops with ``Cancelled``. ``extra_context`` (e.g. a comment block of type errors and
    failing tests, ``sources.diagnostics``) is put before the prefix the backend sees; the
    document, post-processing and verification do not see it.

    A completion that ends in a Python block header with no body after it (``for x in
    xs:`` and then the code after the gap, not indented deeper) gets its body from a second
    request at the start of the next line, up to ``options.header_bodies`` times, while the
    gap's line budget allows and no pass budget (``options.steps``) is set; the joined text is
    kept only if it adds no syntax error.

    With ``options.retrieval``, drafts copied from the document and from chunks of
    ``neighbours`` (other sources; ``source`` names the document's own) join the candidates
    (``drafting``); with ``options.references`` those chunks also go before the prefix.

    ``path``: the document's path as a prompt format may show it (a served model's file header).
    With ``options.known_names``, where the gap starts with a name the names valid there
    (``names``: jedi for Python with ``root`` as the project and ``file`` as the document's file,
    tree-sitter for all) are looked up beside the model, waited for at most
    ``options.known_names_ms``, and become drafts (``naming``).
    A backend whose model was not trained on ``language`` raises ``ModelLanguageError``.
    """
    t0 = time.perf_counter()
    backend = backend or get_backend(options)
    check_language(backend, language)
    follows = options.header_bodies if not options.steps else 0
    pending = lookup(text, offset, language, root, file) if options.known_names else None
    chunks = neighbour_chunks(text, offset, neighbours, source, language) if options.retrieval else None
    if chunks and options.references:
        extra_context = prompt_block(chunks, spec_of(language).line_comment or "#") + extra_context
    done, max_lines = _complete_once(text, offset, language, options, backend, cancelled, extra_context,
                                     follows > 0, chunks, path, pending)
    before, after = text[:offset], text[offset:]
    for _ in range(follows):
        follow = header_follow(before, done.text, after, language)
        lines_left = max_lines - done.text.rstrip("\n").count("\n") - 1
        if follow is None or lines_left < 1:
            break
        doc, at, sep = follow
        more, _ = _complete_once(doc, at, language, replace(options, max_lines=lines_left), backend,
                                 cancelled, extra_context, True, path=path)
        body = more.text.rstrip("\n") if sep else more.text
        joined = done.text + sep + body
        if not body.strip() or adds_syntax_errors(before, joined, after, language, open_header=True):
            break
        done = replace(done, text=joined, syntax_valid=True, forward_passes=done.forward_passes + more.forward_passes,
                       tokens=done.tokens + more.tokens, candidates=[joined, *done.candidates],
                       votes=[done.votes[0] if done.votes else 1, *done.votes],
                       scores=[min(done.scores[:1] + more.scores[:1]), *done.scores],
                       retrieved=[0.0, *done.retrieved], likelihoods=[None, *done.likelihoods],
                       named=[0.0, *done.named], known_names=[done.known_names[0] if done.known_names else 0.0,
                                                               *done.known_names])
    if follows and done.syntax_valid and spec_of(language).offside:   # a header left open after all
        done.syntax_valid = not adds_syntax_errors(before, done.text, after, language)
    done = judge(done, before, after, language, options, calibrated_for(backend.name))
    done = _search_examples(done, text, offset, language, options, backend, cancelled, extra_context, path)
    done.latency_ms = (time.perf_counter() - t0) * 1000
    return done


def judge(done: Completion, before: str, after: str, language: str, options: InfillOptions,
          calibrated: bool = True, sampled_judged: int = JUDGED) -> Completion:
    """Check every drafted candidate and the first ``JUDGED`` sampled ones (``checks``), give
    each a confidence, order them by it without the scale-only signals that differ between
    candidates (``confidence.ranking_confidence``; those a check rejects last, then those not
    judged) and say whether the best is shown: the first decides, so ``confidences`` need not
    descend. ``calibrated``: the shipped calibration fits the backend
    (``confidence.calibrated_for``); else the uncalibrated score. ``sampled_judged``: how many
    sampled candidates are judged."""
    rows = max(1, sum(done.votes) if done.votes else 1)
    whole_line = not before[before.rfind("\n") + 1:].strip()
    where = slot(before)
    judged, signals = [], []
    drafted = [i for i, r in enumerate(done.retrieved) if r > 0 or i < len(done.named) and done.named[i] > 0]
    sampled = [i for i in range(len(done.candidates)) if i not in drafted][:sampled_judged]
    indices = sorted(drafted + sampled)

    def checks_of(text: str) -> list[Check]:      # those run before the drafts' likelihood are kept
        if not options.checks:
            return []
        return done.checked[text] if text in done.checked else run_checks(before, text, after, language)

    checked = {i: checks_of(done.candidates[i]) for i in indices}
    if options.checks and options.examples and spec_of(language).compiler == "cpython":
        # The docstring's examples run against the candidates the other checks pass (one child).
        verdicts = examples.run(before, [done.candidates[i] for i in indices if passed(checked[i])], after,
                                options.examples_ms / 1000)
        checked = {i: [*c, verdicts[done.candidates[i]]] if done.candidates[i] in verdicts else c
                   for i, c in checked.items()}
    kept_alone = sum(examples.kept(checked[i]) for i in indices) == 1
    # Rival drafts among those the checks pass (one they refuse is no competing answer).
    standing = [i for i in indices if passed(checked[i]) and done.candidates[i].strip()]
    tied = dict(zip(standing, rivals([done.candidates[i] for i in standing],
                                     [done.retrieved[i] if i < len(done.retrieved) else 0.0 for i in standing])))
    for i in indices:
        text, checks = done.candidates[i], checked[i]
        votes = done.votes[i] if i < len(done.votes) else 1
        pll = done.likelihoods[i] if i < len(done.likelihoods) else None
        score = done.scores[i] if i < len(done.scores) else -10.0
        score = pll if votes == 0 and pll is not None else score        # a draft the model did not sample
        tokens = done.tokens if i == 0 else max(1, len(text) // 3)
        found = done.retrieved[i] if i < len(done.retrieved) else 0.0
        known = done.known_names[i] if i < len(done.known_names) else 0.0
        named = done.named[i] if i < len(done.named) else 0.0
        copied = copies_a_body(before, text, after, language)
        signals.append(features(score, votes / rows, tokens, text, checks, whole_line, pll, found, known, named,
                                copied, where, copies_a_line(before, text, after, language), tied.get(i, False)))
        sure = confidence_of(signals[-1], text, checks, calibrated=calibrated)
        ranked = ranking_confidence(signals[-1], text, checks, sure, calibrated=calibrated)
        # What the examples keep is right at least as often as such candidates were (they are
        # then the only ones standing: the order among them stays the model's).
        sure = max(sure, examples_floor(checks, kept_alone, calibrated=calibrated))
        judged.append((i, checks, sure, len(signals) - 1, ranked))
    # Best first by confidence without the scale-only signals that differ between candidates
    # (one score for samples and drafts); rejected ones last.
    # What the docstring's examples keep comes before what they could not tell (too slow).
    judged.sort(key=lambda j: (not passed(j[1]), not examples.kept(j[1]), -j[4]))
    seen = {j[0] for j in judged}
    order = [j[:3] for j in judged] + [(i, [], 0.0) for i in range(len(done.candidates)) if i not in seen]
    pick = lambda seq: [seq[i] for i, _, _ in order if i < len(seq)]   # noqa: E731
    best_i, best_checks, best_conf = order[0] if order else (0, [], 0.0)
    text = done.candidates[best_i] if done.candidates else done.text
    valid = done.syntax_valid if best_i == 0 else not adds_syntax_errors(before, text, after, language)
    valid = valid and not any(c.name == "compiles" and c.verdict == "reject" for c in best_checks)
    return replace(done, text=text, syntax_valid=valid, candidates=pick(done.candidates), votes=pick(done.votes),
                   scores=pick(done.scores), confidences=[c for _, _, c in order], confidence=best_conf,
                   retrieved=pick(done.retrieved), likelihoods=pick(done.likelihoods),
                   named=pick(done.named), known_names=pick(done.known_names),
                   features=[signals[j[3]] for j in judged],
                   checks=[c.to_dict() for c in best_checks],
                   checked={**done.checked, **{done.candidates[i]: checked[i] for i in indices}},
                   shown=bool(text.strip()) and passed(best_checks) and best_conf >= options.min_confidence)


def _search_examples(done: Completion, text: str, offset: int, language: str, options: InfillOptions,
                     backend: Backend, cancelled: Callable[[], bool] | None, extra_context: str,
                     path: str | None) -> Completion:
    """Where the function around the gap shows examples and none of the candidates satisfies
    them (``examples``: no verdict), up to ``options.examples_rounds`` fresh batches of twice
    ``options.candidates`` rows (the next seeds, every row sampled at the sampler's candidate
    temperature, no drafts, no known names) are drawn and all judged; the first whose best the
    examples keep answers. Not under a pass budget (``options.steps``: latency first); ``done``
    when nothing is found, with the passes spent counted."""
    if not (options.checks and options.examples and options.examples_rounds and not options.steps
            and spec_of(language).compiler == "cpython"):
        return done
    if any(c.name == examples.NAME for cs in done.checked.values() for c in cs):
        return done                                   # the examples spoke
    before, after = text[:offset], text[offset:]
    if not examples.exercised(before, after):
        return done              # no examples ran here, or none runs the candidates' lines
    spent, rows = done.forward_passes, 2 * options.candidates
    for r in range(1, options.examples_rounds + 1):
        fresh, _ = _complete_once(text, offset, language, replace(options, seed=options.seed + r, candidates=rows),
                                  backend, cancelled, extra_context, path=path,
                                  temperature=options.sampler_config().candidate_temperature)
        spent += fresh.forward_passes
        found = judge(fresh, before, after, language, options, calibrated_for(backend.name), rows)
        if examples.kept(found.checked.get(found.text, [])):
            return replace(found, forward_passes=spent)
    return replace(done, forward_passes=spent)


def _complete_once(text: str, offset: int, language: str, options: InfillOptions, backend: Backend,
                   cancelled: Callable[[], bool] | None, extra_context: str,
                   bodies_follow: bool = False, chunks: list | None = None,
                   path: str | None = None, pending: Pending | None = None,
                   temperature: float = 0.0) -> tuple[Completion, int]:
    """One request: (the completion, the gap's line budget). ``temperature``: every row sampled
    at it (0: the sampler's own, the first row greedy). ``bodies_follow``: ``complete``
    may next write the body of a block header that this completion leaves open. ``chunks``:
    drafts are looked for in the document and these chunks (None: no drafts). ``pending``: the
    known names being looked up (``names.lookup``; None: none)."""
    t0 = time.perf_counter()
    caps = backend.capabilities
    ctx = extract(text, offset, language, prefix_budget=options.prefix_tokens or caps.prefix_tokens,
                  suffix_budget=options.suffix_tokens or caps.suffix_tokens, count_tokens=backend.count_tokens)
    if options.max_lines >= 0:
        ctx = replace(ctx, max_new_lines=options.max_lines or 10_000)
    before, after = text[:offset], text[offset:]
    lead = cursor_indent(before) if options.heal_indent else ""
    if not ctx.prefix.endswith(lead):
        lead = ""
    # A header left without its block is fine here when ``complete`` may write the block next.
    gap = Gap(ctx, before, after, language, lead, open_header=bodies_follow and ctx.max_new_lines > 1)
    request = InfillRequest(
        prefix=extra_context + ctx.prefix.removesuffix(lead), suffix=ctx.suffix,
        canvas_length=options.canvas or ctx.canvas_tokens,
        max_blocks=options.max_blocks if ctx.max_new_lines > 1 else 1,  # a 32-token canvas holds a line
        max_lines=min(ctx.max_new_lines, 1000), candidates=options.candidates,
        sampler=replace(options.sampler_config(), temperature=temperature) if temperature else options.sampler_config(),
        seed=options.seed, cancelled=cancelled, language=language,
        language_title=spec_of(language).title, path=path)
    result = run_backend(backend, request)
    scored = best_first([gap.score(raw) for raw in result.candidates])
    attempt = Attempt(backend, request, gap, options, scored, result.forward_passes,
                      sum(1 for c in scored if not c.valid))
    for step in STEPS:
        step(attempt)
    known = pending.get(options.known_names_ms / 1000) if pending is not None else None
    attempt.candidates = fix_names(attempt.candidates, gap, known)
    sampled = [c.text for c in attempt.candidates]
    everyone = list(attempt.candidates)
    if known is not None:
        named, spent = name_drafts(backend, request, gap, known)
        everyone += named
        attempt.passes += spent
    if chunks is not None:
        drafted, spent = draft_candidates(backend, request, gap, text, offset, options, chunks)
        everyone += drafted
        attempt.passes += spent
    distinct = list(dict.fromkeys(c.text for c in everyone))
    of = lambda t: [c for c in everyone if c.text == t]   # noqa: E731
    # The model's likelihood of the drafts it did not sample (sampled texts have their score),
    # of those the checks pass: a refused candidate's confidence is 0 whatever its likelihood
    # (about half the drafts on the real-code benchmark), and ``judge`` reads these checks.
    unsampled = [t for t in distinct if t not in sampled and any(c.retrieved or c.named for c in of(t))]
    checked = {t: run_checks(before, t, after, language) for t in unsampled} if options.checks else {}
    standing = [t for t in unsampled if passed(checked.get(t, []))]
    plls = dict(zip(standing, likelihoods(backend, request, lead, standing)))
    best = attempt.candidates[0]
    return Completion(
        text=best.text, gap_kind=ctx.gap_kind, syntax_valid=best.valid, forward_passes=attempt.passes,
        tokens=best.tokens, latency_ms=(time.perf_counter() - t0) * 1000,
        candidates=distinct, votes=[sampled.count(t) for t in distinct], rejected=attempt.rejected,
        scores=[max(c.score for c in of(t)) for t in distinct],
        retrieved=[max(c.retrieved for c in of(t)) for t in distinct],
        likelihoods=[plls.get(t) for t in distinct], named=[max(c.named for c in of(t)) for t in distinct],
        known_names=[_verdict(known, t) for t in distinct],
        names_source=known.source if known is not None else "", checked=checked), ctx.max_new_lines


def _verdict(known: KnownNames | None, text: str) -> float:
    return known.verdict(text) if known is not None else 0.0
