"""Train the embedded canvas denoiser: ``python -m training.train``.

Pipeline: build the corpus (``training.corpus``) and the tokenizer if they are missing, then
train on fill-in-the-middle cuts (``training.cuts``) with the masked-diffusion loss
(``training.noise``). Checkpoints are written atomically every ``--ckpt-every`` steps and on
interruption; a run resumes from its last checkpoint, including optimizer, data RNG and
schedule position. ``python -m training.train export --run DIR --out engine/model`` writes the
shippable folder (config, safetensors weights, tokenizer, training summary);
``python -m training.train average A B --weight W --out DIR`` averages two such
folders' weights (``training.export``).
"""

from __future__ import annotations

import argparse
import bisect
import copy
import json
import math
import os
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F

from engine.modeling import CanvasConfig, CanvasDenoiser
from engine.tokenizer import SpecialIds, load_tokenizer

from .cuts import FimBudget, parse_cut_weights
from .data import BatchSource, ExampleStream, prepare_data
from .export import TrainingError, average, export, load_checkpoint, read_weights, save_checkpoint
from .noise import antithetic_t, corrupt, diffusion_loss, target_weights

REPO = Path(__file__).resolve().parent.parent


@dataclass
class TrainConfig:
    data_dir: str = "data"                 # corpus/ and tokenizer/ live here
    run_dir: str = "runs/main"             # checkpoints and log.jsonl
    bench_dir: str | None = None           # HumanEval data to decontaminate against
    vocab_size: int = 4096
    hidden_size: int = 192
    num_layers: int = 5
    num_heads: int = 6
    intermediate_size: int = 512
    canvas_length: int = 32
    prefix_tokens: int = 256
    suffix_tokens: int = 64
    batch_size: int = 24
    lr: float = 2e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 200
    max_steps: int = 20000                 # the cosine schedule's length
    minutes: float = 0.0                   # stop (with a checkpoint) after this long; 0 = no limit
    weight_decay: float = 0.05
    pad_weight: float = 0.1                # loss weight of pads after the first pad_end
    random_share: float = 0.1              # share of corrupted tokens that become random tokens
    eps: float = 1e-3                      # smallest noise level
    span_share: float = 0.5                # share of batches that are long plain-code spans
    cut_weights: str = ""                  # gap-cut mix, e.g. "line=0.5,lines=0.3"; "" = cuts.CUTS
    span_canvas: int = 96                  # canvas length of span batches
    span_prefix_tokens: int = 64           # context before a span
    long_share: float = 0.0                # share of batches that are long gaps: multi-line cuts on a
    #                                        longer canvas, so the middle's end after several lines is seen
    long_canvas: int = 64                  # canvas length of long-gap batches
    long_cuts: str = "lines=0.5,needed_lines=0.5"  # the cut mix of long-gap batches
    ar_weight: float = 0.0                 # weight of the next-token loss on the causal context
    ar_sample: float = 0.25                # share of context positions that carry that loss
    round_start: int = 0                   # step at which the current learning-rate round began
    threads: int = 1
    device: str = "auto"                   # "auto" (CUDA if present), "cpu", "cuda"
    workers: int = 0                       # data-making processes; 0 = in the training process
    schedule_minutes: float = 0.0          # >0: fit the round's cosine to this many minutes
    init_from: str | None = None           # a model folder whose weights start a fresh run
    eval_every: int = 250
    ckpt_every: int = 50
    val_examples: int = 256
    seed: int = 0


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise TrainingError("--device cuda was asked for, but torch sees no CUDA device")
    return torch.device(name)


