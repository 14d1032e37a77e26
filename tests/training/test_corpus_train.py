"""Corpus hygiene and the training loop: skip bad files, decontaminate, resume, full disk."""

import errno
import gzip
import json
import shutil

import pytest
import torch

from helpers import SAMPLE_CODE
from training import train as train_mod
from training.corpus import NearDuplicates, build_corpus, directory_source, distribution_sources, is_permissive, load_texts


@pytest.fixture
def source_tree(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(30):
        (src / f"mod{i}.py").write_text(SAMPLE_CODE.replace("add", f"add{i}").replace("Stack", f"Stack{i}"))
    (src / "dup.py").write_text((src / "mod0.py").read_text())
    (src / "latin1.py").write_bytes("# caf\xe9\n".encode("latin-1") + b"x = 1\n" * 40)
    (src / "binary.py").write_bytes(b"\x00\x01\x02" * 100)
    (src / "leak.py").write_text("def secret_task(numbers: list) -> int:\n    return 1\n" + "y = 2\n" * 30)
    bench = tmp_path / "bench"
    bench.mkdir()
    with gzip.open(bench / "HumanEval-Fake.jsonl.gz", "wt") as fh:
        fh.write(json.dumps({"task_id": "t", "entry_point": "secret_task",
                             "prompt": "def secret_task(numbers: list) -> int:\n", "canonical_solution": "    return 1\n",
                             "suffix": "", "test": ""}) + "\n")
    return src, bench


def test_corpus_skips_counts_and_decontaminates(source_tree, tmp_path):
    src, bench = source_tree
    manifest = build_corpus(tmp_path / "corpus", bench, [directory_source(src, "fixture", "MIT")])
    assert manifest["skipped"]["not utf-8"] == 1
    assert manifest["skipped"]["binary"] == 1
    assert manifest["skipped"]["duplicate"] == 1
    assert manifest["skipped"]["benchmark overlap"] == 1
    assert manifest["sources"]["fixture"]["licence"] == "MIT"
    texts = load_texts(tmp_path / "corpus" / "train.jsonl") + load_texts(tmp_path / "corpus" / "valid.jsonl")
    assert len(texts) == 30 and not any("secret_task" in t for t in texts)


def test_near_duplicates_and_the_cap_are_counted(source_tree, tmp_path):
    """Copies of one module with a name changed (as transformers' "Copied from" model files):
    with the near-duplicate filter on, one is kept; a cap of a few kB keeps what fits."""
    src, bench = source_tree
    copies = tmp_path / "copies"
    copies.mkdir()
    module = "".join(f"def step_{i}(model_state, inputs):\n    hidden_states = model_state.layer_{i}(inputs)\n"
                     f"    return hidden_states + model_state.bias_{i}\n\n\n" for i in range(12))
    for i in range(10):
        (copies / f"modeling_{i}.py").write_text(f"# model {i}\n" + module.replace("model_state", f"model{i}_state", 2))
    near = build_corpus(tmp_path / "near", bench, [directory_source(copies, "copies", "MIT")], near_dup=0.6)
    assert near["skipped"]["near duplicate"] == 9 and near["files_kept"] == 1
    assert near["near_duplicate_share"] == 0.6
    plain = build_corpus(tmp_path / "plain", bench, [directory_source(copies, "copies", "MIT")])
    assert plain["files_kept"] == 10 and "near duplicate" not in plain["skipped"]
    one = len(SAMPLE_CODE)
    capped = build_corpus(tmp_path / "cap", bench, [directory_source(src, "fixture", "MIT")], cap_bytes=3 * one + 10)
    assert capped["files_kept"] == 3 and capped["skipped"]["package cap"] == 27
    assert capped["cap_bytes_per_source"] == 3 * one + 10


def test_near_duplicate_filter_ignores_short_lines_and_small_files():
    near = NearDuplicates(0.5)
    body = "".join(f"    value_{i} = compute_something(argument_{i})\n" for i in range(10))
    assert not near.check_and_add("def f():\n" + body)
    assert near.check_and_add("def g():\n" + body)                  # the same long lines
    assert not near.check_and_add("def h():\n" + "    return None\n" * 40)   # short lines only
    assert not near.check_and_add(body.replace("value", "other").replace("argument", "param"))
    with pytest.raises(ValueError):
        NearDuplicates(0.0)


def test_distributions_of_a_further_site_folder(tmp_path):
    """A site folder (such as the system's dist-packages) is read by its metadata: the
    licence decides, and the files come from the RECORD."""
    site = tmp_path / "site"
    for name, licence in (("okpkg", "MIT"), ("gplpkg", "GPL-3.0")):
        (site / name).mkdir(parents=True)
        (site / name / "mod.py").write_text("x = 1\n")
        info = site / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nLicense: {licence}\n")
        (info / "RECORD").write_text(f"{name}/mod.py,,\n{name}-1.0.dist-info/METADATA,,\n")
    found = distribution_sources(paths=[str(site)])
    assert [s.name for s in found] == ["okpkg"]
    assert found[0].files[0].name == "mod.py" and found[0].files[0].exists()
    assert distribution_sources(exclude=["okpkg"], paths=[str(site)]) == []


def test_licence_filter():
    assert is_permissive("MIT") and is_permissive("BSD-3-Clause") and is_permissive("Apache-2.0")
    assert not is_permissive("GPL-3.0-or-later") and not is_permissive("MIT OR GPL-2.0")
    assert not is_permissive("Proprietary")


def tiny_config(tmp_path, **kw):
    base = dict(data_dir=str(tmp_path / "data"), run_dir=str(tmp_path / "run"), vocab_size=300,
                hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64, canvas_length=8,
                prefix_tokens=32, suffix_tokens=16, batch_size=4, max_steps=6, warmup_steps=2,
                eval_every=3, ckpt_every=3, val_examples=4, span_canvas=12, span_prefix_tokens=16)
    base.update(kw)
    return train_mod.TrainConfig(**base)


@pytest.fixture
def corpus_dir(source_tree, tmp_path):
    src, bench = source_tree
    build_corpus(tmp_path / "data" / "corpus", bench, [directory_source(src, "fixture", "MIT")])
    return tmp_path


def test_train_resumes_from_checkpoint(corpus_dir):
    cfg = tiny_config(corpus_dir)
    train_mod.train(cfg)
    first = torch.load(corpus_dir / "run" / "ckpt.pt", weights_only=False)
    assert first["step"] == 6
    train_mod.train(tiny_config(corpus_dir, max_steps=9))
    second = torch.load(corpus_dir / "run" / "ckpt.pt", weights_only=False)
    assert second["step"] == 9 and second["tokens_seen"] > first["tokens_seen"]
    log = [json.loads(line) for line in (corpus_dir / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "val_loss" in r] == [3, 6, 9]
    out = corpus_dir / "export"
    train_mod.export(corpus_dir / "run", out, corpus_dir / "data", which="ckpt")
    from engine.api import InfillRequest
    from engine.backends.embedded import EmbeddedBackend
    assert EmbeddedBackend(out).infill(InfillRequest("x = ", "", canvas_length=4, max_blocks=1)).forward_passes >= 1


def test_full_disk_keeps_the_last_good_checkpoint(corpus_dir, monkeypatch):
    train_mod.train(tiny_config(corpus_dir, max_steps=3))
    real_save = torch.save

    def full_disk(obj, path, *a, **k):
        with open(path, "wb") as fh:
            fh.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(train_mod.torch, "save", full_disk)
    with pytest.raises(train_mod.TrainingError, match="No space left on device.*previous checkpoint is intact"):
        train_mod.train(tiny_config(corpus_dir, max_steps=6))
    monkeypatch.setattr(train_mod.torch, "save", real_save)
    state = torch.load(corpus_dir / "run" / "ckpt.pt", weights_only=False)
    assert state["step"] == 3
    assert not (corpus_dir / "run" / "ckpt.tmp").exists()


def test_main_reports_training_errors_in_one_line(corpus_dir, capsys):
    (corpus_dir / "run").mkdir()
    (corpus_dir / "run" / "ckpt.pt").write_bytes(b"garbage")
    code = train_mod.main(["--data-dir", str(corpus_dir / "data"), "--run-dir", str(corpus_dir / "run"),
                           "--vocab-size", "300", "--max-steps", "1"])
    assert code == 2
    assert "unreadable" in capsys.readouterr().err


def test_new_round_overrides_given_flags_and_restarts_the_schedule(corpus_dir):
    train_mod.train(tiny_config(corpus_dir, max_steps=4))
    moved = corpus_dir / "moved"
    (corpus_dir / "run").rename(moved)
    cfg = tiny_config(corpus_dir, run_dir=str(moved), max_steps=8, lr=5e-3, ar_weight=0.5, hidden_size=999)
    train_mod.train(cfg, given={"max_steps", "lr", "ar_weight", "hidden_size", "run_dir"}, new_round=True)
    state = torch.load(moved / "ckpt.pt", weights_only=False)
    saved = state["train_config"]
    assert state["step"] == 8 and saved["round_start"] == 4 and saved["lr"] == 5e-3
    assert saved["ar_weight"] == 0.5 and saved["hidden_size"] == 32 and saved["run_dir"] == str(moved)
    round_cfg = train_mod.TrainConfig(**saved)
    assert train_mod.lr_at(4, round_cfg) == pytest.approx(5e-3 / 2)          # warm-up again
    log = [json.loads(line) for line in (moved / "log.jsonl").read_text().splitlines()]
    assert "train_context_lm" in log[-1]
    with pytest.raises(train_mod.TrainingError, match="beyond it"):
        train_mod.train(tiny_config(corpus_dir, run_dir=str(moved), max_steps=8), given={"max_steps"})


def test_context_lm_loss_reads_next_tokens_of_valid_positions_only():
    from engine.modeling import CanvasConfig, CanvasDenoiser
    torch.manual_seed(0)
    model = CanvasDenoiser(CanvasConfig(vocab_size=50, hidden_size=16, num_layers=1, num_heads=2,
                                        intermediate_size=32))
    ctx = torch.randint(5, 50, (2, 10))
    valid = torch.ones(2, 10, dtype=torch.bool)
    valid[1, :6] = False                                         # left padding
    _, hidden = model.encode_context(ctx, valid, return_hidden=True)
    gen = torch.Generator().manual_seed(0)
    loss = train_mod.context_lm_loss(model, hidden, ctx, valid, 1.0, gen)
    logits = model.lm_logits(hidden[:, :-1])
    pairs = valid[:, :-1] & valid[:, 1:]
    expected = torch.nn.functional.cross_entropy(logits[pairs], ctx[:, 1:][pairs])
    torch.testing.assert_close(loss, expected)
    assert train_mod.context_lm_loss(model, hidden, ctx, valid, 0.0, gen).item() == 0.0


def test_workers_init_from_and_a_fitted_schedule(corpus_dir, monkeypatch):
    """The accelerator recipe's parts, on the CPU: data made in a worker process, a run started
    from an exported model's weights, and a cosine fitted to a time budget."""
    train_mod.train(tiny_config(corpus_dir, max_steps=3))
    seed_model = corpus_dir / "seed_model"
    train_mod.export(corpus_dir / "run", seed_model, corpus_dir / "data", which="ckpt")
    monkeypatch.setattr(train_mod, "SCHEDULE_WARM", 1)
    monkeypatch.setattr(train_mod, "SCHEDULE_PROBE", 2)
    cfg = tiny_config(corpus_dir, run_dir=str(corpus_dir / "run2"), workers=1, init_from=str(seed_model),
                      schedule_minutes=1e-9, max_steps=50, eval_every=100, ckpt_every=100,
                      cut_weights="line=0.7,lines=0.3")
    train_mod.train(cfg)
    state = torch.load(corpus_dir / "run2" / "ckpt.pt", weights_only=False)
    # The probe ran 2 steps; the fitted round (time left ~0) ends one step later.
    assert state["step"] == 3 and state["train_config"]["max_steps"] == 3
    assert state["train_config"]["schedule_minutes"] == 0.0
    assert state["tokens_seen"] > 0 and state["train_config"]["cut_weights"] == "line=0.7,lines=0.3"


def test_long_gap_batches_use_the_long_canvas_and_log_their_own_loss(corpus_dir):
    from training.cuts import FimBudget, parse_cut_weights
    from engine.tokenizer import SpecialIds, load_tokenizer

    cfg = tiny_config(corpus_dir, max_steps=4, eval_every=2, long_share=0.5, long_canvas=16,
                      long_cuts="lines=1")
    train_mod.train(cfg)
    log = [json.loads(line) for line in (corpus_dir / "run" / "log.jsonl").read_text().splitlines()]
    evals = [r for r in log if "val_loss" in r]
    assert evals and all(r["val_long_loss"] > 0 for r in evals)
    tokenizer = load_tokenizer(corpus_dir / "data" / "tokenizer")
    special = SpecialIds.from_tokenizer(tokenizer)
    texts = load_texts(corpus_dir / "data" / "corpus" / "train.jsonl")
    stream = train_mod.ExampleStream(texts, tokenizer, special, FimBudget(32, 16, 8), 0, FimBudget(16, 8, 12), None,
                                     FimBudget(32, 16, 16), parse_cut_weights("lines=1"))
    widths = {stream.draw(4, 0.0, 1.0)[2].shape[1] for _ in range(3)}
    assert widths == {16}
    # No long share: the same draws as a stream that has no long gaps at all.
    plain = train_mod.ExampleStream(texts, tokenizer, special, FimBudget(32, 16, 8), 0, FimBudget(16, 8, 12))
    again = train_mod.ExampleStream(texts, tokenizer, special, FimBudget(32, 16, 8), 0, FimBudget(16, 8, 12), None,
                                    FimBudget(32, 16, 16), parse_cut_weights("lines=1"))
    for _ in range(3):
        assert all(torch.equal(x, y) for x, y in zip(plain.draw(4, 0.5), again.draw(4, 0.5, 0.0)))
    with pytest.raises(train_mod.TrainingError, match="--long-share"):
        train_mod.train(tiny_config(corpus_dir, run_dir=str(corpus_dir / "r9"), span_share=0.7, long_share=0.5))
    with pytest.raises(train_mod.TrainingError, match="--long-cuts"):
        train_mod.train(tiny_config(corpus_dir, run_dir=str(corpus_dir / "r9"), long_cuts="blocks=1"))


def test_a_fitted_schedule_survives_a_resume_mid_probe(corpus_dir, monkeypatch):
    monkeypatch.setattr(train_mod, "SCHEDULE_WARM", 1)
    monkeypatch.setattr(train_mod, "SCHEDULE_PROBE", 3)
    cfg = dict(schedule_minutes=1e-9, eval_every=100, ckpt_every=100)
    train_mod.train(tiny_config(corpus_dir, max_steps=2, **cfg))      # stops inside the probe
    train_mod.train(tiny_config(corpus_dir, max_steps=50, **cfg), given={"max_steps"})
    state = torch.load(corpus_dir / "run" / "ckpt.pt", weights_only=False)
    # The resumed session times its own steps 3..5 and fits the round to end one step later.
    assert state["step"] == 6 and state["train_config"]["max_steps"] == 6


def test_init_from_and_device_errors_are_clear(corpus_dir, tmp_path):
    with pytest.raises(train_mod.TrainingError, match="--cut-weights: cut weight 'word=1'"):
        train_mod.train(tiny_config(corpus_dir, cut_weights="line=1,word=1"))
    with pytest.raises(train_mod.TrainingError, match="no model.safetensors"):
        train_mod.train(tiny_config(corpus_dir, init_from=str(tmp_path / "nowhere")))
    train_mod.train(tiny_config(corpus_dir, max_steps=2))
    other = corpus_dir / "other_shape"
    train_mod.export(corpus_dir / "run", other, corpus_dir / "data", which="ckpt")
    with pytest.raises(train_mod.TrainingError, match="do not fit this model's shape"):
        train_mod.train(tiny_config(corpus_dir, run_dir=str(corpus_dir / "r3"), init_from=str(other),
                                    hidden_size=48))
    if not torch.cuda.is_available():
        with pytest.raises(train_mod.TrainingError, match="no CUDA device"):
            train_mod.resolve_device("cuda")
    assert train_mod.resolve_device("cpu").type == "cpu"


def test_grown_layer_map_spreads_new_blocks_after_the_ones_they_copy():
    assert train_mod.grown_layer_map(6, 8) == [(0, False), (1, False), (2, False), (2, True), (3, False),
                                               (4, False), (5, False), (5, True)]
    assert train_mod.grown_layer_map(2, 2) == [(0, False), (1, False)]
    assert [src for src, _ in train_mod.grown_layer_map(2, 5)] == [0, 0, 1, 1, 1]


def test_a_deeper_model_starts_as_the_same_function_and_ships_in_fp16(corpus_dir):
    """--init-from a shallower model: the extra blocks are copies with zeroed output
    projections, so the grown model computes what the source did; --dtype float16 halves
    the file and the backend loads it back as float32."""
    from engine.api import InfillRequest
    from engine.backends.embedded import EmbeddedBackend
    from engine.modeling import CanvasDenoiser

    train_mod.train(tiny_config(corpus_dir, max_steps=2))
    full, half = corpus_dir / "full", corpus_dir / "half"
    train_mod.export(corpus_dir / "run", full, corpus_dir / "data", which="ckpt")
    train_mod.export(corpus_dir / "run", half, corpus_dir / "data", which="ckpt", dtype="float16")
    size = lambda d: (d / "model.safetensors").stat().st_size  # noqa: E731
    assert size(half) < 0.6 * size(full)
    backend = EmbeddedBackend(half)
    assert next(backend.model.parameters()).dtype == torch.float32
    assert backend.infill(InfillRequest("x = ", "", canvas_length=4, max_blocks=1)).forward_passes >= 1

    source = CanvasDenoiser.from_pretrained(str(full), local_files_only=True).eval()
    cfg = tiny_config(corpus_dir, num_layers=3)
    deeper = train_mod.build_model(cfg, backend.tokenizer, backend.special).eval()
    train_mod.load_initial_weights(deeper, str(full))
    ids, canvas = torch.randint(5, 200, (2, 12)), torch.full((2, 8), backend.special.mask)
    with torch.no_grad():
        assert torch.allclose(source(ids, canvas), deeper(ids, canvas), atol=1e-5)
    assert deeper.blocks[2].down.weight.abs().sum() == 0 and deeper.blocks[2].gate_up.weight.abs().sum() > 0
    with pytest.raises(train_mod.TrainingError, match="do not fit"):
        train_mod.load_initial_weights(train_mod.build_model(tiny_config(corpus_dir, num_layers=1),
                                                             backend.tokenizer, backend.special), str(full))


def test_fit_schedule_spends_the_time_left_at_the_measured_rate():
    cfg = train_mod.TrainConfig(schedule_minutes=10.0, round_start=100)
    fitted = train_mod.fit_schedule(cfg, step=300, rate=12.5, seconds=20.0)
    assert fitted.max_steps == 300 + int(12.5 * 580)
    assert fitted.schedule_minutes == 0.0
    late = train_mod.fit_schedule(cfg, step=300, rate=12.5, seconds=900.0)
    assert late.max_steps == 301                                  # over budget: one more step


FUNCTIONS_MODULE = '''"""A module."""
import os
import re as regex
from typing import List, Optional
import json


def first_word(text: str) -> Optional[str]:
    """The first word of text, or None."""
    words = regex.findall(r"\\w+", text)
    return words[0] if words else None


def todo():
    """Not written yet."""
    raise NotImplementedError


@staticmethod
def joined(parts: List[str]) -> str:
    out = os.sep.join(parts)
    return out


def huge():
''' + "    x = 1\n" * 60 + '''

class Box:
    def method(self):
        value = 1
        return value
'''


def test_function_documents_keep_small_functions_with_the_imports_they_read():
    from training.corpus import function_documents

    docs = function_documents(FUNCTIONS_MODULE)
    assert len(docs) == 2                               # not todo (trivial), huge (too long) or the method
    assert docs[0].startswith("import re as regex\nfrom typing import List, Optional\n\n\ndef first_word(")
    assert "import os" not in docs[0] and "import json" not in docs[0]
    assert docs[1].startswith("import os\nfrom typing import List, Optional\n\n\n@staticmethod\ndef joined(")
    for doc in docs:
        compile(doc, "<doc>", "exec")                    # each document is a whole, valid module
    assert function_documents("def broken(:\n    pass\n") == []
    # Only the functions that open with a docstring, HumanEval's shape; a string later on is not one.
    only = function_documents(FUNCTIONS_MODULE, docstring_only=True)
    assert only == [docs[0]]
    later = 'def f(x):\n    y = x + 1\n    "not a docstring"\n    return y\n'
    assert function_documents(later) != [] and function_documents(later, docstring_only=True) == []


GUARDED_IMPORTS = '''from typing import TYPE_CHECKING
try:
    import ujson as json
except ImportError:
    import json
try: import numpy as np
except ImportError: np = None
if TYPE_CHECKING:
    from collections.abc import (
        Iterable,
        Mapping)


def dump(items: Iterable[int]) -> str:
    arr = np.asarray(list(items))
    return json.dumps(arr.tolist())
'''


def test_function_documents_bring_imports_from_try_and_if_blocks():
    from training.corpus import function_documents

    [doc] = function_documents(GUARDED_IMPORTS)
    # The first of a fallback chain, a one-line ``try: import``, and a multi-line import
    # under ``if TYPE_CHECKING:``, each at the left margin; not what dump does not read.
    assert doc.startswith("import ujson as json\nimport numpy as np\nfrom collections.abc import (\n"
                          "        Iterable,\n        Mapping)\n\n\ndef dump(")
    assert "import json\n" not in doc and "TYPE_CHECKING" not in doc
    compile(doc, "<doc>", "exec")


CLASS_MODULE = '''import abc
import os.path
from collections import OrderedDict
import json


class Store(
        OrderedDict, metaclass=abc.ABCMeta):
    """A store."""

    limit = 3

    @property
    def full(self) -> bool:
        count = len(self)
        return count >= self.limit

    def save(self, name):
        """Not yet."""

    def path(self, name):
        base = os.path.join("/tmp", name)
        return base + ".json"


class Flat: pass
'''


def test_function_documents_can_take_methods_under_their_class_header():
    from training.corpus import function_documents

    assert function_documents(CLASS_MODULE) == []                      # methods are opt-in
    docs = function_documents(CLASS_MODULE, methods=True)
    assert len(docs) == 2                                              # not save (trivial)
    header = 'class Store(\n        OrderedDict, metaclass=abc.ABCMeta):\n'
    # The class's bases bring their imports; the docstring and the class attribute stay out.
    assert docs[0] == ("import abc\nfrom collections import OrderedDict\n\n\n" + header
                       + "    @property\n    def full(self) -> bool:\n        count = len(self)\n"
                       "        return count >= self.limit\n")
    assert docs[1].startswith("import abc\nimport os.path\nfrom collections import OrderedDict\n\n\n"
                              + header + "    def path(self, name):\n")
    for doc in docs:
        compile(doc, "<doc>", "exec")                                  # still whole, valid modules
    # Top-level functions come too, in file order.
    both = function_documents(FUNCTIONS_MODULE, methods=True)
    assert len(both) == 3 and both[2] == "class Box:\n    def method(self):\n        value = 1\n        return value\n"


def test_function_corpus_keeps_the_split_and_adds_whole_files(corpus_dir, tmp_path, capsys):
    from training.corpus import build_function_corpus

    src = corpus_dir / "data" / "corpus"
    (src / "train.jsonl").write_text(json.dumps({"path": "m/a.py", "text": FUNCTIONS_MODULE}) + "\n"
                                     + json.dumps({"path": "m/b.py", "text": "x = 1\n" * 30}) + "\n")
    (src / "valid.jsonl").write_text(json.dumps({"path": "m/v.py", "text": FUNCTIONS_MODULE}) + "\n")
    manifest = build_function_corpus(src, tmp_path / "fn", files_bytes=len(FUNCTIONS_MODULE) + 10)
    assert manifest["function_documents"]["methods"] is False
    train = [json.loads(line) for line in (tmp_path / "fn" / "train.jsonl").read_text().splitlines()]
    valid = load_texts(tmp_path / "fn" / "valid.jsonl")
    assert [r["path"] for r in train[:2]] == ["m/a.py#0", "m/a.py#1"]
    assert len(train) == 3 and train[2]["path"] in ("m/a.py", "m/b.py")   # one whole file fits the budget
    assert len(valid) == 2 and all(v.lstrip().startswith(("import", "from")) for v in valid)
    fn = manifest["function_documents"]
    assert fn["train"]["functions"] == 2 and fn["train"]["whole_files"] == 1 and fn["valid"]["functions"] == 2
    assert "sources" in json.loads((tmp_path / "fn" / "manifest.json").read_text())
    # From the command line, with methods: Box.method joins each split.
    from training.corpus import main as corpus_main
    assert corpus_main(["--functions-from", str(src), "--out", str(tmp_path / "fm"), "--methods"]) == 0
    assert json.loads((tmp_path / "fm" / "manifest.json").read_text())["function_documents"]["methods"] is True
    assert len(load_texts(tmp_path / "fm" / "valid.jsonl")) == 3
    assert "class Box:\n    def method" in "".join(load_texts(tmp_path / "fm" / "train.jsonl"))
    assert "functions: train 3" in capsys.readouterr().out
    # --docstring-only keeps first_word alone in each split and says so in the manifest.
    assert corpus_main(["--functions-from", str(src), "--out", str(tmp_path / "fd"), "--docstring-only"]) == 0
    fd = json.loads((tmp_path / "fd" / "manifest.json").read_text())["function_documents"]
    assert fd["docstring_only"] is True and fd["train"]["functions"] == 1 and fd["valid"]["functions"] == 1
    assert "def first_word(" in load_texts(tmp_path / "fd" / "valid.jsonl")[0]
    assert corpus_main(["--functions-from", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")]) == 2


def test_average_mixes_two_model_folders_and_refuses_mismatches(corpus_dir, capsys):
    from safetensors.torch import load_file

    train_mod.train(tiny_config(corpus_dir, max_steps=3))
    train_mod.export(corpus_dir / "run", corpus_dir / "A", corpus_dir / "data", which="ckpt")
    train_mod.train(tiny_config(corpus_dir, max_steps=6), given={"max_steps"})
    train_mod.export(corpus_dir / "run", corpus_dir / "B", corpus_dir / "data", which="ckpt")
    assert train_mod.main(["average", str(corpus_dir / "A"), str(corpus_dir / "B"),
                           "--weight", "0.25", "--out", str(corpus_dir / "AB")]) == 0
    a, b, ab = (load_file(str(corpus_dir / d / "model.safetensors")) for d in ("A", "B", "AB"))
    assert any(not torch.equal(a[k], b[k]) for k in a)
    for k in a:
        assert torch.allclose(ab[k], 0.75 * a[k] + 0.25 * b[k], atol=1e-6)
    summary = json.loads((corpus_dir / "AB" / "training_summary.json").read_text())
    assert summary["averaged"]["weight_of_b"] == 0.25 and (corpus_dir / "AB" / "tokenizer.json").exists()
    from engine.modeling import CanvasDenoiser
    CanvasDenoiser.from_pretrained(str(corpus_dir / "AB"))       # loads as a model folder

    train_mod.train(tiny_config(corpus_dir, run_dir=str(corpus_dir / "wide"), hidden_size=48, max_steps=1))
    train_mod.export(corpus_dir / "wide", corpus_dir / "W", corpus_dir / "data", which="ckpt")
    with pytest.raises(train_mod.TrainingError, match="not the same architecture"):
        train_mod.average(corpus_dir / "A", corpus_dir / "W", corpus_dir / "AW")
    shutil.copytree(corpus_dir / "A", corpus_dir / "A4")       # same shapes, another head count
    config = json.loads((corpus_dir / "A4" / "config.json").read_text())
    config["num_heads"] = 4
    (corpus_dir / "A4" / "config.json").write_text(json.dumps(config))
    with pytest.raises(train_mod.TrainingError, match="not the same architecture"):
        train_mod.average(corpus_dir / "A4", corpus_dir / "B", corpus_dir / "AW")
    (corpus_dir / "B" / "model.safetensors").write_bytes(b"garbage")
    assert train_mod.main(["average", str(corpus_dir / "A"), str(corpus_dir / "B"),
                           "--out", str(corpus_dir / "bad")]) == 2
    assert "unreadable weights" in capsys.readouterr().err
    assert not (corpus_dir / "bad").exists() and not (corpus_dir / "AW").exists()
    with pytest.raises(train_mod.TrainingError, match="weight must be in"):
        train_mod.average(corpus_dir / "A", corpus_dir / "A", corpus_dir / "x", weight=1.5)


def test_a_command_line_resume_cuts_with_the_saved_budget(corpus_dir, monkeypatch):
    # The command line gives only the flags typed (here --max-steps); the rest must come from
    # the checkpoint, the cut budget included (it once came from the defaults: 256/64 tokens).
    train_mod.train(tiny_config(corpus_dir, max_steps=3))
    budgets = []
    real = train_mod.ExampleStream

    def spy(texts, tokenizer, special, budget, seed, *args, **kw):
        budgets.append((budget.prefix_tokens, budget.suffix_tokens, budget.canvas_length))
        return real(texts, tokenizer, special, budget, seed, *args, **kw)

    monkeypatch.setattr(train_mod, "ExampleStream", spy)
    typed = train_mod.TrainConfig(data_dir=str(corpus_dir / "data"), run_dir=str(corpus_dir / "run"), max_steps=4)
    train_mod.train(typed, given={"max_steps"})
    assert budgets and set(budgets) == {(32, 16, 8)}
    assert torch.load(corpus_dir / "run" / "ckpt.pt", weights_only=False)["step"] == 4


def test_the_corpus_never_takes_the_real_code_benchmarks_packages():
    """jedi and parso are installed (known names) and are among the real-code benchmark's
    packages: the corpus leaves them out; ``only`` keeps another corpus's sources."""
    from pathlib import Path

    from training.corpus import _vendored, benchmark_packages, default_sources, normalized
    held_out = benchmark_packages()
    if not held_out:
        pytest.skip("no ../shared/benchmarks/real-code here")
    assert {"jedi", "parso", "flask", "stack-data", "python-dateutil"} <= held_out
    sources = default_sources()
    assert not {normalized(s.name) for s in sources} & held_out
    assert not any(_vendored(Path(f), held_out) for s in sources for f in s.files)
    assert _vendored(Path("/site/pip/_vendor/requests/api.py"), held_out)
    assert _vendored(Path("/site/pip/_vendor/dateutil/tz.py"), held_out)
    assert not _vendored(Path("/site/pip/_vendor/rich/text.py"), held_out)
    assert [s.name for s in default_sources(only={"cpython-stdlib", "jedi"})] == ["cpython-stdlib"]
