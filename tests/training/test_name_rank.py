"""Fitting the known names' order (training.name_rank): gaps cut at name slots of corpus files
with the names found there, and a fit that orders the true names first."""

import json

from infill import name_ranking as R
from training import name_rank

FILE = '''import os


def load(path, mode):
    handle = open(path, mode)
    data = handle.read()
    size = len(data)
    if size:
        return data
    return os.path.basename(path)


def save(path, data):
    target = os.path.join(path, "out")
    with open(target, "w") as fh:
        fh.write(data)
    return target
'''


def test_cut_then_fit_writes_weights_that_order_the_true_names(tmp_path, monkeypatch):
    corpus = tmp_path / "train.jsonl"
    corpus.write_text("".join(json.dumps({"path": f"pkg/mod{i}.py:0", "text": FILE}) + "\n" for i in range(12)))
    gaps = tmp_path / "gaps.jsonl"
    assert name_rank.main(["cut", "--corpus", str(corpus), "--out", str(gaps), "--files", "12"]) == 0
    rows = [json.loads(line) for line in gaps.read_text().splitlines()]
    assert rows and all(r["want"] and r["kind"] in name_rank.KINDS for r in rows)
    assert all(r["text"] == FILE[:r["cut"][0]] + FILE[r["cut"][1]:] for r in rows)
    assert any(r["want"] in {n for n, _ in r["ts"]} for r in rows)      # the document's names hold it

    monkeypatch.setattr(R, "WEIGHTS_FILE", tmp_path / "name_rank.json")
    assert name_rank.main(["fit", "--gaps", str(gaps), "--write"]) == 0
    data = json.loads((tmp_path / "name_rank.json").read_text())
    assert data["weights"] and set(data["weights"]) <= set(R.FEATURES)
    lists = name_rank.lists(str(gaps), pool=200)
    mats = name_rank._matrix(lists)
    import torch
    w = torch.tensor([data["weights"].get(f, 0.0) for f in R.FEATURES])
    fitted = name_rank.evaluate(lists, mats, w)
    hand = name_rank.evaluate(lists, mats, torch.tensor([R.HAND_SET.get(f, 0.0) for f in R.FEATURES]))
    assert fitted["all_top1"] >= hand["all_top1"] and fitted["all_top1"] > 0.5   # on what it was fitted on
