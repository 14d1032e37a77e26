"""Model choice: our CanvasDenoiser against a tiny text-only DiffusionGemma, by speed and loss.

    .venv/bin/python benchmarks/model_choice.py [--steps 60] [--infer-threads 2 1] [--train-threads 1]

Both models get the same width and depth (hidden 192, 4 layers, 6 heads, feed-forward 512,
vocabulary of our tokenizer) and are measured the same way:

- parameters (shared and tied weights counted once);
- inference at each of ``--infer-threads`` (2, then 1): median ms to encode a 300-token context (batch 1), and of
  one denoising step of a 32-token canvas reading that encoded context. DiffusionGemma is
  driven as its ``generate`` drives it (``model.model.encoder`` into a fresh ``DynamicCache``,
  then ``model(decoder_input_ids=..., past_key_values=...)``); its step is timed with the
  previous step's logits as self-conditioning input (every step after the first), and also
  without. Timing rounds alternate between the models so background load hits both alike;
  on a machine whose cores are already busy, multi-threaded timings mostly measure contention,
  which is why 1 thread is measured too;
- training at ``--train-threads``: the same FIM batches (``ExampleStream``, prefix 224 /
  suffix 48 / canvas 32), the same noise draws and loss (``training.train.batch_loss``: our
  ``<|mask|>`` corruption and MDLM loss, for both), AdamW (lr 2e-3, betas 0.9/0.95, weight
  decay 0.05), ``training.train.lr_at`` (short warmup, cosine) and gradient clipping 1.0, steps
  alternating between the models. Reported: tokens/s (context + canvas tokens per second of
  forward+backward+update), mean training loss of the last 10 steps, and validation loss
  (``training.train.validate``) on fixed validation batches, before and after training.

DiffusionGemma natively corrupts with uniform random tokens (its sampler starts from random
tokens and re-noises rejected positions with random tokens) and trains with self-conditioning;
here it gets our mask-token corruption and no self-conditioning, so that the loss compares like
for like. Writes ``benchmarks/results/model_choice.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import transformers  # noqa: E402

from training.corpus import load_texts  # noqa: E402
from training.diffusion_gemma import GemmaCanvasAdapter, text_only_model, tiny_text_config  # noqa: E402
from training.cuts import FimBudget  # noqa: E402
from engine.modeling import CanvasConfig, CanvasDenoiser  # noqa: E402
from engine.tokenizer import SpecialIds, load_tokenizer  # noqa: E402
from training.data import ExampleStream
from training.train import TrainConfig, batch_loss, lr_at, validate  # noqa: E402

SHAPE = dict(hidden_size=192, num_layers=4, num_heads=6, intermediate_size=512)
BUDGET = FimBudget(prefix_tokens=224, suffix_tokens=48, canvas_length=32)
NAMES = ("ours", "diffusion_gemma")


def build_models(vocab_size: int, special: SpecialIds, seed: int) -> dict[str, torch.nn.Module]:
    ids = dict(pad_end_id=special.pad_end, mask_id=special.mask, fim_prefix_id=special.fim_prefix,
               fim_suffix_id=special.fim_suffix, fim_middle_id=special.fim_middle)
    torch.manual_seed(seed)
    ours = CanvasDenoiser(CanvasConfig(vocab_size=vocab_size, canvas_length=BUDGET.canvas_length, **SHAPE, **ids))
    torch.manual_seed(seed)
    gemma = GemmaCanvasAdapter(text_only_model(tiny_text_config(
        vocab_size, canvas_length=BUDGET.canvas_length, **SHAPE, **ids)))
    return {"ours": ours, "diffusion_gemma": gemma}


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())          # parameters() yields a tied one once


# ---------------------------------------------------------------------------------------------
# Inference.

def timing_context(texts: list[str], tokenizer, special: SpecialIds, length: int) -> torch.Tensor:
    """(1, length) real code tokens in the FIM frame: <|fim_prefix|> code <|fim_suffix|> <|fim_middle|>."""
    doc = max(texts[:200], key=len)
    body = tokenizer(doc, add_special_tokens=False)["input_ids"][: length - 3]
    return torch.tensor([[special.fim_prefix, *body, special.fim_suffix, special.fim_middle]])


def median_ms(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


@torch.no_grad()
def measure_inference(models, ctx: torch.Tensor, canvas: torch.Tensor, reps: int, rounds: int) -> dict:
    """Median ms per call, pooled over `rounds` alternating rounds of `reps` calls each."""
    caches = {k: m.encode_context(ctx) for k, m in models.items()}
    sc_logits = models["diffusion_gemma"].denoise(canvas, caches["diffusion_gemma"])   # a previous step's
    calls = {
        ("ours", "encode_ms"): lambda: models["ours"].encode_context(ctx),
        ("ours", "step_ms"): lambda: models["ours"].denoise(canvas, caches["ours"]),
        ("diffusion_gemma", "encode_ms"): lambda: models["diffusion_gemma"].encode_context(ctx),
        ("diffusion_gemma", "step_ms"): lambda: models["diffusion_gemma"].denoise(
            canvas, caches["diffusion_gemma"], self_conditioning_logits=sc_logits),
        ("diffusion_gemma", "step_no_self_cond_ms"): lambda: models["diffusion_gemma"].denoise(
            canvas, caches["diffusion_gemma"]),
    }
    for fn in calls.values():          # warm-up
        fn(), fn()
    samples: dict = {key: [] for key in calls}
    for _ in range(rounds):
        for key, fn in calls.items():
            samples[key].append(median_ms(fn, reps))
    out: dict = {name: {} for name in NAMES}
    for (name, metric), values in samples.items():
        out[name][metric] = round(statistics.median(values), 2)
    return out


# ---------------------------------------------------------------------------------------------
# Training.

def train_both(models, batches, val_batches, cfg: TrainConfig, special: SpecialIds, seed: int) -> dict:
    opts = {k: torch.optim.AdamW(m.parameters(), lr=cfg.lr, betas=(0.9, 0.95), weight_decay=cfg.weight_decay)
            for k, m in models.items()}
    gens = {k: torch.Generator().manual_seed(seed) for k in models}   # identical noise draws for both
    stats = {k: {"losses": [], "seconds": 0.0, "tokens": 0,
                 "val_loss_start": validate(m, val_batches, cfg, special)} for k, m in models.items()}
    for m in models.values():
        m.train()
    for step, batch in enumerate(batches):
        n_tokens = int(batch[1].sum()) + batch[2].numel()
        for name, model in models.items():
            opt = opts[name]
            for g in opt.param_groups:
                g["lr"] = lr_at(step, cfg)
            t0 = time.perf_counter()
            loss = batch_loss(model, batch, cfg, special, gens[name])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            stats[name]["seconds"] += time.perf_counter() - t0
            stats[name]["tokens"] += n_tokens
            stats[name]["losses"].append(loss.item())
        if (step + 1) % 10 == 0:
            print(f"  step {step + 1}: " + "  ".join(f"{k} {s['losses'][-1]:.3f}" for k, s in stats.items()),
                  file=sys.stderr)
    out = {}
    for name, model in models.items():
        s = stats[name]
        tail = s["losses"][-10:]
        out[name] = {"tokens_per_s": round(s["tokens"] / s["seconds"]),
                     "s_per_step": round(s["seconds"] / len(batches), 3),
                     "train_loss_last10": round(sum(tail) / len(tail), 4),
                     "val_loss_start": round(s["val_loss_start"], 4),
                     "val_loss": round(validate(model, val_batches, cfg, special), 4),
                     "losses": [round(x, 4) for x in s["losses"]]}
    return out


# ---------------------------------------------------------------------------------------------

INFER_ROWS = [  # (label, key, format)
    ("encode {n}-token context, ms", "encode_ms", "{:.1f}"),
    ("denoise step, 32-token canvas, ms", "step_ms", "{:.1f}"),
    ("  same, no self-conditioning, ms", "step_no_self_cond_ms", "{:.1f}"),
]
ROWS = [  # (label, section, key, format)
    ("tokens/s", "training", "tokens_per_s", "{:,}"),
    ("s/step", "training", "s_per_step", "{:.2f}"),
    ("train loss, mean of last 10 steps", "training", "train_loss_last10", "{:.3f}"),
    ("val loss before training", "training", "val_loss_start", "{:.3f}"),
    ("val loss after training", "training", "val_loss", "{:.3f}"),
]


def _row(label: str, values: list, fmt: str) -> None:
    cells = ["-" if v is None else fmt.format(v) for v in values]
    print(f"{label:38s} {cells[0]:>14s} {cells[1]:>16s}")


def print_table(result: dict, args) -> None:
    print(f"\nmodel choice: {args.steps} training steps (batch {args.batch_size}, "
          f"{args.train_threads} thread); loadavg at start {result['setup']['loadavg_start'][0]:.1f}")
    print(f"{'':38s} {'ours':>14s} {'DiffusionGemma':>16s}")
    _row("parameters", [result["params"][k] for k in NAMES], "{:,}")
    for threads, section in result["inference"].items():
        print(f"inference, {threads.replace('_', ' ')}:")
        for label, key, fmt in INFER_ROWS:
            _row("  " + label.format(n=args.context_tokens), [section[k].get(key) for k in NAMES], fmt)
    print("training:")
    for label, section, key, fmt in ROWS:
        _row("  " + label, [result[section][k].get(key) for k in NAMES], fmt)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=60, help="training steps per model")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--train-threads", type=int, default=1)
    p.add_argument("--infer-threads", type=int, nargs="+", default=[2, 1])
    p.add_argument("--warmup-steps", type=int, default=10, help="linear lr warmup, then cosine to 10%%")
    p.add_argument("--val-batches", type=int, default=4)
    p.add_argument("--context-tokens", type=int, default=300)
    p.add_argument("--timing-reps", type=int, default=10, help="calls per timing round")
    p.add_argument("--timing-rounds", type=int, default=5, help="alternating rounds per measurement")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=str(REPO / "data"))
    p.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "model_choice.json"))
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    started, load_start = time.time(), os.getloadavg()
    data = Path(args.data_dir)
    tokenizer = load_tokenizer(data / "tokenizer")
    special = SpecialIds.from_tokenizer(tokenizer)
    valid_texts = load_texts(data / "corpus" / "valid.jsonl")
    models = build_models(len(tokenizer), special, args.seed)
    result: dict = {"params": {k: n_params(m) for k, m in models.items()}}

    ctx = timing_context(valid_texts, tokenizer, special, args.context_tokens)
    canvas = torch.full((1, BUDGET.canvas_length), special.mask)
    for m in models.values():
        m.eval()
    result["inference"] = {}
    for threads in args.infer_threads:
        torch.set_num_threads(threads)
        section = measure_inference(models, ctx, canvas, args.timing_reps, args.timing_rounds)
        result["inference"][f"{threads}_threads" if threads > 1 else "1_thread"] = section
        print(f"inference at {threads} threads: {section}", file=sys.stderr)

    torch.set_num_threads(args.train_threads)
    cfg = TrainConfig(batch_size=args.batch_size, prefix_tokens=BUDGET.prefix_tokens,
                      suffix_tokens=BUDGET.suffix_tokens, canvas_length=BUDGET.canvas_length,
                      lr=2e-3, warmup_steps=args.warmup_steps, max_steps=args.steps, seed=args.seed)
    train_texts = load_texts(data / "corpus" / "train.jsonl")
    stream = ExampleStream(train_texts, tokenizer, special, BUDGET, args.seed)
    batches = [stream.batch(args.batch_size) for _ in range(args.steps)]
    val_stream = ExampleStream(valid_texts, tokenizer, special, BUDGET, seed=4321)
    val_batches = [val_stream.batch(args.batch_size) for _ in range(args.val_batches)]
    del train_texts
    result["training"] = train_both(models, batches, val_batches, cfg, special, args.seed)

    result["setup"] = {
        "shape": SHAPE, "vocab_size": len(tokenizer), "budget": BUDGET.__dict__, "steps": args.steps,
        "batch_size": args.batch_size, "train_threads": args.train_threads, "infer_threads": args.infer_threads,
        "warmup_steps": args.warmup_steps, "val_batches": args.val_batches, "context_tokens": ctx.shape[1],
        "timing": f"median over {args.timing_rounds} alternating rounds of the median of {args.timing_reps} calls",
        "torch": torch.__version__, "transformers": transformers.__version__, "cpus": os.cpu_count(),
        "machine": platform.machine(), "loadavg_start": load_start, "loadavg_end": os.getloadavg(),
        "wall_s": round(time.time() - started),
    }
    result["diffusion_gemma_config"] = models["diffusion_gemma"].model.config.to_dict()["text_config"]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str))
    print_table(result, args)
    print(f"wall {result['setup']['wall_s']} s; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
