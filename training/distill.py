"""Self-distillation for certainty: a model that commits more tokens per forward pass.

dParallel's certainty-forcing distillation, at this model's size. A masked-diffusion sampler
commits in one pass every position whose confidence passes a threshold; the shipped model is
rarely that sure while much of the canvas is still masked, so it commits about one token a
pass. Here the model learns to reach its *own* answers sooner:

1. ``generate``: the model completes gaps cut from the training corpus with the shipped
   sampler (greedy, confidence threshold, no step budget) and its answers are kept as
   targets (``trajectories.pt``). Nothing new is learnt about the code, only about the
   model's own certainty, so its answers (and pass@1) should stay where they were.
2. ``train``: from heavily masked canvases (noise level drawn from ``[t_min, 1)``), the
   cross-entropy towards those answers plus ``entropy_weight`` x the entropy of the
   positions it already gets right (certainty forcing). A held-out set of the same cuts is
   decoded with the shipped sampler at every evaluation: tokens per pass, agreement with the
   teacher's answers and exact match with the true middle, so a run that trades answers
   for speed shows it.
3. ``export``: a checkpoint (``stepN.pt``, one per evaluation; pick by its held-out figures,
   kept in the checkpoint and in ``log.jsonl``) as a model folder.

    python -m training.distill generate --model engine/model --data-dir data-fn --out runs/sd/trajectories.pt
    python -m training.distill train --model engine/model --trajectories runs/sd/trajectories.pt --run-dir runs/sd
    python -m training.distill export --model engine/model --checkpoint runs/sd/step300.pt --out runs/sd/model

Everything runs on one CPU thread by default; checkpoints are written atomically and a run
resumes from its last one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

import torch

from engine.modeling import CanvasConfig, CanvasDenoiser
from engine.sampling import SamplerConfig, SpecialTokens, denoise
from engine.tokenizer import SpecialIds, load_tokenizer, sampler_tokens

from .corpus import load_texts
from .cuts import FimBudget, parse_cut_weights
from .data import ExampleStream
from .export import TrainingError, load_checkpoint, save_checkpoint
from .train import _stop_on_sigterm, load_initial_weights

DEFAULT_CUTS = "line=0.6,rest_of_line=0.4"      # the single-line gaps the server sees most


def load_model(folder: Path) -> tuple[CanvasDenoiser, object, SpecialIds, SpecialTokens]:
    config = CanvasConfig.from_pretrained(str(folder))
    model = CanvasDenoiser(config)
    load_initial_weights(model, str(folder))
    tokenizer = load_tokenizer(folder)
    special = SpecialIds.from_tokenizer(tokenizer)
    return model, tokenizer, special, sampler_tokens(tokenizer, special)


def budget_of(model: CanvasDenoiser) -> FimBudget:
    cfg = model.config
    return FimBudget(int(getattr(cfg, "prefix_tokens", 224)), int(getattr(cfg, "suffix_tokens", 48)),
                     int(cfg.canvas_length))


SHIPPED_SAMPLER = SamplerConfig(candidate_temperature=0.0)   # greedy in every row, as the server's first
# row, and uncapped (pass_share 0, as when round 11 ran): the teacher takes as many passes as it needs.


@torch.no_grad()
def teacher_batch(model, batch, sampler_special: SpecialTokens, gen: torch.Generator) -> torch.Tensor:
    """The model's own answers (B, N) for a collated batch, with the shipped sampler."""
    ctx, valid, targets = batch
    cache = model.encode_context(ctx, valid)
    canvas = torch.full_like(targets, sampler_special.mask)
    return denoise(model, cache, canvas, sampler_special, SHIPPED_SAMPLER, gen).tokens


def _content(row: list[int], pad_end: int) -> list[int]:
    return row[: row.index(pad_end)] if pad_end in row else row


def generate(args) -> int:
    torch.set_num_threads(args.threads)
    model, tokenizer, special, sampler_special = load_model(Path(args.model))
    model.eval()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    corpus = Path(args.data_dir) / "corpus"
    made = {}
    for split, n in (("train", args.examples), ("valid", args.valid_examples)):
        texts = load_texts(corpus / f"{split}.jsonl")
        stream = ExampleStream(texts, tokenizer, special, budget_of(model), args.seed + (split == "valid"),
                               cut_weights=parse_cut_weights(args.cuts))
        gen = torch.Generator().manual_seed(args.seed)
        batches, t0 = [], time.time()
        while sum(len(b[0]) for b in batches) < n:
            batch = stream.batch(args.batch_size)
            batches.append((*batch, teacher_batch(model, batch, sampler_special, gen)))
            done = sum(len(b[0]) for b in batches)
            if len(batches) % 20 == 0:
                print(f"{split}: {done} of {n} ({done / (time.time() - t0):.0f} a second)", file=sys.stderr)
        made[split] = batches
    tmp = out.with_suffix(".tmp")
    torch.save({"model": str(args.model), "cuts": args.cuts, "seed": args.seed, **made}, tmp)
    os.replace(tmp, out)
    print(f"wrote {out}: {sum(len(b[0]) for b in made['train'])} training and "
          f"{sum(len(b[0]) for b in made['valid'])} held-out answers", file=sys.stderr)
    return 0


