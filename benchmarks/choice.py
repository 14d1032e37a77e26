"""Choosing among the judged candidates: how well the shipped choice does against the best
choice among the same candidates, and whether other signals choose better.

    python benchmarks/real_code.py run --split all --threads 1 --known-names-ms 300 --rows /tmp/rows.json
    python benchmarks/choice.py --rows /tmp/rows.json [--likelihood] [--mlp]

From the rows of a real-code run (every judged candidate the checks pass, with its confidence
features), per split: the shipped choice's exact-match and first-name rates, and the best
choice among the same candidates (the ceiling of any ranking of them); where the test split's
missed exact answers were (a known name's draft, a retrieval draft, a sample). Then the choice
refitted with each group of signals added to the shipped features (a logistic regression,
``confidence.fit``, label exact match or right first name), fitted on dev and scored on test,
and in five folds by package over both splits (more to fit on; no package in two folds):

- ``shipped``: the shipped features alone (the refit's baseline);
- ``cache``: a token n-gram model of the file itself, prefix and suffix (orders 1-4, absolute
  discounting; the "cache" model of Tu et al., 2014, on the localness of code): the candidate's
  mean log-probability after the three tokens before the cursor, its first token's, and how much
  it raises the first tokens after the gap;
- ``names``: the name ranker's probability (``name_ranking``, softmax over the names the
  document defines, tree-sitter) of the candidate's first name, its log, and whether it is the top one;
- ``likelihood`` (``--likelihood``, the embedded model, about 0.4 s a task on one thread): the
  model's mean pseudo-log-likelihood of the candidate with the whole context, and that minus the
  same with the cursor's line alone (pointwise mutual information, as Holtzman et al., 2021,
  correct surface-form competition);
- ``mlp`` (``--mlp``): a one-hidden-layer network over the shipped features and their
  difference to the list's best, trained listwise (softmax over a gap's candidates).

Prints a table and writes a summary to ``benchmarks/results/choice.json``. The rows hold other
projects' code and stay where ``--rows`` put them.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import math
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import real_code as rc  # noqa: E402
from infill.confidence import FEATURES, fit  # noqa: E402

FOLDS = 5
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d+(?:\.\d+)?|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'"
                    r"|\n[ \t]*|==|!=|<=|>=|\*\*|//|->|\S")


def tokens(text: str) -> list[str]:
    return ["<NL>" if t.startswith("\n") else t for t in _TOKEN.findall(text)]


class CacheModel:
    """An n-gram model of one file's tokens (interpolated absolute discounting)."""

    def __init__(self, streams: list[list[str]], order: int = 4, discount: float = 0.75):
        self.order, self.d = order, discount
        self.grams = [collections.Counter() for _ in range(order + 1)]
        self.heads = [collections.Counter() for _ in range(order + 1)]
        self.types = [collections.defaultdict(set) for _ in range(order + 1)]
        for s in streams:
            for i in range(len(s)):
                for n in range(1, min(order, i + 1) + 1):
                    g = tuple(s[i - n + 1:i + 1])
                    self.grams[n][g] += 1
                    self.heads[n][g[:-1]] += 1
                    self.types[n][g[:-1]].add(g[-1])
        self.floor = 1.0 / (len(self.grams[1]) + 1000)

    def logp(self, history: list[str], words: list[str]) -> float:
        total, h = 0.0, list(history)
        for w in words:
            p = self.floor
            for n in range(1, self.order + 1):
                if len(h) < n - 1:
                    break
                head = tuple(h[len(h) - n + 1:]) if n > 1 else ()
                seen = self.heads[n].get(head, 0)
                if seen:
                    p = (max(self.grams[n].get(head + (w,), 0) - self.d, 0) / seen
                         + self.d * len(self.types[n][head]) / seen * p)
            total += math.log(p)
            h.append(w)
        return total


def cache_signals(task: dict, texts: list[str]) -> list[list[float]]:
    before, after = tokens(task["prefix"]), tokens(task["suffix"])
    model = CacheModel([before, after])
    history, future = before[-3:], after[:4]
    base = model.logp(history, future)
    out = []
    for text in texts:
        own = tokens(text)
        if not own:
            out.append([0.0, 0.0, 0.0])
            continue
        out.append([model.logp(history, own) / len(own), model.logp(history, own[:1]),
                    model.logp((history + own)[-3:], future) - base])
    return out


