"""Candidates drafted from the code around the gap, beside the model's fresh samples.

``draft_candidates`` asks ``retrieval`` for drafts: lines of the document, and of chunks of
other sources (``neighbours``: the server's open documents and recent edits, the CLI's
workspace folder) whose surroundings look like the gap's. Each draft is a starting canvas:

- as it stands (every token kept);
- when it uses names the document has nowhere, also with those names' tokens re-masked and
  denoised by the model: all such drafts of a request are rows of one batch over the shared
  context cache (``engine.api.Seed``; backends that declare ``rewrite``).

``likelihoods`` gives the model's pseudo-log-likelihood per token of a text as the middle, both
sides in view (backends that declare ``token_scoring``): ``complete`` asks it for the drafts the
model did not sample, whose score it then is (sampled texts have their sampling score).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

from engine.api import Backend, Candidate as RawCandidate, InfillRequest, Seed

from .backends import run_backend
from .candidates import Candidate, Gap
from .config import InfillOptions
from .errors import UnknownLanguageError
from .languages import file_suffixes, language_for_path, reserved_names
from .retrieval import ChunkIndex, find_drafts
from .retrieval.chunks import identifiers, workspace_index

DRAFT_LINES = 5           # whole-line drafts span at most this many lines
AROUND = (4, 3)           # lines above and below the cursor whose names query the neighbours
NEIGHBOUR_CHUNKS = 4      # chunks of other sources searched for drafts


def workspace_neighbours(options: InfillOptions, path: str | None, language: str) -> ChunkIndex | None:
    """The CLI's neighbours: the files of ``options.workspace`` (default: the folder of
    ``path``; "" for none) in the document's language, read once per folder (bounded)."""
    if not options.retrieval or options.workspace == "" or (options.workspace is None and not path):
        return None
    folder = options.workspace if options.workspace is not None else str(Path(path).resolve().parent)
    if not Path(folder).is_dir():
        return None
    return _workspace(str(Path(folder).resolve()), file_suffixes(language))


@functools.lru_cache(maxsize=4)
def _workspace(folder: str, suffixes: tuple[str, ...]) -> ChunkIndex:
    return workspace_index(folder, suffixes)


def neighbour_chunks(text: str, offset: int, neighbours: ChunkIndex | None, source: str | None,
                     language: str | None = None) -> list:
    """The chunks of other sources most like the lines around the cursor (BM25); with
    ``language``, only sources of that language (the server indexes every language it serves)."""
    if neighbours is None:
        return []
    above = text[max(0, offset - 2000):offset].split("\n")[-AROUND[0]:]
    below = text[offset:offset + 2000].split("\n")[:AROUND[1]]
    accept = (lambda name: _language_of(name) == language) if language else None   # noqa: E731
    return neighbours.search(identifiers("\n".join(above + below)), k=NEIGHBOUR_CHUNKS, exclude=source,
                             accept=accept)


@functools.lru_cache(maxsize=4096)
def _language_of(source: str) -> str | None:
    """The language of a source by its name (a path or a URI), None when no language has it."""
    try:
        return language_for_path(unquote(source.rsplit("/", 1)[-1]))
    except UnknownLanguageError:
        return None


def draft_candidates(backend: Backend, request: InfillRequest, gap: Gap, text: str, offset: int,
                     options: InfillOptions, chunks: list) -> tuple[list[Candidate], int]:
    """(candidates from drafts, forward passes spent). Their ``score`` is provisional (the
    draft's similarity mapped below any sampled score) until ``likelihoods`` replaces it."""
    ctx = gap.ctx
    drafts = find_drafts(text, offset, ctx.indent, min(max(1, ctx.max_new_lines), DRAFT_LINES), chunks,
                         limit=options.drafts, reserved=reserved_names(gap.language))
    out, passes, lead = [], 0, gap.lead
    for d in drafts:
        scored = gap.score(RawCandidate(lead + d.text, -10.0 + d.score, 0))
        out.append(replace(scored, retrieved=d.score))
    seeds = [d for d in drafts if d.remask]
    if seeds and backend.capabilities.rewrite:
        shift = len(lead)
        batch = replace(request, candidates=len(seeds), init_text=None, remask_spans=None,
                        seeds=tuple(Seed(lead + d.text, tuple((a + shift, b + shift) for a, b in d.remask))
                                    for d in seeds))
        result = run_backend(backend, batch)
        passes += result.forward_passes
        for d, raw in zip(seeds, result.candidates):
            scored = gap.score(raw)
            if scored.text.strip():
                out.append(replace(scored, retrieved=d.score))
    return out, passes


def likelihoods(backend: Backend, request: InfillRequest, lead: str, texts: list[str]) -> list[float | None]:
    """Mean pseudo-log-likelihood per token (the end of the middle counted) of each text as the
    middle, or None for every text on a backend without token scoring."""
    if not backend.capabilities.token_scoring or not texts:
        return [None] * len(texts)
    raw = [lead + t for t in texts]
    totals = backend.likelihood(request.prefix, request.suffix, raw)
    return [None if total == float("-inf") else round(total / (backend.count_tokens(r) + 1), 4)
            for r, total in zip(raw, totals)]
