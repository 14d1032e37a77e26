"""Backends: one interface from (prefix, suffix) text to candidate middles.

``InfillRequest`` -> ``Backend.infill`` -> ``InfillResult``. The embedded backend loads the
shipped canvas denoiser (``engine/model``) or any folder with the same layout, tokenizes
prefix and suffix within their token budgets, encodes the context once, shares that cache
across the K candidates of a request (one batch), and continues block by block when the middle
is longer than one canvas: each finished block is appended to the cache, DiffusionGemma's
block-autoregressive layout.
"""

from __future__ import annotations

import json
import keyword
import re
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable, Protocol

import torch

from .blocks import fill_blocks
from .errors import BackendError, ModelLoadError
from .fim import context_ids
from .sampling import SamplerConfig, SpecialTokens, denoise
from .tokenizer import SpecialIds


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
    cancelled: Callable[[], bool] | None = field(default=None, compare=False)  # polled before each
    #                                   forward pass; True stops the request with RequestCancelled


class RequestCancelled(BackendError):
    """The request's ``cancelled`` callback said stop (a newer request, or the client cancelled)."""


MAX_INIT_TOKENS = 512                 # longest init_text a rewrite accepts
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|[0-9]+(?:\.[0-9]+)?")
_OPERATOR_FAMILIES = (("<", "<=", ">", ">=", "==", "!="), ("+", "-", "*", "/", "//", "%"),
                      ("+=", "-=", "*=", "/=", "//="), ("and", "or"), ("is", "is not"), ("in", "not in"),
                      ("if", "while"))
_OPERATOR = re.compile(r"\bis not\b|\bnot in\b|\b(?:and|or|is|in|if|while)\b|//=|[-+*/]=|//|<=|>=|==|!=|[<>+\-*/%]")
_HEADER_KEYWORDS = ("if", "while")    # swapped only where they open the statement
# The end of an operand that may be off by one: a name, a number, or a closing bracket, followed
# by a closing bracket, a separator, a comparison or the end of the text.
_OPERAND_END = re.compile(r"(?:\b\w+|[\])])(?=\s*(?:$|[)\]},:]|[<>]=?|[=!]=|\b(?:and|or|if|else|for)\b))")
_OFF_BY_ONE = re.compile(r"(?<=[\w)\]])\s*([-+])\s*1\b(?![.\w])")   # group 1: the operator
MAX_EDIT_TOKENS = 64                  # longest text token_edits scores (its cost grows with the square)
SCORE_WIDTH_STEP = 16                 # scoring canvases are padded to a multiple of this
MIN_REUSE_TOKENS = 16                 # shortest shared context head worth reusing from the last request


@dataclass
class Candidate:
    text: str
    score: float                      # mean log-probability per committed content token
    tokens: int


@dataclass
class Substitution:
    text: str                         # init_text with one token edited
    score: float                      # how much the model prefers it (see token_substitutions, token_edits)
    position: int                     # character offset of the edit in init_text
    kind: str = "substitute"          # substitute | replace-all | insert | insert-2 | delete | swap


def _token_at(offsets, at: int) -> int | None:
    """Index of the token whose character span holds offset ``at`` (None: a space between tokens)."""
    return next((i for i, (s, e) in enumerate(offsets) if s <= at < e), None)


def _inside_string(text: str, at: int) -> bool:
    """Whether ``text[at]`` is inside a one-line string literal (quotes counted, escapes skipped)."""
    quote, i = None, 0
    while i < at:
        c = text[i]
        if quote and c == "\\":
            i += 2
            continue
        if c in "'\"" and (quote is None or c == quote):
            quote = None if quote else c
        elif c == "#" and quote is None:
            return True    # a comment counts as text too
        i += 1
    return quote is not None


@dataclass
class InfillResult:
    candidates: list[Candidate]
    forward_passes: int               # canvas forward passes (all blocks; candidates share them)
    latency_ms: float
    context_tokens: int = 0
    reused_tokens: int = 0            # context tokens whose keys/values came from the previous request


