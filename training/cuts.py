"""Fill-in-the-middle training examples: cuts shaped like editing gaps, laid out as inference lays them out.

An example is a cut of one source file into prefix / middle / suffix. Cuts are shaped like
real editing gaps: a whole line (cursor at a line start, the middle is the line with its
indentation and newline, as in HumanEval single-line infilling), a span of lines, the rest of
a line, a random character span, and (off by default) a span of lines that binds a name the
code after it uses. The context is laid out as

    <|fim_prefix|> prefix <|fim_suffix|> suffix <|fim_middle|> [middle head]

(``engine.tokenizer.context_ids``, shared with inference) and the canvas holds the next ``canvas_length`` middle tokens followed by ``<|pad_end|>``.
With some probability the start of the middle is moved into the context (after
``<|fim_middle|>``), which is exactly what block-by-block continuation sees at inference.
"""

from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass

from engine.tokenizer import SpecialIds, context_ids


@dataclass(frozen=True)
class FimBudget:
    prefix_tokens: int = 256     # most prefix tokens kept (the tail nearest the cursor)
    suffix_tokens: int = 64      # most suffix tokens kept (the head nearest the cursor)
    canvas_length: int = 32


def canvas_targets(middle_ids: list[int], canvas_length: int, pad_end: int) -> list[int]:
    """The canvas a sample should denoise to: middle, then pad_end to the canvas length."""
    body = middle_ids[:canvas_length]
    return body + [pad_end] * (canvas_length - len(body))


# ---------------------------------------------------------------------------------------------
# Cuts (character level).

def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def cut_lines(text: str, rng: random.Random, max_lines: int) -> tuple[int, int]:
    """A span of 1..max_lines whole non-blank lines, as (start, end) char offsets."""
    starts = _line_starts(text)
    n = len(starts)
    for _ in range(8):
        i = rng.randrange(n)
        j = min(n, i + rng.randint(1, max_lines))
        start, end = starts[i], starts[j] if j < n else len(text)
        if text[start:end].strip():
            return start, end
    return starts[0], starts[min(1, n - 1)] if n > 1 else len(text)


def cut_rest_of_line(text: str, rng: random.Random) -> tuple[int, int]:
    """Cursor inside a line; the middle runs to the end of that line (keeping the newline)."""
    start, end = cut_lines(text, rng, 1)
    line = text[start:end]
    indent = len(line) - len(line.lstrip(" "))
    body_end = len(line.rstrip("\n"))
    if body_end - indent < 2:
        return start, end
    cursor = start + rng.randint(indent, body_end - 1)
    # Sometimes stop before the closing brackets, which the suffix then keeps.
    if rng.random() < 0.3:
        stripped = line[: body_end].rstrip(")]}:,")
        return cursor, max(cursor + 1, start + len(stripped))
    return cursor, end


_BINDS = re.compile(r"^[ \t]*(?:(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)|for[ \t]+(\w+)|(\w+)[ \t]*(?:[-+*/|&]?=)(?!=))",
                    re.MULTILINE)


def cut_needed_lines(text: str, rng: random.Random, max_lines: int = 8, tries: int = 8) -> tuple[int, int]:
    """2..max_lines whole lines that start by binding a name the code after them uses.

    The suffix then shows that the gap is more than one line (a name it reads is bound
    nowhere before it nearby), which whole-line and random-span cuts rarely teach: a model
    trained on them answers a multi-line gap with one line. Falls back to ``cut_lines``.
    """
    binds = [(m.start(), next(g for g in m.groups() if g)) for m in _BINDS.finditer(text)]
    if binds:
        starts = _line_starts(text)
        for _ in range(tries):
            start, name = rng.choice(binds)
            j = bisect.bisect_right(starts, start) - 1 + rng.randint(2, max_lines)
            end = starts[j] if j < len(starts) else len(text)
            word = re.compile(rf"\b{re.escape(name)}\b")
            if word.search(text, end, end + 600) and not word.search(text, max(0, start - 600), start):
                return start, end
    return cut_lines(text, rng, max_lines)


def cut_chars(text: str, rng: random.Random, max_chars: int = 120) -> tuple[int, int]:
    start = rng.randrange(max(1, len(text) - 1))
    return start, min(len(text), start + rng.randint(1, max_chars))


CUTS = {
    "line": (0.40, lambda t, r: cut_lines(t, r, 1)),
    "lines": (0.25, lambda t, r: cut_lines(t, r, 8)),
    "rest_of_line": (0.20, cut_rest_of_line),
    "chars": (0.15, cut_chars),
    "needed_lines": (0.0, cut_needed_lines),   # off by default; --cut-weights turns it on
}
DEFAULT_CUT_WEIGHTS = {name: weight for name, (weight, _) in CUTS.items()}


