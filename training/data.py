"""Training data: endless fill-in-the-middle batches from the corpus, and the set-up that builds
the corpus and the tokenizer when a run starts without them."""

from __future__ import annotations

import bisect
import copy
import random
import sys
from pathlib import Path

import torch

from engine.tokenizer import SpecialIds, load_tokenizer

from .corpus import build_corpus, default_bench_dir, load_texts
from .cuts import FimBudget, make_example, make_span_example
from .export import TrainingError
from .tokenizer import train_tokenizer

# ---------------------------------------------------------------------------------------------
# Data.

class ExampleStream:
    """Random FIM examples from documents drawn in proportion to their length."""

    def __init__(self, texts: list[str], tokenizer, special: SpecialIds, budget: FimBudget, seed: int,
                 span_budget: FimBudget | None = None, cut_weights: dict[str, float] | None = None,
                 long_budget: FimBudget | None = None, long_cut_weights: dict[str, float] | None = None):
        self.texts = texts
        self.span_budget = span_budget
        self.cut_weights = cut_weights
        self.long_budget, self.long_cut_weights = long_budget, long_cut_weights
        self.cum = []
        total = 0
        for t in texts:
            total += len(t)
            self.cum.append(total)
        self.tokenizer, self.special, self.budget = tokenizer, special, budget
        self.rng = random.Random(seed)

    def sample(self, span: bool = False, long: bool = False):
        i = bisect.bisect_right(self.cum, self.rng.random() * self.cum[-1])
        text = self.texts[min(i, len(self.texts) - 1)]
        if span:
            return make_span_example(text, self.tokenizer, self.special, self.span_budget, self.rng)
        if long:
            return make_example(text, self.tokenizer, self.special, self.long_budget, self.rng,
                                cut_weights=self.long_cut_weights)
        return make_example(text, self.tokenizer, self.special, self.budget, self.rng,
                            cut_weights=self.cut_weights)

    def batch(self, n: int, span: bool = False, long: bool = False):
        """A batch of gap-shaped examples, or (span=True) of long plain-code spans, or
        (long=True) of long gaps (multi-line cuts on the long canvas)."""
        return collate([self.sample(span, long) for _ in range(n)], self.special.pad_end)

    def draw(self, n: int, span_share: float, long_share: float = 0.0):
        """A training batch: long plain-code spans with probability ``span_share``, long gaps
        with probability ``long_share``, else gaps (one draw: with no long share the data
        order is what it was before long gaps existed)."""
        r = self.rng.random()
        return self.batch(n, span=r < span_share, long=span_share <= r < span_share + long_share)


class BatchSource(torch.utils.data.IterableDataset):
    """Endless batches made in worker processes (``--workers``), for accelerators.

    Each worker draws from its own stream, seeded by the run seed, the worker and the step
    the run resumed at; unlike the in-process stream, the data order is not restored exactly
    on resume (fresh cuts instead).
    """

    def __init__(self, stream: ExampleStream, batch_size: int, span_share: float, seed: int,
                 long_share: float = 0.0):
        self.stream, self.batch_size, self.span_share, self.seed = stream, batch_size, span_share, seed
        self.long_share = long_share

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        stream = copy.copy(self.stream)
        stream.rng = random.Random(self.seed * 7919 + (info.id if info else 0))
        while True:
            yield stream.draw(self.batch_size, self.span_share, self.long_share)


def collate(examples, pad_id: int):
    """Left-pad contexts: (context (B, T), valid (B, T), canvas targets (B, N))."""
    T = max(len(e.context) for e in examples)
    ctx = torch.full((len(examples), T), pad_id, dtype=torch.long)
    valid = torch.zeros((len(examples), T), dtype=torch.bool)
    for i, e in enumerate(examples):
        ctx[i, T - len(e.context):] = torch.tensor(e.context)
        valid[i, T - len(e.context):] = True
    canvas = torch.tensor([e.canvas for e in examples], dtype=torch.long)
    return ctx, valid, canvas


# ---------------------------------------------------------------------------------------------
# Set-up.

def prepare_data(cfg: TrainConfig):
    data = Path(cfg.data_dir)
    corpus = data / "corpus"
    if not (corpus / "train.jsonl").exists():
        bench = Path(cfg.bench_dir) if cfg.bench_dir else default_bench_dir()
        print(f"building corpus in {corpus} (decontaminating against {bench})", file=sys.stderr)
        manifest = build_corpus(corpus, bench)
        print(f"corpus: {manifest['files_kept']} files, {manifest['bytes_kept'] / 1e6:.1f} MB, "
              f"skipped {manifest['skipped']}", file=sys.stderr)
    train_texts = load_texts(corpus / "train.jsonl")
    valid_texts = load_texts(corpus / "valid.jsonl")
    if not train_texts:
        raise TrainingError(f"the corpus in {corpus} has no training files")
    if not valid_texts:  # a tiny corpus can hash every file into the training split
        print("warning: no held-out files; validating on the last training file", file=sys.stderr)
        valid_texts = train_texts[-1:]
    tok_dir = data / "tokenizer"
    if not (tok_dir / "tokenizer.json").exists():
        sample, n = [], 0
        for t in random.Random(0).sample(train_texts, len(train_texts)):
            sample.append(t)
            n += len(t)
            if n > 25_000_000:
                break
        print(f"training tokenizer ({cfg.vocab_size} tokens) on {n / 1e6:.0f} MB", file=sys.stderr)
        train_tokenizer(sample, cfg.vocab_size, tok_dir)
    return train_texts, valid_texts, load_tokenizer(tok_dir)
