"""Token-level scoring with a canvas denoiser: masked log-probabilities, small edits, likelihoods.

``TokenScorer`` reads a text the way the model reads a gap's middle, both sides in view, one
canvas row per masked position and every row of a call in one batch over the shared context
cache:

- ``token_substitutions``: each token masked alone; the likeliest other tokens there;
- ``token_edits``: substitutions, insertions, deletions and two-token insertions the model
  proposes, plus the edits of any ``EditTemplate`` the caller gives (a language's repair
  templates live with the caller), all ranked by the gain in pseudo-log-likelihood;
- ``likelihood``: the pseudo-log-likelihood of whole texts in the gap (a long text read in a
  few rows, every k-th token masked in each, so its cost grows linearly).

It knows tokens and the model, not a programming language.
"""

from __future__ import annotations

import re
from typing import Callable

import torch

from .api import EditTemplate, Substitution, TokenView

MAX_INIT_TOKENS = 512                 # longest text token_substitutions accepts
MAX_EDIT_TOKENS = 64                  # longest text token_edits scores (its cost grows with the square)
SCORE_WIDTH_STEP = 16                 # scoring canvases are padded to a multiple of this
LIKELIHOOD_SPREAD = 4                 # likelihood reads a text in at most this many rows (``_pseudo_loglik``)
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|[0-9]+(?:\.[0-9]+)?")