def grown_layer_map(source_layers: int, target_layers: int) -> list[tuple[int, bool]]:
    """For each target block: (source block it copies, whether it is a new block).

    New blocks are spread evenly, each right after the source block it copies (6 -> 8:
    after blocks 2 and 5).
    """
    extra = target_layers - source_layers
    out: list[tuple[int, bool]] = []
    for i in range(source_layers):
        out.append((i, False))
        out += [(i, True)] * ((i + 1) * extra // source_layers - i * extra // source_layers)
    return out


def load_initial_weights(model: CanvasDenoiser, folder: str) -> None:
    """Start a fresh run from a shipped model folder's weights.

    The shapes must match, except that the model may be deeper than the source: then the
    extra blocks are copies of the block before them with their output projections (the
    attention's ``out`` and the MLP's ``down``) zeroed, so the grown model starts as the
    same function as the source and training finds what the new depth is for (the
    LLaMA Pro recipe).
    """
    weights = read_weights(Path(folder), f"--init-from {folder}")
    source_layers = len({k.split(".")[1] for k in weights if k.startswith("blocks.")})
    target_layers = len(model.blocks)
    if source_layers < target_layers:
        grown = {k: v for k, v in weights.items() if not k.startswith("blocks.")}
        for t, (src, new) in enumerate(grown_layer_map(source_layers, target_layers)):
            for k, v in weights.items():
                if k.startswith(f"blocks.{src}."):
                    rest = k[len(f"blocks.{src}."):]
                    zero = new and rest in ("attn.out.weight", "down.weight")
                    grown[f"blocks.{t}.{rest}"] = torch.zeros_like(v) if zero else v.clone()
        weights = grown
        print(f"grew {source_layers} blocks to {target_layers} from {folder}", file=sys.stderr)
    try:
        model.load_state_dict({k: v.float() for k, v in weights.items()})
    except RuntimeError as exc:
        raise TrainingError(f"--init-from {folder}: weights do not fit this model's shape ({exc})") from exc


def build_model(cfg: TrainConfig, tokenizer, special: SpecialIds) -> CanvasDenoiser:
    mcfg = CanvasConfig(
        vocab_size=len(tokenizer), hidden_size=cfg.hidden_size, num_layers=cfg.num_layers,
        num_heads=cfg.num_heads, intermediate_size=cfg.intermediate_size,
        canvas_length=cfg.canvas_length, pad_end_id=special.pad_end, mask_id=special.mask,
        fim_prefix_id=special.fim_prefix, fim_suffix_id=special.fim_suffix,
        fim_middle_id=special.fim_middle,
        prefix_tokens=cfg.prefix_tokens, suffix_tokens=cfg.suffix_tokens,
    )
    return CanvasDenoiser(mcfg)


# ``--schedule-minutes`` times this session's steps SCHEDULE_WARM .. SCHEDULE_PROBE (the
# first ones wait for data workers and kernel warm-up), then fixes the round's length.
SCHEDULE_WARM, SCHEDULE_PROBE = 10, 200


def fit_schedule(cfg: TrainConfig, step: int, rate: float, seconds: float) -> TrainConfig:
    """Set ``max_steps`` so that the round ends ``schedule_minutes`` after this session began.

    ``rate`` is the measured steps per second, ``seconds`` the time the session has run. The
    fitted length is saved with the run, so a resume keeps it.
    """
    left = max(0.0, cfg.schedule_minutes * 60 - seconds)
    max_steps = step + max(1, int(rate * left))
    print(f"schedule: {rate:.1f} steps/s; the round ends at step {max_steps}", file=sys.stderr)
    return replace(cfg, max_steps=max_steps, schedule_minutes=0.0)


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Warm-up then cosine decay over the current round (``round_start`` .. ``max_steps``)."""
    step -= cfg.round_start
    length = cfg.max_steps - cfg.round_start
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    frac = min(1.0, (step - cfg.warmup_steps) / max(1, length - cfg.warmup_steps))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * frac)))


# ---------------------------------------------------------------------------------------------
# Loss, validation, checkpoints.

# Validation always weighs pads by this, so that validation losses stay comparable across
# rounds that train with another pad weight.
VAL_PAD_WEIGHT = 0.1


def context_lm_loss(model, hidden: torch.Tensor, ctx: torch.Tensor, valid: torch.Tensor,
                    share: float, gen: torch.Generator) -> torch.Tensor:
    """Next-token cross-entropy on a random share of the causal context's positions.

    The context encoder is causal, so every context token can carry a language-model loss
    for the price of the head on the sampled positions: far more learning signal per
    processed token than the canvas alone, whose loss-bearing positions are few.
    """
    pairs = valid[:, :-1] & valid[:, 1:]
    pairs &= torch.rand(pairs.shape, generator=gen) < share  # drawn on the CPU: same on any device
    if not pairs.any():
        return hidden.sum() * 0.0
    pairs = pairs.to(hidden.device)
    logits = model.lm_logits(hidden[:, :-1][pairs])
    return F.cross_entropy(logits.float(), ctx[:, 1:].to(hidden.device)[pairs])


def batch_loss(model, batch, cfg: TrainConfig, special: SpecialIds, gen: torch.Generator,
               t: torch.Tensor | None = None, pad_weight: float | None = None,
               parts: dict | None = None) -> torch.Tensor:
    """Diffusion loss on the canvas, plus ``ar_weight`` x the context's next-token loss."""
    ctx, valid, targets = batch
    t = antithetic_t(targets.shape[0], cfg.eps, gen) if t is None else t
    inputs, noised = corrupt(targets, t, special.mask, model.config.vocab_size, cfg.random_share, gen)
    weights = target_weights(targets, special.pad_end, cfg.pad_weight if pad_weight is None else pad_weight)
    device = model.device
    ctx_cpu, valid_cpu = ctx, valid
    if device.type != "cpu":  # the noise is drawn on the CPU, so a run's draws do not depend on the device
        ctx, valid, targets, inputs, noised, t, weights = (
            x.to(device, non_blocking=True) for x in (ctx, valid, targets, inputs, noised, t, weights))
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        cache, hidden = model.encode_context(ctx, valid, return_hidden=True)
        logits = model.denoise(inputs, cache)
        ar = context_lm_loss(model, hidden, ctx_cpu, valid_cpu, cfg.ar_sample, gen) if cfg.ar_weight > 0 else None
    loss = diffusion_loss(logits, targets, noised, t, weights)
    if parts is not None:
        parts["diffusion"] = loss.item()
    if ar is not None:
        if parts is not None:
            parts["context_lm"] = ar.item()
        loss = loss + cfg.ar_weight * ar
    return loss


@torch.no_grad()
def validate(model, val_batches, cfg: TrainConfig, special: SpecialIds) -> float:
    """Diffusion loss only, pads at VAL_PAD_WEIGHT: one yardstick for every round."""
    model.eval()
    gen = torch.Generator().manual_seed(1234)
    val_cfg = replace(cfg, ar_weight=0.0)
    losses = [batch_loss(model, b, val_cfg, special, gen, pad_weight=VAL_PAD_WEIGHT).item()
              for b in val_batches]
    model.train()
    return sum(losses) / len(losses)


# ---------------------------------------------------------------------------------------------

def _stop_on_sigterm() -> dict:
    """SIGTERM (and SIGINT, which background shells ignore) end training with a checkpoint.

    Returns the previous handlers, to be restored when training ends.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum, frame):
        raise KeyboardInterrupt

    return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}


# Fields that fix the model's shape: a resumed run keeps the checkpoint's values.
SHAPE_FIELDS = ("vocab_size", "hidden_size", "num_layers", "num_heads", "intermediate_size", "canvas_length")
# Where things are, always as this invocation says (a run directory may have been moved).
PLACE_FIELDS = ("data_dir", "run_dir", "bench_dir")


def _cut_weights(cfg: TrainConfig) -> dict[str, float]:
    try:
        return parse_cut_weights(cfg.cut_weights)
    except ValueError as exc:
        raise TrainingError(f"--cut-weights: {exc}") from None


def _long_cuts(cfg: TrainConfig) -> dict[str, float]:
    if not 0 <= cfg.long_share <= 1 or cfg.span_share + cfg.long_share > 1:
        raise TrainingError(f"--long-share {cfg.long_share}: must be in [0, 1] and, with --span-share "
                            f"{cfg.span_share}, at most 1")
    if cfg.long_canvas < 1:
        raise TrainingError("--long-canvas must be at least 1 token")
    try:
        return parse_cut_weights(cfg.long_cuts)
    except ValueError as exc:
        raise TrainingError(f"--long-cuts: {exc}") from None


def train(cfg: TrainConfig, given: set[str] | None = None, new_round: bool = False) -> None:
    """Train, or resume from ``run_dir/ckpt.pt``.

    On resume the checkpoint's configuration holds, except for the flags in ``given`` (those
    set explicitly on the command line; shape fields excepted). ``new_round`` starts a new
    warm-up + cosine learning-rate round at the checkpoint's step, ending at ``max_steps``.
    """
    torch.set_num_threads(cfg.threads)
    _cut_weights(cfg)                      # a bad spec fails before the data is read
    _long_cuts(cfg)
    train_texts, valid_texts, tokenizer = prepare_data(cfg)
    special = SpecialIds.from_tokenizer(tokenizer)
    run = Path(cfg.run_dir)
    run.mkdir(parents=True, exist_ok=True)
    ckpt_path = run / "ckpt.pt"
    state = load_checkpoint(ckpt_path)
    if state is not None:
        saved = {k: v for k, v in state["train_config"].items() if k in TrainConfig.__dataclass_fields__}
        given = (given if given is not None else {"minutes", "threads", "max_steps"}) - set(SHAPE_FIELDS)
        cfg = TrainConfig(**{**saved, **{k: getattr(cfg, k) for k in (*given, *PLACE_FIELDS)}})
        if new_round:
            cfg = replace(cfg, round_start=state["step"])
        if cfg.max_steps <= state["step"]:
            raise TrainingError(f"the run is at step {state['step']}; give --max-steps beyond it to go on")
    cut_weights = _cut_weights(cfg)        # again: a resumed run keeps its saved mix unless given
    long_cuts = _long_cuts(cfg)
    # The cut budget too comes from the merged config: made before it, a resume from the command
    # line (only --max-steps given) cut examples and validation with the defaults instead.
    budget = FimBudget(cfg.prefix_tokens, cfg.suffix_tokens, cfg.canvas_length)
    device = resolve_device(cfg.device)
    model = build_model(cfg, tokenizer, special)
    if state is None and cfg.init_from:
        load_initial_weights(model, cfg.init_from)
        print(f"starting from the weights in {cfg.init_from}", file=sys.stderr)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.95), weight_decay=cfg.weight_decay)
    span_budget = FimBudget(cfg.span_prefix_tokens, cfg.suffix_tokens // 2, cfg.span_canvas)
    long_budget = FimBudget(cfg.prefix_tokens, cfg.suffix_tokens, cfg.long_canvas)
    stream = ExampleStream(train_texts, tokenizer, special, budget, cfg.seed, span_budget, cut_weights,
                           long_budget, long_cuts)
    gen = torch.Generator().manual_seed(cfg.seed)
    step, tokens_seen, elapsed, best_val = 0, 0, 0.0, float("inf")
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        stream.rng.setstate(state["data_rng"])
        gen.set_state(state["noise_rng"])
        step, tokens_seen, elapsed = state["step"], state["tokens_seen"], state["elapsed"]
        best_val = state.get("best_val", best_val)
        print(f"resumed {ckpt_path} at step {step} ({tokens_seen / 1e6:.1f}M tokens)", file=sys.stderr)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.2f}M parameters on {device}; train files {len(train_texts)}, "
          f"valid files {len(valid_texts)}", file=sys.stderr)
    batches = None
    if cfg.workers > 0:
        source = BatchSource(stream, cfg.batch_size, cfg.span_share, cfg.seed + step, cfg.long_share)
        batches = iter(torch.utils.data.DataLoader(source, batch_size=None, num_workers=cfg.workers,
                                                   pin_memory=device.type == "cuda", prefetch_factor=4,
                                                   persistent_workers=True))
    val_stream = ExampleStream(valid_texts, tokenizer, special, budget, seed=4321)
    val_batches = [val_stream.batch(cfg.batch_size) for _ in range(max(1, cfg.val_examples // cfg.batch_size))]
    val_long = None          # with long gaps in the mix: their own held-out loss, logged beside val_loss
    if cfg.long_share > 0:
        long_val = ExampleStream(valid_texts, tokenizer, special, budget, seed=4322, long_budget=long_budget,
                                 long_cut_weights=long_cuts)
        val_long = [long_val.batch(cfg.batch_size, long=True)
                    for _ in range(max(1, cfg.val_examples // cfg.batch_size // 2))]

    def snapshot() -> dict:
        return {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                "tokens_seen": tokens_seen, "elapsed": elapsed, "best_val": best_val,
                "data_rng": stream.rng.getstate(), "noise_rng": gen.get_state(),
                "train_config": asdict(cfg), "model_config": model.config.to_dict(), "n_params": n_params}

    from tqdm import tqdm
    bar = tqdm(initial=step, total=cfg.max_steps, dynamic_ncols=True, mininterval=5, file=sys.stderr)
    log = open(run / "log.jsonl", "a")
    ema = None
    ema_parts: dict = {}
    t_start = time.time() - elapsed
    session_start, session_step = time.time(), step
    probe_start = None      # when --schedule-minutes began timing steps
    model.train()
    previous_handlers = _stop_on_sigterm()
    try:
        while step < cfg.max_steps:
            if cfg.minutes and time.time() - session_start > cfg.minutes * 60:
                break
            if batches is not None:
                batch = next(batches)
            else:
                batch = stream.draw(cfg.batch_size, cfg.span_share, cfg.long_share)
            if cfg.schedule_minutes and step == session_step + SCHEDULE_WARM:
                probe_start = time.time()
            if cfg.schedule_minutes and step == session_step + SCHEDULE_PROBE:
                rate = (SCHEDULE_PROBE - SCHEDULE_WARM) / max(time.time() - probe_start, 1e-6)
                cfg = fit_schedule(cfg, step, rate, time.time() - session_start)
                bar.total = cfg.max_steps
            for g in opt.param_groups:
                g["lr"] = lr_at(step, cfg)
            parts: dict = {}
            loss = batch_loss(model, batch, cfg, special, gen, parts=parts)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            tokens_seen += int(batch[1].sum()) + batch[2].numel()
            elapsed = time.time() - t_start
            ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
            for k, v in parts.items():
                ema_parts[k] = v if k not in ema_parts else 0.98 * ema_parts[k] + 0.02 * v
            bar.update(1)
            bar.set_postfix(loss=f"{ema:.3f}", tok=f"{tokens_seen / 1e6:.1f}M")
            record = None
            if step % cfg.eval_every == 0:
                val = validate(model, val_batches, cfg, special)
                record = {"step": step, "tokens": tokens_seen, "train_loss": round(ema, 4),
                          "val_loss": round(val, 4), "lr": lr_at(step, cfg), "elapsed_s": round(elapsed),
                          "tok_per_s": round(tokens_seen / max(1.0, elapsed))}
                record.update({f"train_{k}": round(v, 4) for k, v in ema_parts.items()})
                if val_long is not None:
                    record["val_long_loss"] = round(validate(model, val_long, cfg, special), 4)
                if val < best_val:
                    best_val = val
                    save_checkpoint(run / "best.pt", snapshot())
            elif step % 50 == 0:
                record = {"step": step, "tokens": tokens_seen, "train_loss": round(ema, 4),
                          "elapsed_s": round(elapsed)}
                record.update({f"train_{k}": round(v, 4) for k, v in ema_parts.items()})
            if record:
                log.write(json.dumps(record) + "\n")
                log.flush()
            if step % cfg.ckpt_every == 0:
                save_checkpoint(ckpt_path, snapshot())
    except KeyboardInterrupt:
        print("interrupted: saving checkpoint", file=sys.stderr)
    finally:
        bar.close()
        log.close()
        import signal
        for sig, h in previous_handlers.items():
            signal.signal(sig, h)
    save_checkpoint(ckpt_path, snapshot())
    print(f"stopped at step {step}, {tokens_seen / 1e6:.1f}M tokens, best val {best_val:.4f}", file=sys.stderr)


def parse_args(argv: list[str] | None = None):
    p = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd")
    ex = sub.add_parser("export", help="write a shippable model folder from a run")
    ex.add_argument("--run", default="runs/main")
    ex.add_argument("--out", default=str(REPO / "engine" / "model"))
    ex.add_argument("--data-dir", default="data")
    ex.add_argument("--which", default="best", choices=["best", "ckpt"])
    ex.add_argument("--dtype", default="float32", choices=["float32", "float16"],
                    help="how the weights are stored (float16 halves the file; they load as float32)")
    av = sub.add_parser("average", help="average the weights of two model folders of one architecture")
    av.add_argument("a", help="model folder A")
    av.add_argument("b", help="model folder B (its tokenizer and manifest are copied)")
    av.add_argument("--weight", type=float, default=0.5, help="share of B (0 = A, 1 = B)")
    av.add_argument("--out", required=True)
    p.add_argument("--new-round", action="store_true",
                   help="on resume, start a new learning-rate round (warm-up + cosine to --max-steps)")
    for f in TrainConfig.__dataclass_fields__.values():
        flag = "--" + f.name.replace("_", "-")
        typ = {int: int, float: float, str: str}.get(type(f.default), str)
        # SUPPRESS: a flag not given leaves no attribute, so resume knows what was set.
        p.add_argument(flag, type=typ, default=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.cmd == "export":
            export(Path(args.run), Path(args.out), Path(args.data_dir), args.which, args.dtype)
            return 0
        if args.cmd == "average":
            average(Path(args.a), Path(args.b), Path(args.out), args.weight)
            return 0
        given = {k for k in TrainConfig.__dataclass_fields__ if hasattr(args, k)}
        cfg = TrainConfig(**{k: getattr(args, k) for k in given})
        train(cfg, given, args.new_round)
        return 0
    except TrainingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
