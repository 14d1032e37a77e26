"""Self-distillation for certainty (training.distill): the teacher's answers, a resumable
fine-tune towards them, and a model folder the engine loads."""

import json

import pytest
import torch

from test_corpus_train import corpus_dir, source_tree, tiny_config  # noqa: F401  (fixtures)
from training import distill
from training import train as train_mod


@pytest.fixture
def tiny_model(corpus_dir):  # noqa: F811
    train_mod.train(tiny_config(corpus_dir, max_steps=6))
    out = corpus_dir / "model"
    train_mod.export(corpus_dir / "run", out, corpus_dir / "data", which="ckpt")
    (corpus_dir / "data" / "corpus" / "valid.jsonl").write_text(
        (corpus_dir / "data" / "corpus" / "train.jsonl").read_text().split("\n", 1)[0] + "\n")
    return out


def test_generate_keeps_the_models_own_greedy_answers(tiny_model, corpus_dir):
    out = corpus_dir / "traj.pt"
    assert distill.main(["generate", "--model", str(tiny_model), "--data-dir", str(corpus_dir / "data"),
                         "--out", str(out), "--examples", "8", "--valid-examples", "4", "--batch-size", "4"]) == 0
    data = torch.load(out, weights_only=False)
    assert sum(len(b[0]) for b in data["train"]) == 8 and sum(len(b[0]) for b in data["valid"]) == 4
    model, _, _, sampler_special = distill.load_model(tiny_model)
    model.eval()
    ctx, valid, targets, teacher = data["train"][0]
    again = distill.teacher_batch(model, (ctx, valid, targets), sampler_special, torch.Generator().manual_seed(0))
    assert torch.equal(again, teacher)                     # greedy in every row: no randomness
    assert teacher.shape == targets.shape and not (teacher == sampler_special.mask).any()


def test_train_resumes_and_exports_a_folder_the_engine_loads(tiny_model, corpus_dir):
    traj = corpus_dir / "traj.pt"
    distill.main(["generate", "--model", str(tiny_model), "--data-dir", str(corpus_dir / "data"),
                  "--out", str(traj), "--examples", "8", "--valid-examples", "4", "--batch-size", "4"])
    run = corpus_dir / "sd"
    common = ["train", "--model", str(tiny_model), "--trajectories", str(traj), "--run-dir", str(run),
              "--eval-every", "2", "--val-examples", "4", "--lr", "1e-3", "--warmup-steps", "1"]
    assert distill.main([*common, "--steps", "2"]) == 0
    assert torch.load(run / "ckpt.pt", weights_only=False)["step"] == 2
    assert distill.main([*common, "--steps", "4"]) == 0
    state = torch.load(run / "ckpt.pt", weights_only=False)
    assert state["step"] == 4 and [h["step"] for h in state["history"]] == [0, 2, 4]
    assert {"tokens_per_pass", "agree", "exact"} <= set(state["history"][-1])
    out = corpus_dir / "distilled"
    assert distill.main(["export", "--model", str(tiny_model), "--checkpoint", str(run / "step4.pt"),
                         "--out", str(out)]) == 0
    summary = json.loads((out / "training_summary.json").read_text())
    assert summary["self_distillation"]["step"] == 4
    from engine.api import InfillRequest
    from engine.backends.embedded import EmbeddedBackend
    assert EmbeddedBackend(out).infill(InfillRequest("x = ", "", canvas_length=4, max_blocks=1)).forward_passes >= 1


def test_the_loss_pulls_towards_the_teachers_answer_and_rewards_certainty_only_where_right():
    torch.manual_seed(0)

    class Canvas(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.logits = torch.nn.Parameter(torch.zeros(1, 4, 6))

        def encode_context(self, ctx, valid):
            return None

        def denoise(self, inputs, cache):
            return self.logits.expand(inputs.shape[0], -1, -1)

    class Ids:
        mask, pad_end = 5, 0

    model = Canvas()
    teacher = torch.tensor([[2, 3, 4, 0]])
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    for _ in range(30):
        loss, parts = distill.distill_loss(model, None, None, teacher, Ids, torch.Generator().manual_seed(1),
                                           t_min=0.99, entropy_weight=0.5, pad_weight=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model.logits.argmax(-1).tolist() == teacher.tolist()
    assert parts["right"] == 1.0 and parts["entropy"] < 0.5
