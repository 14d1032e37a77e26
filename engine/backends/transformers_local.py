"""Local transformers checkpoints: DiffusionGemma and the masked-diffusion families.

``load_local(folder)`` reads ``config.json`` (and ``tokenizer_config.json``) and picks:

- ``infill_canvas``: our own canvas denoiser (``EmbeddedBackend``);
- ``diffusion_gemma``: ``DiffusionGemmaForBlockDiffusion`` through ``GemmaAdapter``; sampler
  defaults (entropy bound, step cap, stability) from its ``generation_config.json``;
- a published masked-diffusion family recognised by architecture (``families``: LLaDA, Dream,
  DiffuCoder, DreamOn, Open-dCoder, CoDA): its weights on transformers' Llama / Qwen2 / Qwen3
  modules run bidirectionally (``checkpoint``), through ``MaskedAdapter``; no remote code runs;
- any masked LM transformers itself knows (``masked_lm``: BERT, ModernBERT, ...);
- a folder shipping other modeling code: refused, unless ``trust_remote_code`` (``remote_code``).

Weights are only read after the memory estimate says they fit. Device and dtype are automatic
(CUDA + bf16 when present, else CPU + fp32) unless overridden. Nothing is downloaded.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import torch

from .. import rewrite
from ..api import Capabilities, Candidate, InfillRequest, InfillResult
from ..blocks import Cancellable
from ..errors import BackendError, EngineError, ModelLoadError
from ..blocks import fill_blocks
from ..sampling import SamplerConfig
from . import checkpoint, loading, remote_code
from . import dreamon
from .adapters import GemmaAdapter, MaskedAdapter, SequenceCache, special_tokens_for, template_ids, trimmed_ids
from .families import FAMILIES as ARCHITECTURES, Family, recognise
from .fim_templates import chat_messages, template_for_vocab

DREAMON_START = 8                   # masks a DreamOn canvas starts from (its release: 4 to 64)
DREAMON_TEMPERATURE = 0.5           # DreamOn's candidates after the first are drawn at this temperature
OWN = ("infill_canvas", "diffusion_gemma", "masked_lm")
SUPPORTED = ("infill_canvas (embedded), diffusion_gemma, " + ", ".join(ARCHITECTURES)
             + " (LLaDA, Dream, DiffuCoder, DreamOn, Open-dCoder, CoDA), and masked LMs transformers knows "
             "(bert, modernbert, ...)")


def family_of(model_type: str, explicit: str = "auto") -> str | None:
    """Which of our own loaders a model_type belongs to (None: none of them)."""
    if explicit != "auto":
        if explicit not in OWN and explicit not in ARCHITECTURES:
            raise ModelLoadError(f"unknown model family {explicit!r}; supported: {SUPPORTED}")
        return explicit
    mt = (model_type or "").lower()
    if mt in ("infill_canvas", "diffusion_gemma"):
        return mt
    from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES
    return "masked_lm" if mt in MODEL_FOR_MASKED_LM_MAPPING_NAMES else None


def load_local(folder: str | Path, *, device: str = "auto", dtype: str = "auto", family: str = "auto",
               threads: int | None = None, trust_remote_code: bool = False):
    """The backend for a local model folder, chosen by its config (see the module docstring)."""
    folder = Path(folder).expanduser()
    cfg = loading.read_config(folder)
    fam = family_of(cfg.get("model_type", ""), family)
    code = remote_code.shipped_code(folder, cfg)
    arch = None if fam in OWN else recognise(cfg, checkpoint.read_json(folder / "tokenizer_config.json"),
                                             fam or "auto")
    if trust_remote_code and code and cfg.get("auto_map") and family == "auto":
        fam = "remote"                       # the user asked for the folder's own code
    elif arch is not None:
        fam = arch.name
    elif fam is None:
        if code:
            raise remote_code.refusal(folder, cfg, code)
        raise ModelLoadError(f"model folder {folder} holds a {cfg.get('model_type')!r} model, which is not "
                             f"supported; supported: {SUPPORTED}")
    if fam == "infill_canvas":
        from .embedded import EmbeddedBackend
        return EmbeddedBackend(folder, threads=threads)
    if threads:
        torch.set_num_threads(threads)
    return TransformersBackend(folder, cfg, fam, device=device, dtype=dtype, arch=arch,
                               trust_remote_code=trust_remote_code)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


class TransformersBackend:
    """A foreign diffusion model driven by our samplers through a family adapter."""

    name = "transformers"

    def __init__(self, folder: Path, cfg: dict, family: str, *, device: str = "auto", dtype: str = "auto",
                 arch: Family | None = None, trust_remote_code: bool = False):
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        self.folder, self.family, self.arch = folder, family, arch
        self.device = loading.resolve_device(device)
        self.dtype = loading.resolve_dtype(dtype, self.device)
        self.memory_estimate = loading.check_fits(folder, cfg, self.device, self.dtype)
        remote = family == "remote"
        t0 = time.perf_counter()
        try:
            self.tokenizer = checkpoint.load_tokenizer(folder, trust_remote_code=remote or (
                trust_remote_code and family not in ARCHITECTURES))
            self.model = self._load_model(family, cfg)
        except ModelLoadError:
            raise
        except Exception as exc:  # transformers/safetensors raise many types for bad folders
            raise ModelLoadError(f"could not load the model in {folder}: {_first_line(exc)}") from exc
        self.model.to(self.device).eval()
        self.load_ms = (time.perf_counter() - t0) * 1000
        self.sampler_defaults: dict = {}
        self.edit_ids: tuple[int, ...] = ()  # DreamOn's expand and delete ids (set by _masked_adapter)
        self.adapter = self._gemma_adapter(cfg) if family == "diffusion_gemma" else self._masked_adapter(cfg)
        self.capabilities = Capabilities(rewrite=isinstance(self.adapter, MaskedAdapter),
                                         prefix_tokens=self.adapter.prefix_tokens,
                                         suffix_tokens=self.adapter.suffix_tokens,
                                         fixed_canvas=self.adapter.canvas_length)

    # -- loading ---------------------------------------------------------------------------

    def _load_model(self, family: str, cfg: dict):
        import transformers
        kw = dict(local_files_only=True, dtype=self.dtype)
        if family == "diffusion_gemma":
            return transformers.DiffusionGemmaForBlockDiffusion.from_pretrained(str(self.folder), **kw)
        if family == "masked_lm":
            return transformers.AutoModelForMaskedLM.from_pretrained(str(self.folder), **kw)
        if family == "remote":
            return remote_code.load_remote(self.folder, cfg, self.dtype)
        return checkpoint.load_model(self.folder, cfg, self.arch, self.device, self.dtype)

    def _end_ids(self, cfg: dict, gen: dict) -> list[int]:
        ends: list[int] = []
        for src in (gen.get("eos_token_id"), (cfg.get("text_config") or {}).get("eos_token_id"),
                    cfg.get("eos_token_id"), self.tokenizer.eos_token_id, self.tokenizer.pad_token_id,
                    cfg.get("pad_token_id")):
            for i in (src if isinstance(src, list) else [src]):
                if isinstance(i, int) and i not in ends:
                    ends.append(i)
        if not ends:
            raise ModelLoadError(f"model in {self.folder} names no end-of-text or pad token, "
                                 "so a middle could never end")
        return ends

    def _generation_config(self) -> dict:
        path = self.folder / "generation_config.json"
        try:
            return json.loads(path.read_text()) if path.is_file() else {}
        except (OSError, ValueError):
            return {}

    def _gemma_adapter(self, cfg: dict) -> GemmaAdapter:
        gen = self._generation_config()
        ends = self._end_ids(cfg, gen)
        vocab = self.model.config.text_config.vocab_size
        # Uniform-state diffusion has no mask token: the placeholder only marks uncommitted
        # positions for the sampler, and the adapter renoises those before each pass.
        mask = next((i for i in (getattr(self.model.config, "mask_id", None), self.tokenizer.mask_token_id,
                                 self.tokenizer.pad_token_id, self.tokenizer.bos_token_id)
                     if isinstance(i, int) and i not in ends), vocab - 1)
        eb = (gen.get("sampler_config") or {}).get("entropy_bound")
        self.sampler_defaults = {k: v for k, v in {
            "entropy_bound": eb, "max_steps": gen.get("max_denoising_steps"),
            "stable_steps": gen.get("stability_threshold")}.items() if v is not None}
        template = template_for_vocab(self.tokenizer.get_vocab())
        bos = [self.tokenizer.bos_token_id] if self.tokenizer.bos_token_id is not None else []
        if template is not None:
            self.layout_name = template.name

            def layout(prefix, suffix, pt, st, language=None, path=None):
                p, s = trimmed_ids(self.tokenizer, prefix, suffix, pt, st)
                head = template.header.format(path=path) if template.header and path else ""
                return bos + (self.tokenizer(head, add_special_tokens=False)["input_ids"] if head else []) \
                    + template_ids(self.tokenizer, template, p, s)
        elif getattr(self.tokenizer, "chat_template", None):
            self.layout_name = "chat"

            def layout(prefix, suffix, pt, st, language=None, path=None):
                p, s = trimmed_ids(self.tokenizer, prefix, suffix, pt, st)
                msgs = chat_messages(self.tokenizer.decode(p), self.tokenizer.decode(s), language, path)
                out = self.tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True)
                return list(out["input_ids"] if isinstance(out, dict) or hasattr(out, "keys") else out)
        else:
            self.layout_name = "prefix-only"

            def layout(prefix, suffix, pt, st, language=None, path=None):
                return bos + trimmed_ids(self.tokenizer, prefix, suffix, pt, 0)[0]
        special = special_tokens_for(self.tokenizer, mask, ends, vocab)
        return GemmaAdapter(self.model, self.tokenizer, special, ends, layout, prefix_tokens=1024,
                            suffix_tokens=256)

    def _masked_adapter(self, cfg: dict) -> MaskedAdapter:
        arch = self.arch
        mask = next((i for i in (cfg.get("mask_token_id"), self.tokenizer.mask_token_id) if isinstance(i, int)),
                    None)
        if mask is None and arch and arch.mask_token:
            mask = self.tokenizer.convert_tokens_to_ids(arch.mask_token)
            mask = mask if isinstance(mask, int) and mask != self.tokenizer.unk_token_id else None
        if mask is None:
            raise ModelLoadError(f"model in {self.folder} has no mask token (config mask_token_id or "
                                 "tokenizer mask_token): it cannot be used as a masked-diffusion model")
        ends = [e for e in self._end_ids(cfg, {}) if e != mask]
        vocab = int(getattr(self.model.config, "vocab_size", len(self.tokenizer)))
        max_pos = int(getattr(self.model.config, "max_position_embeddings", None)
                      or getattr(self.model.config, "max_sequence_length", None) or 4096)
        bos = self.tokenizer.bos_token_id if self.family != "masked_lm" else None
        self.layout_name = "prefix [MASK]*n suffix"
        special = special_tokens_for(self.tokenizer, mask, ends, vocab)
        edits = [self.tokenizer.convert_tokens_to_ids(t) for t in (arch.edit_tokens if arch else ())]
        self.edit_ids = tuple(edits) if edits and all(isinstance(i, int) for i in edits) else ()
        if self.edit_ids:                    # DreamOn's expand/delete: drawn only by dreamon.denoise_row
            special = replace(special, forbidden=sorted(set(special.forbidden) | set(self.edit_ids)))
        return MaskedAdapter(self.model, self.tokenizer, special,
                             ends, shift=bool(arch and arch.shift), bos=bos, prefix_tokens=min(1024, max_pos // 2),
                             suffix_tokens=min(256, max_pos // 8), max_positions=max_pos)

    # -- the Backend protocol ----------------------------------------------------------------

    def describe(self) -> dict:
        n = sum(p.numel() for p in self.model.parameters())
        return {"backend": self.name, "family": self.family, "model": str(self.folder), "parameters": n,
                "architecture": f"{self.arch.layout} (bidirectional)" if self.arch and self.family != "remote"
                else ("remote code" if self.family == "remote" else self.family),
                "device": str(self.device), "dtype": str(self.dtype).replace("torch.", ""),
                "layout": self.layout_name, "sampler_defaults": self.sampler_defaults}

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def sampler_for(self, cfg: SamplerConfig) -> SamplerConfig:
        """The request's sampler, with the model's own defaults where the request left ours and
        no ``pass_share`` cap (it was measured on the embedded model; ``steps`` bounds a checkpoint)."""
        base = SamplerConfig()
        over = {k: v for k, v in self.sampler_defaults.items()
                if getattr(cfg, k) == getattr(base, k) and (k != "entropy_bound" or cfg.name == "entropy")}
        return replace(cfg, **over, pass_share=0.0)

    def canvas_for(self, request: InfillRequest) -> InfillRequest:
        """The request on the model's own canvas, when it has one (DiffusionGemma: 256 tokens in
        Google's release, whatever the gap kind asked for). The blocks keep the request's token
        budget (``canvas_length * max_blocks``), at least one; the middle ends at the first end
        token, and the caller cuts it to the gap's lines."""
        fixed = self.adapter.canvas_length
        if not fixed or fixed == request.canvas_length:
            return request
        blocks = max(1, -(-request.canvas_length * request.max_blocks // fixed))
        return replace(request, canvas_length=fixed, max_blocks=min(blocks, request.max_blocks))

    @torch.inference_mode()
    def infill(self, request: InfillRequest) -> InfillResult:
        if request.candidates < 1 or request.canvas_length < 1:
            raise BackendError("candidates and canvas length must be at least 1")
        if (request.init_text is not None or request.seeds) and not self.capabilities.rewrite:
            raise BackendError(f"the {self.family} backend cannot rewrite a selection (init_text) yet")
        try:
            return self._infill(self.canvas_for(request))
        except EngineError:
            raise
        except Exception as exc:   # torch and transformers raise many types for a shape they refuse
            raise BackendError(f"the {self.family} model in {self.folder} failed on this request: "
                               f"{_first_line(exc)}") from exc

    def _infill(self, request: InfillRequest) -> InfillResult:
        t0 = time.perf_counter()
        K = request.candidates
        gen = torch.Generator().manual_seed(request.seed)
        model = Cancellable(self.adapter, request.cancelled) if request.cancelled else self.adapter
        if request.seeds:
            K = len(request.seeds)
        cache = self.adapter.start(request.prefix, request.suffix, K, request.seed,
                                   request.language_title or request.language, request.path)
        context_tokens = self.adapter.context_tokens(cache)
        if request.init_text is not None or request.seeds:     # a canvas started from the selected text
            fn = rewrite.seeded if request.seeds else rewrite.rewrite
            cands, passes = fn(model, cache, self.tokenizer, self.adapter.special, request, gen,
                               lambda ids: self.tokenizer.decode(ids, skip_special_tokens=True))
            return InfillResult(cands, passes, (time.perf_counter() - t0) * 1000, context_tokens)
        if self.edit_ids:                    # DreamOn: a canvas that grows and shrinks
            return self._grown(request, model, cache, context_tokens, t0)
        blocks = fill_blocks(model, cache, self.adapter.extend, self.adapter.special,
                             self.sampler_for(request.sampler), request, self.tokenizer.decode, gen)
        cands = [Candidate(self.tokenizer.decode(p, skip_special_tokens=True),
                           float(blocks.logprob[i]) / max(1, len(p)), len(p)) for i, p in enumerate(blocks.pieces)]
        return InfillResult(cands, blocks.forward_passes, (time.perf_counter() - t0) * 1000, context_tokens)

    def _grown(self, request: InfillRequest, model, cache, context_tokens: int, t0: float) -> InfillResult:
        """DreamOn's expand/delete canvas (``dreamon``): it starts from at most ``DREAMON_START``
        masks and may grow to the request's token budget; the first candidate takes the most
        likely token at each step, the others draw at ``DREAMON_TEMPERATURE``."""
        expand, delete = self.edit_ids
        special = replace(self.adapter.special, forbidden=[i for i in self.adapter.special.forbidden
                                                           if i not in self.edit_ids])
        budget = request.canvas_length * request.max_blocks
        gen = torch.Generator().manual_seed(request.seed)
        cands, passes = [], 0
        for i in range(request.candidates):
            row = SequenceCache(cache.prefix[i:i + 1], cache.suffix[i:i + 1])
            grown = dreamon.denoise_row(model, row, special, expand, delete, min(DREAMON_START, budget), budget,
                                        request.sampler.max_steps or 3 * budget,
                                        temperature=DREAMON_TEMPERATURE if i else 0.0, gen=gen)
            passes += grown.passes
            text = self.tokenizer.decode(grown.tokens, skip_special_tokens=True)
            cands.append(Candidate(text, grown.logprob / max(1, len(grown.tokens)), len(grown.tokens)))
        return InfillResult(cands, passes, (time.perf_counter() - t0) * 1000, context_tokens)