def name_signals(task: dict, texts: list[str]) -> list[list[float]]:
    from infill import name_ranking, names
    from infill.doc_names import document_names

    text, offset = task["prefix"] + task["suffix"], len(task["prefix"])
    slot = names.name_slot(task["prefix"][-400:])
    probs: dict[str, float] = {}
    if slot is not None:
        kinds, fitting = names.fitting(slot, document_names(text, offset, "python", slot))
        scorer = name_ranking.Scorer(names.ranking_context(slot, text, offset), slot.partial)
        scores = {n: scorer(n, kinds[n]) for n in fitting}
        if scores:
            top = max(scores.values())
            z = sum(math.exp(v - top) for v in scores.values())
            probs = {n: math.exp(v - top) / z for n, v in scores.items()}
    best = max(probs.values(), default=None)
    out = []
    for t in texts:
        p = probs.get(rc.first_name((slot.partial if slot else "") + t), 0.0)
        out.append([p, math.log(p + 1e-3), float(best is not None and p == best)])
    return out


class Likelihood:
    def __init__(self):
        import torch

        from infill.backends import get_backend
        from infill.config import InfillOptions
        torch.set_num_threads(1)
        self.backend = get_backend(InfillOptions(threads=1))

    def __call__(self, task: dict, texts: list[str]) -> list[list[float]]:
        b, prefix = self.backend, task["prefix"]
        line = prefix[prefix.rfind("\n") + 1:]
        sizes = [b.count_tokens(t) + 1 for t in texts]
        whole = b.likelihood(prefix, task["suffix"], texts)
        alone = b.likelihood(line, "\n", texts)
        return [[max(-10.0, w / n), max(-10.0, w / n) - max(-10.0, a / n)] for w, a, n in zip(whole, alone, sizes)]


def standing(row: dict) -> list[dict]:
    return [j for j in row["judged"] if j["confidence"] > 0 and j["text"].strip()]


def fold_of(task_id: str) -> int:
    return int(hashlib.md5(task_id.split("/")[0].encode()).hexdigest(), 16) % FOLDS


def source(features: list[float]) -> str:
    named, retrieved = features[FEATURES.index("name_draft")], features[FEATURES.index("retrieved")]
    return "name draft" if named else "retrieval draft" if retrieved else "sample"


def refit(lists: list[tuple[dict, list[dict]]], group: str, label: str) -> dict:
    """Dev -> test and the package folds, for ``group``'s signals added to the shipped features."""
    def x(c):
        return c["features"] + c["extra"].get(group, [])

    def evaluate(train, held):
        w = fit([(x(c), c[label]) for _, cs in train for c in cs])
        got = collections.Counter()
        for _, cs in held:
            got["n"] += 1
            if cs:
                best = max(cs, key=lambda c: sum(a * b for a, b in zip(x(c), w)))
                got["exact"] += best["exact"]
                got["first_name"] += best["first_name"]
        return got

    split = evaluate([t for t in lists if t[0]["split"] == "dev"], [t for t in lists if t[0]["split"] == "test"])
    folds = collections.Counter()
    for k in range(FOLDS):
        folds.update(evaluate([t for t in lists if fold_of(t[0]["task_id"]) != k],
                              [t for t in lists if fold_of(t[0]["task_id"]) == k]))
    return {"test_exact": round(split["exact"] / split["n"], 4), "test_first_name": round(split["first_name"] / split["n"], 4),
            "folds_exact": round(folds["exact"] / folds["n"], 4), "folds_first_name": round(folds["first_name"] / folds["n"], 4)}


