"""What a backend is: request and result types, declared capabilities, the protocols.

``InfillRequest`` -> ``Backend.infill`` -> ``InfillResult`` (K candidate middles for one gap).
A backend declares what it can do as data (``Capabilities``); callers read that instead of
probing for methods. Backends that score text token by token (the embedded model) also give
``TokenScoring``. Nothing here knows a programming language, an editor or a file: a request
may carry its document's language and path as names, which a prompt format may show the model
and a model's card may list (``Capabilities.languages``), and nothing here reads them further.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from .errors import RequestCancelled  # noqa: F401  (re-exported: the error of a cancelled request)
from .sampler_config import SamplerConfig


@dataclass(frozen=True)
class Seed:
    """A starting canvas: ``text``'s tokens, those overlapping ``remask_spans`` (character spans)
    masked and denoised again, the rest kept."""

    text: str
    remask_spans: tuple[tuple[int, int], ...] = ()
    extra_tokens: int = 0             # masks appended after the text: the model may continue it there


@dataclass(frozen=True)
class InfillRequest:
    prefix: str
    suffix: str
    canvas_length: int = 32
    max_blocks: int = 4               # continuation blocks at most
    max_lines: int = 0                # stop continuing once this many newlines are produced (0 = no limit)
    candidates: int = 1               # K candidates drawn as one batch
    sampler: SamplerConfig = field(default_factory=SamplerConfig)
    seed: int = 0
    init_text: str | None = None      # rewrite: the canvas starts from this text's tokens (one block,
    #                                   same token count) instead of blank masks
    renoise: float = 0.5              # rewrite: share of init_text positions re-masked (seeded), at least one
    remask_spans: tuple[tuple[int, int], ...] | None = None  # rewrite: re-mask the tokens overlapping these
    #                                   character spans of init_text instead (syntax repair)
    extra_tokens: int = 0             # rewrite: masks appended after init_text; the middle may end
    #                                   (pad_end) only after its last kept token
    seeds: tuple[Seed, ...] = ()      # several starting canvases, one row each of one batch over the
    #                                   shared context: one candidate per seed, in order (``rewrite``)
    cancelled: Callable[[], bool] | None = field(default=None, compare=False)  # polled before each
    #                                   forward pass; True stops the request with RequestCancelled
    language: str | None = None       # the document's language, by name ("typescript"): a prompt may show it
    path: str | None = None           # the document's path (relative where it can be): a prompt may show it
    language_title: str | None = None  # how a prompt names the language ("C#"); ``language`` when None


@dataclass
class Candidate:
    text: str
    score: float                      # mean log-probability per committed content token
    tokens: int


@dataclass
class InfillResult:
    candidates: list[Candidate]
    forward_passes: int               # canvas forward passes (all blocks; candidates share them)
    latency_ms: float
    context_tokens: int = 0
    reused_tokens: int = 0            # context tokens whose keys/values came from the previous request


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, declared by the backend."""

    rewrite: bool = False             # init_text with renoise / remask_spans / extra_tokens, and seeds:
    #                                   rewrites, syntax repair, drafts, redrawing a request's candidates
    token_scoring: bool = False       # it is also a ``TokenScoring`` (small edits, likelihoods)
    prefix_tokens: int = 224          # context budgets the caller should trim the text to
    suffix_tokens: int = 48
    fixed_canvas: int | None = None   # every block is one canvas of this length (DiffusionGemma)
    languages: tuple[str, ...] | None = None   # the languages the model was trained on, by name, where its
    #                                   card (config.json "languages") says; None: any


class Backend(Protocol):
    name: str
    capabilities: Capabilities

    def infill(self, request: InfillRequest) -> InfillResult: ...

    def describe(self) -> dict: ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the backend's own tokenizer (an estimate where it has none)."""
        ...


@dataclass
class Substitution:
    text: str                         # the scored text with one small edit
    score: float                      # how much the model prefers it (see TokenScoring)
    position: int                     # character offset of the edit in the original text
    kind: str = "substitute"          # substitute | replace-all | insert | insert-2 | delete | a template's kind


@dataclass
class TokenView:
    """A text as the model reads it, for edit templates: its tokens' character spans and how
    likely each token is where it stands (masked alone, both sides in view)."""

    text: str
    offsets: list[tuple[int, int]]    # character span of each token
    current: list[float]              # log p of each token, masked alone
    insert_logp: Callable[[int, str], float]   # (character offset, text) -> log p of text's first
    #                                   token inserted at the token boundary at or after that offset

    def token_at(self, at: int) -> int | None:
        """Index of the token whose span holds character ``at`` (None: a space between tokens)."""
        return next((i for i, (s, e) in enumerate(self.offsets) if s <= at < e), None)


@dataclass(frozen=True)
class EditTemplate:
    """A caller's rule for small edits (a language's repair templates): ``propose`` returns
    (new text, character offset of the edit) pairs, best first; the first ``count`` are scored."""

    kind: str
    count: int
    propose: Callable[[TokenView], list[tuple[str, int]]]


class TokenScoring(Protocol):
    """Token-level scoring with the model reading both sides of a gap."""

    def token_substitutions(self, prefix: str, suffix: str, text: str, per_position: int = 2,
                            limit: int = 16) -> list[Substitution]: ...

    def token_edits(self, prefix: str, suffix: str, text: str, limit: int = 16,
                    proposals: tuple[int, ...] = (12, 6, 6, 4),
                    templates: tuple[EditTemplate, ...] = ()) -> list[Substitution]: ...

    def likelihood(self, prefix: str, suffix: str, texts: list[str]) -> list[float]: ...