def parse_cut_weights(spec: str) -> dict[str, float]:
    """``"line=0.5,lines=0.3"`` -> weights for those cuts; cuts not named keep no weight.

    An empty spec means the default mix (``CUTS``). Raises ValueError naming a bad entry.
    """
    if not spec.strip():
        return dict(DEFAULT_CUT_WEIGHTS)
    weights: dict[str, float] = {}
    for item in spec.split(","):
        name, sep, value = item.partition("=")
        name = name.strip()
        if name not in CUTS or not sep:
            raise ValueError(f"cut weight {item.strip()!r}: expected NAME=WEIGHT with NAME one of {', '.join(CUTS)}")
        try:
            weights[name] = float(value)
        except ValueError:
            raise ValueError(f"cut weight {item.strip()!r}: {value.strip()!r} is not a number") from None
        if weights[name] < 0:
            raise ValueError(f"cut weight {item.strip()!r} is negative")
    if sum(weights.values()) <= 0:
        raise ValueError(f"cut weights {spec!r} sum to zero")
    return weights


def random_cut(text: str, rng: random.Random, weights: dict[str, float] | None = None) -> tuple[int, int]:
    weights = weights or DEFAULT_CUT_WEIGHTS
    names = list(weights)
    kind = rng.choices(names, weights=[weights[k] for k in names])[0]
    return CUTS[kind][1](text, rng)


# ---------------------------------------------------------------------------------------------

@dataclass
class Example:
    context: list[int]
    canvas: list[int]          # targets, length canvas_length
    content_len: int           # how many canvas targets are middle tokens (the rest pad_end)


def make_span_example(text: str, tokenizer, special: SpecialIds, budget: FimBudget,
                      rng: random.Random) -> Example:
    """A long canvas of plain code after a short context: whole-window masked diffusion.

    Every canvas position carries loss, so these examples put far more of each step's
    compute into learning signal than gap-shaped ones (whose middles are ~10 tokens).
    ``budget.canvas_length`` is the span length; the suffix is the text after the span.
    """
    starts = _line_starts(text)
    start = starts[rng.randrange(len(starts))]
    span_chars = budget.canvas_length * 4
    prefix = text[max(0, start - budget.prefix_tokens * 5): start]
    middle = text[start: start + span_chars]
    suffix = text[start + span_chars: start + span_chars + budget.suffix_tokens * 5]
    enc = tokenizer([prefix, middle, suffix], add_special_tokens=False)["input_ids"]
    prefix_ids = enc[0][-budget.prefix_tokens:] if budget.prefix_tokens else []
    middle_ids = enc[1][: budget.canvas_length]
    # The suffix follows the canvas only if the span was not cut short of the canvas.
    suffix_ids = enc[2][: budget.suffix_tokens] if len(enc[1]) <= budget.canvas_length else []
    canvas = canvas_targets(middle_ids, budget.canvas_length, special.pad_end)
    return Example(context_ids(prefix_ids, suffix_ids, special), canvas, len(middle_ids))


def make_example(text: str, tokenizer, special: SpecialIds, budget: FimBudget,
                 rng: random.Random, continuation_share: float = 0.2,
                 cut_weights: dict[str, float] | None = None) -> Example:
    """Cut one document and tokenize the pieces separately, as inference does."""
    start, end = random_cut(text, rng, cut_weights)
    # Character windows a little wider than the token budgets (about 3 chars per token).
    prefix = text[max(0, start - budget.prefix_tokens * 5): start]
    suffix = text[end: end + budget.suffix_tokens * 5]
    middle = text[start:end]
    enc = tokenizer(
        [prefix, suffix, middle], add_special_tokens=False)["input_ids"]
    # Random prefix/suffix lengths make the model robust to short contexts (file starts, budgets).
    p_keep = budget.prefix_tokens if rng.random() < 0.7 else rng.randint(0, budget.prefix_tokens)
    s_keep = budget.suffix_tokens if rng.random() < 0.7 else rng.randint(0, budget.suffix_tokens)
    prefix_ids = enc[0][-p_keep:] if p_keep else []
    suffix_ids = enc[1][:s_keep]
    middle_ids = enc[2]
    head: list[int] = []
    if len(middle_ids) > 2 and rng.random() < continuation_share:
        cut = rng.randint(1, min(len(middle_ids) - 1, 48))
        head, middle_ids = middle_ids[:cut], middle_ids[cut:]
    canvas = canvas_targets(middle_ids, budget.canvas_length, special.pad_end)
    return Example(context_ids(prefix_ids, suffix_ids, special, head), canvas,
                   min(len(middle_ids), budget.canvas_length))