def mlp(lists: list[tuple[dict, list[dict]]], label: str, hidden: int = 16, epochs: int = 60) -> dict:
    """The package folds with a one-hidden-layer listwise network over the shipped features."""
    import torch

    def matrix(cs):
        x = torch.tensor([c["features"] for c in cs], dtype=torch.float32)
        return torch.cat([x, x - x.max(0).values], 1)

    got = collections.Counter()
    for k in range(FOLDS):
        train = [(matrix(cs), torch.tensor([float(c[label]) for c in cs])) for r, cs in lists
                 if cs and fold_of(r["task_id"]) != k and any(c[label] for c in cs)]
        allx = torch.cat([x for x, _ in train])
        mu, sd = allx.mean(0), allx.std(0) + 1e-6
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(allx.shape[1], hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
        opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-3)
        for epoch in range(epochs):
            order = torch.randperm(len(train), generator=torch.Generator().manual_seed(epoch)).tolist()
            for i in range(0, len(order), 32):
                loss = sum(-(torch.log_softmax(net((x - mu) / sd).squeeze(-1), 0) * y / y.sum()).sum()
                           for x, y in (train[j] for j in order[i:i + 32]))
                opt.zero_grad()
                (loss / 32).backward()
                opt.step()
        with torch.no_grad():
            for r, cs in lists:
                if fold_of(r["task_id"]) != k:
                    continue
                got["n"] += 1
                if cs:
                    best = cs[int(net((matrix(cs) - mu) / sd).squeeze(-1).argmax())]
                    got["exact"] += best["exact"]
                    got["first_name"] += best["first_name"]
    return {"folds_exact": round(got["exact"] / got["n"], 4), "folds_first_name": round(got["first_name"] / got["n"], 4)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", required=True, help="rows of `real_code.py run --split all --rows`")
    p.add_argument("--likelihood", action="store_true", help="also the model's likelihood signals (slow)")
    p.add_argument("--mlp", action="store_true", help="also a listwise network over the shipped features")
    p.add_argument("--out", default=str(HERE / "results" / "choice.json"))
    args = p.parse_args()

    data = json.loads(Path(args.rows).read_text())
    tasks = {t["task_id"]: t for t in rc.load("all")}
    groups = {"cache": cache_signals, "names": name_signals}
    if args.likelihood:
        groups["likelihood"] = Likelihood()
    lists, t0 = [], time.time()
    for row in data["rows"]:
        task, cands = tasks[row["task_id"]], []
        judged = standing(row)
        extra = {g: f(task, [j["text"] for j in judged]) for g, f in groups.items()} if judged else {}
        for i, j in enumerate(judged):
            score = rc.score_task(task, j["text"])
            cands.append({"features": j["features"][:len(FEATURES)], "exact": score["exact"],
                          "first_name": score["first_name"], "extra": {g: v[i] for g, v in extra.items()}})
        lists.append((row, cands))
    print(f"{len(lists)} tasks read, signals in {time.time() - t0:.0f} s")

    summary = {"rows": Path(args.rows).name, "run": {k: data.get(k) for k in ("split", "tasks", "candidates", "backend")},
               "splits": {}, "missed_test": {}, "refits": {}}
    print(f"\n{'split':6} {'tasks':>6} {'exact':>7} {'first':>7} {'best exact':>11} {'best first':>11} {'judged':>7}")
    for split in ("dev", "test"):
        part = [(r, cs) for r, cs in lists if r["split"] == split]
        n = len(part)
        s = {"tasks": n, "exact": sum(r["exact"] for r, _ in part) / n, "first_name": sum(r["first_name"] for r, _ in part) / n,
             "best_exact": sum(any(c["exact"] for c in cs) for _, cs in part) / n,
             "best_first_name": sum(any(c["first_name"] for c in cs) for _, cs in part) / n,
             "judged_per_task": sum(len(cs) for _, cs in part) / n}
        summary["splits"][split] = {k: round(v, 4) for k, v in s.items()}
        print(f"{split:6} {n:6d} {s['exact']:7.3f} {s['first_name']:7.3f} {s['best_exact']:11.3f} "
              f"{s['best_first_name']:11.3f} {s['judged_per_task']:7.2f}")
    missed = collections.Counter(source(next(c for c in cs if c["exact"])["features"]) for r, cs in lists
                                 if r["split"] == "test" and not r["exact"] and any(c["exact"] for c in cs))
    summary["missed_test"] = dict(missed)
    print("\ntest gaps whose exact answer was judged but not chosen, by where it came from: "
          + ", ".join(f"{k} {v}" for k, v in missed.most_common()))

    print(f"\n{'signals':12} {'label':11} {'test exact':>10} {'test first':>10} {'folds exact':>11} {'folds first':>11}")
    for group in ("shipped", *groups):
        for label in ("exact", "first_name"):
            r = refit(lists, group, label)
            summary["refits"][f"{group}/{label}"] = r
            print(f"{group:12} {label:11} {r['test_exact']:10.3f} {r['test_first_name']:10.3f} "
                  f"{r['folds_exact']:11.3f} {r['folds_first_name']:11.3f}", flush=True)
    if args.mlp:
        for label in ("exact", "first_name"):
            r = mlp(lists, label)
            summary["refits"][f"mlp/{label}"] = r
            print(f"{'mlp':12} {label:11} {'':>10} {'':>10} {r['folds_exact']:11.3f} {r['folds_first_name']:11.3f}")
    Path(args.out).write_text(json.dumps(summary, indent=1) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