class Backend(Protocol):
    name: str

    def infill(self, request: InfillRequest) -> InfillResult: ...

    def describe(self) -> dict: ...


def default_model_dir() -> Path:
    return Path(str(resources.files("engine") / "model"))


class EmbeddedBackend:
    """The canvas denoiser shipped in the package (or a folder of the same kind)."""

    name = "embedded"
    supports_remask = True            # init_text with remask_spans / extra_tokens (syntax repair)

    def __init__(self, model_dir: str | Path | None = None, threads: int | None = None):
        from transformers.utils import logging as hf_logging

        from .modeling import CanvasDenoiser  # registers the Auto classes
        from .tokenizer import load_tokenizer

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()

        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        if threads:
            torch.set_num_threads(threads)
        if not (self.model_dir / "config.json").is_file():
            raise ModelLoadError(f"model folder {self.model_dir} has no config.json")
        try:
            cfg = json.loads((self.model_dir / "config.json").read_text())
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"model folder {self.model_dir}: config.json is unreadable ({exc})") from exc
        if cfg.get("model_type") != "infill_canvas":
            raise ModelLoadError(f"model folder {self.model_dir} holds a {cfg.get('model_type')!r} model, "
                                 "not an embedded canvas denoiser (model_type 'infill_canvas')")
        try:
            self.tokenizer = load_tokenizer(self.model_dir)
            self.model = CanvasDenoiser.from_pretrained(
                str(self.model_dir), local_files_only=True, dtype=torch.float32).eval()   # fp16 files too
        except Exception as exc:  # safetensors/transformers raise many types for corrupt files
            raise ModelLoadError(f"could not load the model in {self.model_dir}: "
                                 f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
        self.special = SpecialIds.from_tokenizer(self.tokenizer)
        self.sampler_special = SpecialTokens(
            mask=self.special.mask, pad_end=self.special.pad_end,
            forbidden=[self.special.mask, self.special.fim_prefix, self.special.fim_suffix, self.special.fim_middle],
            blank=self._blank_ids())
        self.prefix_tokens = int(getattr(self.model.config, "prefix_tokens", 224))
        self.suffix_tokens = int(getattr(self.model.config, "suffix_tokens", 48))
        self._last_context: tuple[list[int], object] | None = None   # (ids, batch-1 ContextCache)
        self._context_lock = threading.Lock()

    def _blank_ids(self) -> list[int]:
        """Ids of tokens that decode to whitespace only (indentation, newlines)."""
        vocab = self.tokenizer.get_vocab()
        return sorted(i for i in vocab.values() if not self.tokenizer.decode([i]).strip()
                      and i != self.special.pad_end)

    def describe(self) -> dict:
        n = sum(p.numel() for p in self.model.parameters())
        return {"backend": self.name, "model": str(self.model_dir), "parameters": n}

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode_text(self, prefix: str, suffix: str) -> list[int]:
        # Clip characters first so a 5 MB document costs no more than its budget.
        p = self._prefix_ids(prefix[-self.prefix_tokens * 8:]) if self.prefix_tokens else []
        s = self.tokenizer(suffix[: self.suffix_tokens * 8], add_special_tokens=False)["input_ids"]
        return context_ids(p, s[: self.suffix_tokens], self.special)

    def _prefix_ids(self, text: str) -> list[int]:
        """At most ``prefix_tokens`` tokens of the prefix's end, starting on a line.

        Starting on a line (not at a fixed token count from the cursor) keeps the head of the
        context the same while the user types within a line, so ``encode_cached`` can reuse
        it; the model also sees whole lines rather than a cut token.
        """
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = enc["input_ids"], enc["offset_mapping"]
        first = len(ids) - self.prefix_tokens
        if first <= 0:
            return ids
        for j in range(first, len(ids)):
            start = offsets[j][0]
            if text[start] == "\n" or text[start - 1] == "\n":
                return ids[j:]
        return ids[first:]                       # one huge line: its last tokens

    @torch.inference_mode()
    def infill(self, request: InfillRequest) -> InfillResult:
        if request.candidates < 1 or request.canvas_length < 1:
            raise BackendError("candidates and canvas length must be at least 1")
        t0 = time.perf_counter()
        gen = torch.Generator().manual_seed(request.seed)
        ctx = self.encode_text(request.prefix, request.suffix)
        model = Cancellable(self.model, request.cancelled) if request.cancelled else self.model
        cache, reused = self.encode_cached(ctx)
        cache = cache.expand(request.candidates)
        if request.init_text is not None:
            return self._rewrite(request, model, cache, gen, len(ctx), t0, reused)
        blocks = fill_blocks(model, cache, lambda c, tokens: self.model.encode_context(tokens, cache=c),
                             self.sampler_special, lambda block: _candidate_sampler(request.sampler, block),
                             request, self.tokenizer.decode, gen)
        candidates = [Candidate(self.tokenizer.decode(p), float(blocks.logprob[i]) / max(1, len(p)), len(p))
                      for i, p in enumerate(blocks.pieces)]
        return InfillResult(candidates, blocks.forward_passes, (time.perf_counter() - t0) * 1000, len(ctx), reused)

    def encode_cached(self, ctx: list[int]):
        """Encode context ids, reusing the previous request's keys and values for the head
        the two contexts share: the encoder is causal, so position i's keys and values depend
        on tokens 0..i only. Typing near the cursor changes the tail of the prefix (and what
        follows it: the suffix), not the head, so only the tail is encoded again.

        Returns (batch-1 cache, tokens reused).
        """
        with self._context_lock:
            last = self._last_context
        shared = 0
        if last is not None:
            old_ids, old_cache = last
            limit = min(len(old_ids), len(ctx))
            while shared < limit and old_ids[shared] == ctx[shared]:
                shared += 1
        if last is not None and shared == len(ctx):
            return (last[1] if shared == len(last[0]) else last[1].truncate(shared)), shared
        if shared >= MIN_REUSE_TOKENS:
            head = last[1].truncate(shared)
            cache = self.model.encode_context(torch.tensor([ctx[shared:]]), cache=head)
        else:
            shared = 0
            cache = self.model.encode_context(torch.tensor([ctx]))
        with self._context_lock:
            self._last_context = (list(ctx), cache)
        return cache, shared

    def token_substitutions(self, prefix: str, suffix: str, text: str, per_position: int = 2,
                            limit: int = 16) -> list[Substitution]:
        """One-token edits of ``text`` the model prefers, best first.

        Each token of ``text`` is masked alone (one canvas row per token, one batch sharing the
        context cache) and the model's distribution there, conditioned on both sides, proposes
        the ``per_position`` likeliest other tokens. A substitution's score is how much likelier
        the new token is than the one it replaces: the masked-LM way to find a wrong operator,
        constant or index (``<`` for ``<=``, ``1`` for ``0``).
        """
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = enc["input_ids"], enc["offset_mapping"]
        if not ids or len(ids) > MAX_INIT_TOKENS:
            return []
        with torch.inference_mode():
            cache, _ = self.encode_cached(self.encode_text(prefix, suffix))
            subs, _ = self._substitutions(cache, ids, offsets, text, per_position)
        return sorted(subs, key=lambda sub: -sub.score)[:limit]

    def token_edits(self, prefix: str, suffix: str, text: str, limit: int = 16,
                    proposals: tuple[int, ...] = (12, 6, 6, 6, 4, 8, 10)) -> list[Substitution]:
        """Small edits of ``text``, best first by how much they raise the model's
        pseudo-log-likelihood of the text.

        Proposals come from masked positions, as in ``token_substitutions``:

        - ``substitute``: the best ``proposals[0]`` one-token substitutions, and ``replace-all``:
          the same substitution at every place the replaced token occurs (``<`` for ``<=`` twice);
        - ``insert``: the ``proposals[1]`` likeliest tokens for a mask inserted between two tokens;
        - ``delete``: the ``proposals[2]`` deletions of the one or two tokens in a row the model
          finds least likely where they are;
        - ``swap``: the ``proposals[3]`` swaps of two different names or two numbers of the
          text (variables, not attributes or called names), the least likely pairs first
          (``right - left`` for ``left - right``, ``b[t][j]`` for ``b[j][t]``);
        - ``insert-2``: the ``proposals[4]`` best two-token insertions, each mask pair filled
          left to right (`` + 1`` after an index);
        - ``operator``: the ``proposals[5]`` first replacements of an operator by another of
          its family (``<`` ``<=`` ``>`` ``>=`` ``==`` ``!=``; ``+`` ``-`` ``*`` ``/`` ``//``
          ``%``; the augmented assignments; ``and`` ``or``; ``is`` ``is not``; ``in`` ``not
          in``), the operators the model finds least likely first. The model's own proposals
          come from its top tokens, and a small model often ranks the right operator below
          them; the family is the classic repair template, and the model still ranks the result.
          ``if`` and ``while`` are a family too where they open the statement;
        - ``off-by-one``: the ``proposals[6]`` first of: an existing ``+ 1`` / ``- 1`` removed,
          or one appended to an operand before a bracket, separator or comparison (the
          other classic template; the model rarely writes the two tokens itself).

        Each proposal, and ``text`` itself, is then scored by its pseudo-log-likelihood: the
        sum over its tokens, and the ``<|pad_end|>`` after them (the length), of log p(token |
        both sides and the rest of the text, that token masked). An edit's score is its gain
        over ``text``. Whitespace tokens are neither proposed nor deleted.
        """
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = enc["input_ids"], enc["offset_mapping"]
        if not ids or len(ids) > MAX_EDIT_TOKENS:
            return []
        n_sub, n_ins, n_del, n_swap, n_ins2, n_ops, n_obo = (tuple(proposals) + (0,) * 7)[:7]
        n = len(ids)
        blank_ids = set(self.sampler_special.blank)
        mask = self.special.mask
        with torch.inference_mode():
            cache, _ = self.encode_cached(self.encode_text(prefix, suffix))
            subs, seen = self._substitutions(cache, ids, offsets, text, 4)
            current = seen[torch.arange(n), torch.tensor(ids)]
            pool: dict[str, tuple[list[int], Substitution]] = {}

            def add(seq: list[int], position: int, kind: str) -> None:
                new = self.tokenizer.decode(seq)
                if new != text and new not in pool:
                    pool[new] = (seq, Substitution(new, 0.0, position, kind))

            def encode(new: str) -> list[int]:
                return self.tokenizer(new, add_special_tokens=False)["input_ids"]

            for sub in sorted(subs, key=lambda sub: -sub.score)[:n_sub]:
                seq = encode(sub.text)
                add(seq, sub.position, sub.kind)
                changed = [i for i in range(n) if i < len(seq) and seq[i] != ids[i]] if len(seq) == n else []
                if len(changed) == 1 and ids.count(ids[changed[0]]) > 1 and \
                        not _WORD.fullmatch(self.tokenizer.decode([ids[changed[0]]]).strip()):
                    old, tok = ids[changed[0]], seq[changed[0]]
                    add([tok if t == old else t for t in ids], sub.position, "replace-all")
            unproposable = self._unproposable()
            rows = [ids[:i] + [mask] + ids[i:] for i in range(n + 1)]
            logp = self._masked_logp(cache, rows, list(range(n + 1)))
            logp[:, unproposable] = float("-inf")
            top = logp.topk(2, dim=-1)
            inserts = sorted(((v, i, t) for i in range(n + 1)
                              for v, t in zip(top.values[i].tolist(), top.indices[i].tolist())), reverse=True)
            for _, i, tok in inserts[:n_ins]:
                add(ids[:i] + [tok] + ids[i:], offsets[i][0] if i < n else len(text), "insert")
            spans = [(float(current[i]), i, 1) for i in range(n) if ids[i] not in blank_ids]
            spans += [(float(current[i] + current[i + 1]), i, 2) for i in range(n - 1)
                      if ids[i] not in blank_ids and ids[i + 1] not in blank_ids]
            for _, i, width in sorted(spans)[:n_del]:
                add(ids[:i] + ids[i + width:], offsets[i][0], "delete")
            for new, position in self._name_swaps(text, ids, offsets, current)[:n_swap]:
                add(encode(new), position, "swap")
            for new, position in self._operator_swaps(text, offsets, current)[:n_ops]:
                add(encode(new), position, "operator")
            for new, position in self._off_by_one(text, offsets, current, logp)[:n_obo]:
                add(encode(new), position, "off-by-one")
            if n_ins2:
                first = self._masked_logp(cache, [ids[:i] + [mask, mask] + ids[i:] for i in range(n + 1)],
                                          list(range(n + 1)))
                first[:, unproposable] = float("-inf")
                a_val, a_tok = first.max(dim=-1)
                rows = [ids[:i] + [int(a_tok[i]), mask] + ids[i:] for i in range(n + 1)]
                second = self._masked_logp(cache, rows, [i + 1 for i in range(n + 1)])
                second[:, unproposable] = float("-inf")
                b_val, b_tok = second.max(dim=-1)
                pairs = sorted(range(n + 1), key=lambda i: -float(a_val[i] + b_val[i]))
                for i in pairs[:n_ins2]:
                    add(ids[:i] + [int(a_tok[i]), int(b_tok[i])] + ids[i:],
                        offsets[i][0] if i < n else len(text), "insert-2")
            if not pool:
                return []
            seqs = [ids] + [seq for seq, _ in pool.values()]
            pll = self._pseudo_loglik(cache, seqs)
        edits = [edit for _, edit in pool.values()]
        for edit, value in zip(edits, pll[1:]):
            edit.score = value - pll[0]
        return sorted(edits, key=lambda edit: -edit.score)[:limit]

    def _operator_swaps(self, text: str, offsets, current: torch.Tensor) -> list[tuple[str, int]]:
        """(new text, offset) for each operator of ``text`` replaced by another of its family,
        least likely operators (their first token masked alone) first."""
        found = []
        for m in _OPERATOR.finditer(text):
            op, a, b = m.group(), m.start(), m.end()
            family = next((f for f in _OPERATOR_FAMILIES if op in f), None)
            tok = _token_at(offsets, a)
            if family is None or tok is None or _inside_string(text, a) or \
                    (op in _HEADER_KEYWORDS and text[:a].strip()):
                continue
            for other in family:
                if other != op:
                    found.append((float(current[tok]), family.index(other), text[:a] + other + text[b:], a))
        return [(new, a) for *_, new, a in sorted(found, key=lambda f: f[:2])]

    def _off_by_one(self, text: str, offsets, current: torch.Tensor,
                     insert_logp: torch.Tensor) -> list[tuple[str, int]]:
        """(new text, offset) for the off-by-one template: an existing ``+ 1`` or ``- 1``
        removed (the least likely operators first), then `` + 1`` or `` - 1`` appended to an
        operand that ends before a closing bracket, a separator, a comparison or the end
        (``interval[1] - interval[0] + 1``), the places where the model finds the operator
        likeliest first (``insert_logp``: (n + 1, V), a mask inserted before each token)."""
        removals, appends = [], []
        for m in _OFF_BY_ONE.finditer(text):
            tok = _token_at(offsets, m.start(1))
            if tok is not None and not _inside_string(text, m.start()):
                removals.append((float(current[tok]), text[:m.start()] + text[m.end():], m.start()))
        n = len(offsets)
        operator_ids = {op: self.tokenizer(op[:2], add_special_tokens=False)["input_ids"] for op in (" + 1", " - 1")}
        for m in _OPERAND_END.finditer(text):
            end = m.end()
            if keyword.iskeyword(m.group()) or _inside_string(text, m.start()):
                continue
            at = next((i for i, (s, _) in enumerate(offsets) if s >= end), n)   # the boundary before it
            for op, tok in operator_ids.items():
                belief = float(insert_logp[at, tok[0]]) if len(tok) == 1 else float("-inf")
                appends.append((-belief, text[:end] + op + text[end:], end))
        return [(new, a) for _, new, a in sorted(removals)] + [(new, a) for _, new, a in sorted(appends)]

    def _name_swaps(self, text: str, ids: list[int], offsets, current: torch.Tensor) -> list[tuple[str, int]]:
        """(new text, offset) for swapping two occurrences of different variable names, or of
        two different numbers, least likely pairs first (by the log-probabilities of their
        first tokens, each masked alone). Attributes (after ``.``), called names (before
        ``(``), keywords and words inside string literals are left alone."""
        words = []
        for m in _WORD.finditer(text):
            word, a, b = m.group(), m.start(), m.end()
            if keyword.iskeyword(word) or text[:a].rstrip().endswith(".") or text[b:].lstrip().startswith("(") \
                    or _inside_string(text, a):
                continue
            tok = _token_at(offsets, a)
            if tok is not None:
                words.append((word, a, b, float(current[tok])))
        pairs = []
        for x, (w1, a1, b1, l1) in enumerate(words):
            for w2, a2, b2, l2 in words[x + 1:]:
                if w1 != w2 and w1[0].isdigit() == w2[0].isdigit():
                    new = text[:a1] + w2 + text[b1:a2] + w1 + text[b2:]
                    pairs.append((l1 + l2, new, a1))
        return [(new, a) for _, new, a in sorted(pairs)]

    def _unproposable(self) -> list[int]:
        """Tokens an edit never writes: specials, pad_end and whitespace (indentation edits
        are not fixes)."""
        return self.sampler_special.forbidden + [self.special.pad_end] + self.sampler_special.blank

    def _masked_logp(self, cache, rows: list[list[int]], at: list[int], chunk: int = 256) -> torch.Tensor:
        """log p over the vocabulary at position ``at[r]`` of canvas row ``r``: (R, V). Rows are
        ended with pad_end (the layout the model learned) up to the next multiple of
        ``SCORE_WIDTH_STEP``, so a row's numbers do not depend on the other rows of the batch."""
        widths = [SCORE_WIDTH_STEP * (len(r) // SCORE_WIDTH_STEP + 1) for r in rows]
        out = torch.empty(len(rows), self.model.config.vocab_size)
        pad = self.special.pad_end
        for width in sorted(set(widths)):
            idx = [i for i, w in enumerate(widths) if w == width]
            for s in range(0, len(idx), chunk):
                part = idx[s: s + chunk]
                canvas = torch.tensor([rows[i] + [pad] * (width - len(rows[i])) for i in part])
                out[part] = self.model.denoise(canvas, cache.expand(len(part)),
                                               at=torch.tensor([at[i] for i in part])).float()
        return torch.log_softmax(out, dim=-1)

    def _substitutions(self, cache, ids: list[int], offsets, text: str,
                       per_position: int) -> tuple[list[Substitution], torch.Tensor]:
        """Substitutions of each non-blank token (masked alone), and the log-probabilities
        (n, V) they were read from."""
        n = len(ids)
        rows = [ids[:i] + [self.special.mask] + ids[i + 1:] for i in range(n)]
        seen = self._masked_logp(cache, rows, list(range(n)))
        current = seen[torch.arange(n), torch.tensor(ids)]
        logp = seen.clone()
        logp[:, self._unproposable()] = float("-inf")
        logp[torch.arange(n), torch.tensor(ids)] = float("-inf")
        top = logp.topk(per_position, dim=-1)
        found: dict[str, Substitution] = {}
        blank_ids = set(self.sampler_special.blank)
        for i in range(n):
            if ids[i] in blank_ids:
                continue
            for value, tok in zip(top.values[i].tolist(), top.indices[i].tolist()):
                new = self.tokenizer.decode(ids[:i] + [tok] + ids[i + 1:])
                if new != text and new not in found:
                    found[new] = Substitution(new, value - float(current[i]), offsets[i][0])
        return list(found.values()), seen

    def _pseudo_loglik(self, cache, seqs: list[list[int]]) -> list[float]:
        """For each token sequence: sum over its tokens and the pad_end after them of
        log p(token | context, the rest of the sequence), that token masked alone."""
        rows, at, target, owner = [], [], [], []
        for k, ids in enumerate(seqs):
            full = ids + [self.special.pad_end]
            for i, tok in enumerate(full):
                rows.append(full[:i] + [self.special.mask] + full[i + 1:])
                at.append(i)
                target.append(tok)
                owner.append(k)
        logp = self._masked_logp(cache, rows, at)
        picked = logp[torch.arange(len(rows)), torch.tensor(target)]
        return torch.zeros(len(seqs)).index_add_(0, torch.tensor(owner), picked).tolist()

    def _rewrite(self, request: InfillRequest, model, cache, gen: torch.Generator, context_tokens: int,
                 t0: float, reused: int = 0) -> InfillResult:
        """One block whose canvas is ``init_text``'s tokens, some of them re-masked: a seeded
        share ``renoise``, or those overlapping ``remask_spans``. Only masked positions are
        denoised; pad_end may not come before the last kept token, so kept tokens stay, and
        only ``extra_tokens`` appended masks can end the middle early."""
        enc = self.tokenizer(request.init_text, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = enc["input_ids"], enc["offset_mapping"]
        if not ids:
            raise BackendError("there is nothing to rewrite: the selection is empty")
        if len(ids) > MAX_INIT_TOKENS:
            raise BackendError(f"the selection is too long to rewrite ({len(ids)} tokens, "
                               f"at most {MAX_INIT_TOKENS})")
        K, n_init, extra = request.candidates, len(ids), max(0, request.extra_tokens)
        N = n_init + extra
        canvas = torch.tensor([ids + [self.special.mask] * extra]).repeat(K, 1)     # (K, N)
        if request.remask_spans is not None:
            hit = [any(a < e and s < b for s, e in request.remask_spans) for a, b in offsets]
            remask = torch.tensor([hit + [True] * extra]).repeat(K, 1)
        else:
            noise = torch.rand(K, n_init, generator=gen)
            remask = noise < request.renoise
            remask |= noise == noise.min(dim=1, keepdim=True).values                 # at least one per row
            remask = torch.cat([remask, torch.ones(K, extra, dtype=torch.bool)], dim=1)
        canvas = torch.where(remask, torch.full_like(canvas, self.special.mask), canvas)
        kept = (~remask).long() * torch.arange(1, N + 1)                             # position + 1 if kept
        min_tokens = max(1, int(kept.max())) if extra else N                         # no pad before a kept token
        from dataclasses import replace
        # require_content: a fully re-masked text must still say something (kept tokens do).
        cfg = replace(request.sampler, min_tokens=min_tokens, require_content=request.remask_spans is not None)
        res = denoise(model, cache, canvas, self.sampler_special, cfg, gen)
        candidates = []
        for i in range(K):
            row = res.tokens[i].tolist()
            if self.special.pad_end in row:
                row = row[: row.index(self.special.pad_end)]
            n = max(1, int(remask[i].sum()))
            candidates.append(Candidate(self.tokenizer.decode(row), float(res.logprob[i]) / n, len(row)))
        return InfillResult(candidates, res.forward_passes, (time.perf_counter() - t0) * 1000, context_tokens,
                            reused)


class Cancellable:
    """A model (anything with ``denoise``) as the sampler sees it, polling a cancel callback
    before each forward pass."""

    def __init__(self, model, cancelled: Callable[[], bool]):
        self.model, self.cancelled = model, cancelled

    def denoise(self, canvas: torch.Tensor, cache) -> torch.Tensor:
        if self.cancelled():
            raise RequestCancelled("the request was cancelled")
        return self.model.denoise(canvas, cache)


def _candidate_sampler(cfg: SamplerConfig, block: int) -> SamplerConfig:
    """Later blocks may end at their first position: only the first block must say something."""
    if block == 0:
        return cfg
    from dataclasses import replace
    return replace(cfg, min_tokens=0, require_content=False)


def load_backend(model: str | None = None, threads: int | None = None, **options) -> Backend:
    """The backend a configuration names: the embedded model by default, a model folder
    (dispatched on its model_type), or a remote server (``endpoint=``); see ``engine.backends``."""
    from .backends import select
    return select(model, threads, **options)