class TokenScorer:
    """Scoring over one model. ``context(prefix, suffix)`` gives the batch-1 context cache;
    ``special`` the model's special ids, ``sampler_special`` what the sampler may not write."""

    def __init__(self, model, tokenizer, special, sampler_special, context: Callable):
        self.model, self.tokenizer, self.special = model, tokenizer, special
        self.sampler_special, self.context = sampler_special, context

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _tokens(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return enc["input_ids"], enc["offset_mapping"]

    def token_substitutions(self, prefix: str, suffix: str, text: str, per_position: int = 2,
                            limit: int = 16) -> list[Substitution]:
        """One-token edits of ``text`` the model prefers, best first.

        Each token of ``text`` is masked alone (one canvas row per token, one batch sharing the
        context cache) and the model's distribution there, conditioned on both sides, proposes
        the ``per_position`` likeliest other tokens. A substitution's score is how much likelier
        the new token is than the one it replaces: the masked-LM way to find a wrong operator,
        constant or index (``<`` for ``<=``, ``1`` for ``0``).
        """
        ids, offsets = self._tokens(text)
        if not ids or len(ids) > MAX_INIT_TOKENS:
            return []
        with torch.inference_mode():
            cache = self.context(prefix, suffix)
            subs, _ = self._substitutions(cache, ids, offsets, text, per_position)
        return sorted(subs, key=lambda sub: -sub.score)[:limit]

    def token_edits(self, prefix: str, suffix: str, text: str, limit: int = 16,
                    proposals: tuple[int, ...] = (12, 6, 6, 4),
                    templates: tuple[EditTemplate, ...] = ()) -> list[Substitution]:
        """Small edits of ``text``, best first by how much they raise the model's
        pseudo-log-likelihood of the text.

        The model proposes (``proposals`` = how many of each):

        - ``substitute``: the best one-token substitutions (as ``token_substitutions``), and
          ``replace-all``: the same substitution at every place the replaced token occurs, for a
          token that is not a word (``<`` for ``<=`` twice);
        - ``insert``: the likeliest tokens for a mask inserted between two tokens;
        - ``delete``: deletions of the one or two tokens in a row the model finds least likely
          where they are;
        - ``insert-2``: the best two-token insertions, each mask pair filled left to right;

        and each ``EditTemplate`` proposes its own (after the deletions, before the two-token
        insertions; the first kind to propose a text keeps it). Each proposal, and ``text``
        itself, is then scored by its pseudo-log-likelihood: the sum over its tokens, and the
        ``<|pad_end|>`` after them (the length), of log p(token | both sides and the rest of the
        text, that token masked). An edit's score is its gain over ``text``. Whitespace tokens
        are neither proposed nor deleted.
        """
        ids, offsets = self._tokens(text)
        if not ids or len(ids) > MAX_EDIT_TOKENS:
            return []
        n_sub, n_ins, n_del, n_ins2 = (tuple(proposals) + (0,) * 4)[:4]
        n = len(ids)
        blank_ids = set(self.sampler_special.blank)
        mask = self.special.mask
        with torch.inference_mode():
            cache = self.context(prefix, suffix)
            subs, seen = self._substitutions(cache, ids, offsets, text, 4)
            current = seen[torch.arange(n), torch.tensor(ids)]
            pool: dict[str, tuple[list[int], Substitution]] = {}

            def add(seq: list[int], position: int, kind: str) -> None:
                new = self.tokenizer.decode(seq)
                if new != text and new not in pool:
                    pool[new] = (seq, Substitution(new, 0.0, position, kind))

            for sub in sorted(subs, key=lambda sub: -sub.score)[:n_sub]:
                seq = self._encode(sub.text)
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
            view = TokenView(text, [tuple(o) for o in offsets], current.tolist(),
                             lambda at, piece: self._insert_belief(logp, offsets, at, piece))
            for template in templates:
                for new, position in template.propose(view)[:template.count]:
                    add(self._encode(new), position, template.kind)
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

    def likelihood(self, prefix: str, suffix: str, texts: list[str]) -> list[float]:
        """Pseudo-log-likelihood of each text as the gap's middle (its tokens and the
        ``<|pad_end|>`` after them), read in at most ``LIKELIHOOD_SPREAD`` rows per text: a
        short text has each token masked alone, a longer one every ``LIKELIHOOD_SPREAD``-th
        token masked together (``_pseudo_loglik``). Texts over ``MAX_EDIT_TOKENS`` tokens get
        -inf."""
        seqs = [self._encode(t) for t in texts]
        fits = [i for i, s in enumerate(seqs) if len(s) <= MAX_EDIT_TOKENS]
        out = [float("-inf")] * len(texts)
        if fits:
            with torch.inference_mode():
                scores = self._pseudo_loglik(self.context(prefix, suffix), [seqs[i] for i in fits],
                                             spread=LIKELIHOOD_SPREAD)
            for i, value in zip(fits, scores):
                out[i] = value
        return out

    # -- the machinery ---------------------------------------------------------------------------

    def _insert_belief(self, logp: torch.Tensor, offsets, at: int, piece: str) -> float:
        """log p of ``piece`` (one token, else -inf) inserted at the token boundary at or after
        character ``at``: the row of ``logp`` (a mask inserted before each token) for it."""
        tok = self._encode(piece)
        boundary = next((i for i, (s, _) in enumerate(offsets) if s >= at), len(offsets))
        return float(logp[boundary, tok[0]]) if len(tok) == 1 else float("-inf")

    def _unproposable(self) -> list[int]:
        """Tokens an edit never writes: specials, pad_end and whitespace (indentation edits
        are not fixes)."""
        return self.sampler_special.forbidden + [self.special.pad_end] + self.sampler_special.blank

    def _masked_logp(self, cache, rows: list[list[int]], at: list[int], chunk: int = 256) -> torch.Tensor:
        """log p over the vocabulary at position ``at[r]`` of canvas row ``r``: (R, V)."""
        return self._masked_logp_at(cache, rows, list(enumerate(at)), chunk)

    def _masked_logp_at(self, cache, rows: list[list[int]], picks: list[tuple[int, int]],
                        chunk: int = 256) -> torch.Tensor:
        """log p over the vocabulary at each ``(row, position)`` of ``picks``: (P, V), in the
        order of ``picks``. Rows are ended with pad_end (the layout the model learned) up to the
        next multiple of ``SCORE_WIDTH_STEP``, so a row's numbers do not depend on the other
        rows of the batch."""
        widths = [SCORE_WIDTH_STEP * (len(r) // SCORE_WIDTH_STEP + 1) for r in rows]
        by_row: dict[int, list[int]] = {}
        for p, (r, _) in enumerate(picks):
            by_row.setdefault(r, []).append(p)
        out = torch.empty(len(picks), self.model.config.vocab_size)
        pad = self.special.pad_end
        for width in sorted(set(widths)):
            idx = [i for i, w in enumerate(widths) if w == width and i in by_row]
            for s in range(0, len(idx), chunk):
                part = idx[s: s + chunk]
                canvas = torch.tensor([rows[i] + [pad] * (width - len(rows[i])) for i in part])
                local = [(k, p) for k, i in enumerate(part) for p in by_row[i]]
                at = (torch.tensor([k for k, _ in local]), torch.tensor([picks[p][1] for _, p in local]))
                out[[p for _, p in local]] = self.model.denoise(canvas, cache.expand(len(part)), at=at).float()
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

    def _pseudo_loglik(self, cache, seqs: list[list[int]], spread: int | None = None) -> list[float]:
        """For each token sequence: sum over its tokens and the pad_end after them of
        log p(token | context, the rest of the sequence), that token masked alone.

        With ``spread`` k, a sequence of more than k tokens (its pad_end counted) is read in k
        rows instead of one row per token: row j masks every token i with i % k == j, so each
        token is read with all but every k-th of the others in view. The cost of a long text
        grows linearly, not with its square; a sequence of k tokens or fewer reads exactly as
        without ``spread``."""
        rows, picks, target, owner = [], [], [], []
        for k, ids in enumerate(seqs):
            full = ids + [self.special.pad_end]
            step = len(full) if spread is None else min(len(full), spread)
            for j in range(step):
                r = len(rows)
                rows.append([self.special.mask if i % step == j else tok for i, tok in enumerate(full)])
                for i in range(j, len(full), step):
                    picks.append((r, i))
                    target.append(full[i])
                    owner.append(k)
        logp = self._masked_logp_at(cache, rows, picks)
        picked = logp[torch.arange(len(picks)), torch.tensor(target)]
        return torch.zeros(len(seqs)).index_add_(0, torch.tensor(owner), picked).tolist()
