"""Fit the order of the known names (``infill.name_ranking``) on the training corpus.

    python -m training.name_rank cut --corpus data/corpus-base/train.jsonl --out runs/names/gaps.jsonl --files 1000
    python -m training.name_rank fit --gaps runs/names/gaps.jsonl [--write]

``cut``: in whole files of the training corpus (never a benchmark's), up to three gaps a file
at the slots where a gap starts with a name (the rest of a line after ``=``, ``return``, a
call's ``(``, ``name.``, ``if``: the real-code benchmark's kinds, cut the same way), each with
the names jedi finds at the cursor and those tree-sitter finds in the document (the two
sources ``infill.names`` ranks; not the top-level names of a module file the server adds after
``module.``, as corpus files lie nowhere on disk) and the name the code really had there.

``fit``: a linear score over ``name_ranking.FEATURES``, fitted listwise: for each gap and
source whose names hold the true one, the softmax of the scores over its names (the true one
and at most ``--pool`` others: every one that occurs around the cursor first, then a sample of
the rest), cross-entropy towards the true name, L2
``--l2``. Gaps of one file in ten (by a hash of its path) are held out; it prints the true
name's top-1 and top-4 rate on them under the hand-set order and the fitted one, and with
``--write`` saves the weights and those figures to ``infill/data/name_rank.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("after_eq", "after_return", "after_paren", "after_dot", "after_if")


def _real_code():
    """The real-code benchmark's cutter (``benchmarks/real_code.py``), so the slots are the same."""
    folder = str(ROOT / "benchmarks")
    if folder not in sys.path:
        sys.path.insert(0, folder)         # it imports its neighbour shared_data
    spec = importlib.util.spec_from_file_location("real_code", ROOT / "benchmarks" / "real_code.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cut(args) -> None:
    from infill import names as N
    from infill.doc_names import document_names

    rc = _real_code()
    rng = random.Random(args.seed)
    docs = [json.loads(line) for line in open(args.corpus, encoding="utf-8")]
    rng.shuffle(docs)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    n, t0 = 0, time.time()
    with open(out, "w", encoding="utf-8") as fh:
        for doc in docs[:args.files]:
            text = doc["text"]
            if len(text) > 200_000:
                continue
            found = rc.cuts(text)
            pool = [(k, c) for k in KINDS for c in found.get(k, [])]
            rng.shuffle(pool)
            for kind, c in pool[:args.per_file]:
                a, b = c["cut"]
                gap = text[:a] + text[b:]
                slot = N.name_slot(gap[:a])
                if slot is None:
                    continue
                future = N._JEDI.submit(gap, a, None, None)
                try:
                    jedi = future.result(timeout=5.0) if future is not None else []
                except Exception:       # noqa: BLE001 - a lookup that fails gives no names
                    jedi = []
                fh.write(json.dumps({"path": doc["path"], "kind": kind, "cut": [a, b], "text": gap,
                                     "want": rc.first_name(c["answer"]), "jedi": jedi,
                                     "ts": document_names(gap, a, "python", slot)}) + "\n")
                n += 1
            if n and n % 100 < args.per_file:
                print(f"{n} gaps, {time.time() - t0:.0f} s", flush=True)
    print(f"wrote {out}: {n} gaps")


def held_out(path: str) -> bool:
    return int(hashlib.sha1(path.split(":")[0].encode()).hexdigest(), 16) % 10 == 0


def lists(gaps_file: str, pool: int, seed: int = 0):
    """(held_out, features of each name, index of the true one, kind of gap) per gap and
    source whose names hold the true name."""
    from infill import name_ranking as R
    from infill import names as N

    rng = random.Random(seed)
    out = []
    for line in open(gaps_file, encoding="utf-8"):
        g = json.loads(line)
        text, a = g["text"], g["cut"][0]
        slot = N.name_slot(text[:a])
        if slot is None or not g["want"]:
            continue
        ctx = N.ranking_context(slot, text, a)
        for source in ("jedi", "ts"):
            kinds, names = N.fitting(slot, g[source])
            if g["want"] not in names:
                continue
            others = [n for n in names if n != g["want"]]
            if len(others) >= pool:       # a long list: the true name and a sample, the near ones kept
                near = [n for n in others if ctx.occurs(n)]
                rest = [n for n in others if not ctx.occurs(n)]
                others = near[:pool] + rng.sample(rest, max(0, min(len(rest), pool - len(near))))
            names = [g["want"]] + others
            feats = [R.features(n, kinds[n], ctx, slot.partial) for n in names]
            out.append((held_out(g["path"]), feats, 0, g["kind"], source))
    return out


def _matrix(rows):
    import torch
    from infill import name_ranking as R

    index = {f: i for i, f in enumerate(R.FEATURES)}
    mats = []
    for _, feats, _, _, _ in rows:
        m = torch.zeros(len(feats), len(R.FEATURES))
        for i, f in enumerate(feats):
            for k, v in f.items():
                m[i, index[k]] = v
        mats.append(m)
    return mats


def evaluate(rows, mats, w) -> dict:
    """Top-1 / top-4 rate of the true name (ties broken against it) per source and overall."""
    import torch

    hits: Counter = Counter()
    for (_, _, _, _, source), m in zip(rows, mats):
        s = m @ w
        rank = int((s[1:] >= s[0]).sum())
        for key in (source, "all"):
            hits[key, "n"] += 1
            hits[key, "top1"] += rank == 0
            hits[key, "top4"] += rank < 4
    return {f"{k}_{t}": round(hits[k, t] / max(1, hits[k, "n"]), 4)
            for k in ("all", "jedi", "ts") for t in ("top1", "top4")} | {"lists": hits["all", "n"]}


def fit(args) -> None:
    import torch
    from infill import name_ranking as R

    rows = lists(args.gaps, args.pool)
    mats = _matrix(rows)
    train = [(r, m) for r, m in zip(rows, mats) if not r[0]]
    test_rows = [r for r in rows if r[0]]
    test_mats = [m for r, m in zip(rows, mats) if r[0]]
    hand = torch.tensor([R.HAND_SET.get(f, 0.0) for f in R.FEATURES])
    w = torch.zeros(len(R.FEATURES), requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=200, line_search_fn="strong_wolfe")

    def loss_fn():
        opt.zero_grad()
        loss = sum(-torch.log_softmax(m @ w, 0)[0] for _, m in train) / len(train) + args.l2 * (w ** 2).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(loss_fn)
    fitted = w.detach()
    before, after = evaluate(test_rows, test_mats, hand), evaluate(test_rows, test_mats, fitted)
    print(f"lists: {len(train)} fitted, {len(test_rows)} held out (a file in ten)")
    print(f"{'order':<10} " + " ".join(f"{k:>10}" for k in before if k != "lists"))
    for label, res in (("hand-set", before), ("fitted", after)):
        print(f"{label:<10} " + " ".join(f"{v:>10.3f}" for k, v in res.items() if k != "lists"))
    weights = {f: round(float(v), 4) for f, v in zip(R.FEATURES, fitted) if abs(float(v)) >= 1e-4}
    print(json.dumps(weights))
    if args.write:
        R.WEIGHTS_FILE.write_text(json.dumps({
            "fitted_on": f"{Path(args.gaps).name}: {len(train)} lists of names from gaps cut from the training corpus",
            "l2": args.l2, "pool": args.pool, "held_out": {"hand_set": before, "fitted": after},
            "weights": weights}, indent=1) + "\n")
        print(f"wrote {R.WEIGHTS_FILE}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.name_rank", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("cut", help="gaps at name slots of the training corpus, with the names found there")
    c.add_argument("--corpus", required=True, help="a corpus's train.jsonl (whole files)")
    c.add_argument("--out", required=True)
    c.add_argument("--files", type=int, default=1000)
    c.add_argument("--per-file", type=int, default=3)
    c.add_argument("--seed", type=int, default=7)
    c.set_defaults(func=cut)
    f = sub.add_parser("fit", help="fit the weights on the cut gaps")
    f.add_argument("--gaps", required=True)
    f.add_argument("--pool", type=int, default=200, help="other names per list at most (besides the true one)")
    f.add_argument("--l2", type=float, default=1e-4)
    f.add_argument("--write", action="store_true", help="save the weights to infill/data/name_rank.json")
    f.set_defaults(func=fit)
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    args.func(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