def distill_loss(model, ctx, valid, teacher, special: SpecialIds, gen: torch.Generator, t_min: float,
                 entropy_weight: float, pad_weight: float) -> tuple[torch.Tensor, dict]:
    """Cross-entropy towards the teacher's answer on masked positions of a heavily masked
    canvas, plus the entropy of the positions whose argmax is already right."""
    B, N = teacher.shape
    t = t_min + (1 - t_min) * torch.rand(B, generator=gen)
    noised = torch.rand(B, N, generator=gen) < t[:, None]
    inputs = torch.where(noised, torch.full_like(teacher, special.mask), teacher)
    is_pad = teacher == special.pad_end
    weights = torch.where((is_pad.long().cumsum(1) > 1) & is_pad, pad_weight, 1.0) * noised
    cache = model.encode_context(ctx, valid)
    logits = model.denoise(inputs, cache).float()
    logp = torch.log_softmax(logits, -1)
    ce = -logp.gather(-1, teacher[..., None]).squeeze(-1)
    entropy = -(logp.exp() * logp).sum(-1)
    right = (logits.argmax(-1) == teacher).float()
    total = weights.sum().clamp(min=1.0)
    ce_loss = (ce * weights).sum() / total
    ent_loss = (entropy * weights * right).sum() / total
    return ce_loss + entropy_weight * ent_loss, {"ce": ce_loss.item(), "entropy": ent_loss.item(),
                                                 "right": float((right * weights).sum() / total)}


@torch.no_grad()
def held_out(model, batches, special: SpecialIds, sampler_special: SpecialTokens, limit: int) -> dict:
    """Decode held-out gaps one at a time with the shipped sampler: tokens per pass, and how
    often the answer is the teacher's and the true middle."""
    model.eval()
    gen = torch.Generator().manual_seed(0)
    tokens = passes = agree = exact = n = 0
    for ctx, valid, targets, teacher in batches:
        for i in range(len(ctx)):
            if n >= limit:
                break
            keep = valid[i]
            cache = model.encode_context(ctx[i:i + 1, keep], valid[i:i + 1, keep])
            canvas = torch.full_like(targets[i:i + 1], sampler_special.mask)
            res = denoise(model, cache, canvas, sampler_special, SHIPPED_SAMPLER, gen)
            got = _content(res.tokens[0].tolist(), special.pad_end)
            tokens += len(got)
            passes += res.forward_passes
            agree += got == _content(teacher[i].tolist(), special.pad_end)
            exact += got == _content(targets[i].tolist(), special.pad_end)
            n += 1
    model.train()
    return {"examples": n, "tokens_per_pass": round(tokens / max(1, passes), 3),
            "agree": round(agree / max(1, n), 4), "exact": round(exact / max(1, n), 4)}


def train(args) -> int:
    torch.set_num_threads(args.threads)
    model, tokenizer, special, sampler_special = load_model(Path(args.model))
    data = torch.load(args.trajectories, weights_only=False)
    train_batches, valid_batches = data["train"], data["valid"]
    run = Path(args.run_dir)
    run.mkdir(parents=True, exist_ok=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.0)
    gen = torch.Generator().manual_seed(args.seed)
    order_rng = random.Random(args.seed)
    step, history = 0, []
    state = load_checkpoint(run / "ckpt.pt")
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        gen.set_state(state["noise_rng"])
        order_rng.setstate(state["order_rng"])
        step, history = state["step"], state["history"]
        print(f"resumed at step {step}", file=sys.stderr)
    else:
        start = held_out(model, valid_batches, special, sampler_special, args.val_examples)
        history.append({"step": 0, **start})
        print(json.dumps(history[-1]), file=sys.stderr)

    def snapshot() -> dict:
        return {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                "noise_rng": gen.get_state(), "order_rng": order_rng.getstate(), "history": history,
                "args": vars(args), "model_config": model.config.to_dict()}

    log = open(run / "log.jsonl", "a")
    model.train()
    previous_handlers = _stop_on_sigterm()          # SIGTERM / SIGINT: a checkpoint, then stop
    order: list[int] = []
    t0, ema = time.time(), None
    try:
        while step < args.steps:
            if args.minutes and time.time() - t0 > args.minutes * 60:
                break
            if not order:
                order = list(range(len(train_batches)))
                order_rng.shuffle(order)
            ctx, valid, _, teacher = train_batches[order.pop()]
            warm = min(1.0, (step + 1) / args.warmup_steps)
            for g in opt.param_groups:
                g["lr"] = args.lr * warm
            loss, parts = distill_loss(model, ctx, valid, teacher, special, gen, args.t_min,
                                       args.entropy_weight, args.pad_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
            if step % 25 == 0:
                log.write(json.dumps({"step": step, "loss": round(ema, 4), **{k: round(v, 4) for k, v in parts.items()},
                                      "elapsed_s": round(time.time() - t0)}) + "\n")
                log.flush()
            if step % args.eval_every == 0:
                history.append({"step": step, **held_out(model, valid_batches, special, sampler_special,
                                                         args.val_examples)})
                print(json.dumps(history[-1]), file=sys.stderr)
                log.write(json.dumps({"eval": history[-1]}) + "\n")
                log.flush()
                save_checkpoint(run / f"step{step}.pt", {"model": model.state_dict(), "step": step,
                                                         "model_config": model.config.to_dict(),
                                                         "eval": history[-1]})
                save_checkpoint(run / "ckpt.pt", snapshot())
    except KeyboardInterrupt:
        print("interrupted: saving checkpoint", file=sys.stderr)
    finally:
        log.close()
        import signal
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
    save_checkpoint(run / "ckpt.pt", snapshot())
    return 0


def export_model(args) -> int:
    """Copy the source model folder, with a distilled checkpoint's weights and a summary."""
    src, out = Path(args.model), Path(args.out)
    state = load_checkpoint(Path(args.checkpoint))
    if state is None:
        raise TrainingError(f"no checkpoint at {args.checkpoint}")
    model = CanvasDenoiser(CanvasConfig.from_pretrained(str(src)))
    model.load_state_dict(state["model"])
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp)
    model.save_pretrained(str(tmp))
    summary_path = tmp / "training_summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    summary["self_distillation"] = {"checkpoint": str(args.checkpoint), "step": state["step"],
                                    "held_out": state.get("eval")}
    summary_path.write_text(json.dumps(summary, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    print(f"exported {args.checkpoint} to {out}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.distill", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="the model's own answers on training cuts")
    g.add_argument("--model", default="engine/model")
    g.add_argument("--data-dir", required=True, help="a folder with corpus/train.jsonl and corpus/valid.jsonl")
    g.add_argument("--out", required=True)
    g.add_argument("--examples", type=int, default=20000)
    g.add_argument("--valid-examples", type=int, default=512)
    g.add_argument("--batch-size", type=int, default=32)
    g.add_argument("--cuts", default=DEFAULT_CUTS)
    g.add_argument("--seed", type=int, default=7)
    g.add_argument("--threads", type=int, default=1)
    t = sub.add_parser("train", help="certainty-forcing fine-tune on those answers")
    t.add_argument("--model", default="engine/model")
    t.add_argument("--trajectories", required=True)
    t.add_argument("--run-dir", required=True)
    t.add_argument("--steps", type=int, default=2000)
    t.add_argument("--minutes", type=float, default=0.0)
    t.add_argument("--lr", type=float, default=5e-5)
    t.add_argument("--warmup-steps", type=int, default=50)
    t.add_argument("--t-min", type=float, default=0.5, help="lowest share of the canvas masked")
    t.add_argument("--entropy-weight", type=float, default=0.5)
    t.add_argument("--pad-weight", type=float, default=0.1)
    t.add_argument("--eval-every", type=int, default=200)
    t.add_argument("--val-examples", type=int, default=256)
    t.add_argument("--seed", type=int, default=11)
    t.add_argument("--threads", type=int, default=1)
    e = sub.add_parser("export", help="a checkpoint's weights as a model folder")
    e.add_argument("--model", default="engine/model", help="the folder distilled (config, tokenizer, manifest)")
    e.add_argument("--checkpoint", required=True)
    e.add_argument("--out", required=True)
    args = p.parse_args(argv)
    try:
        return {"generate": generate, "train": train, "export": export_model}[args.cmd](args)
    except TrainingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
