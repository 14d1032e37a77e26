"""The one configuration dataclass of a request, shared by the CLI and the language server.

Every field becomes a ``--flag`` of the ``infill`` commands (``add_option_flags``); the LSP
initialization options and ``workspace/didChangeConfiguration`` map onto the same fields
(camelCase). Nothing else changes how a request runs: no module global is read for it. The
docs' option table (docs/configuration.md) is checked against these fields by a test.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields

from engine.sampler_config import SAMPLERS, SamplerConfig

REMOTE_APIS = ("completions", "chat", "fim")


@dataclass
class InfillOptions:
    model: str | None = None        # model folder; default: the embedded model shipped in the package
    sampler: str = "threshold"      # threshold | entropy | sequential
    threshold: float = 0.8          # threshold sampler: commit positions at least this confident
    entropy_bound: float = 0.3      # entropy sampler: summed entropy (nats) committed per pass
    stable_steps: int = 0           # stability early exit after this many unchanged passes (0 = off)
    steps: int = 0                  # forward passes per canvas block at most (0 = no budget): each pass
    #                                 commits at least its share of what is left, most confident first
    pass_share: float = 0.1875      # with no ``steps``: a completion's passes per block at most this share
    #                                 of the canvas (6 for a line's 32 tokens; 0 = no cap); not rewrites
    header_bodies: int = 2          # a completion that ends in a block header with no block gets its
    #                                 body from a next request, this many times at most (0 = off; not
    #                                 under a pass budget, ``steps``)
    heal_indent: bool = True        # a cursor in a line's indentation: the prefix ends at the line start
    #                                 and the canvas writes the indentation too (token healing)
    repair: int = 1                 # syntax repair rounds: re-mask the best candidate's tokens inside
    #                                 tree-sitter errors and denoise them again (0 = off; embedded model)
    resample: int = 8               # when the best candidate still breaks the syntax after repair, draw
    #                                 this many fresh ones (sampled, one batch) and keep the best valid
    #                                 one (0 = off; not under a pass budget, ``steps``; embedded model)
    canvas: int = 0                 # canvas length in tokens; 0 = chosen from the gap kind
    max_blocks: int = 4             # continuation blocks when the gap is longer than the canvas
    max_lines: int = -1             # lines a completion may span: -1 = from the gap kind, 0 = no limit
    candidates: int = 4             # K candidates in one batch, checked and ranked; their agreement
    #                                 is a signal of the confidence (calibrated with K = 4)
    seed: int = 0
    threads: int = 2                # torch CPU threads
    renoise: float = 0.5            # rewrite: share of the selection's tokens re-masked
    min_confidence: float = 0.25    # below it a suggestion is not shown (null in the editor, nothing
    #                                 printed but why, on stderr); the checks reject on their own. The confidence is the
    #                                 probability it is right: at 0.25 the real-code benchmark's test
    #                                 split shows 25% of gaps, 39% of them exactly right
    next_edit_min_confidence: float = 0.35  # next-edit suggestions (infill.next_edit) below it are not shown
    #                                 (tuned on the next-edit benchmark's dev split)
    next_edit_canvas: bool = False  # where propagation shows nothing, the model rewrites the lines around the
    #                                 edit (infill.next_edit.canvas); off: the embedded model found none of 60
    checks: bool = True             # run the checks beyond syntax (infill.checks) and hide what they reject
    # The code around the gap (infill.retrieval, infill.drafting).
    retrieval: bool = True          # drafts copied from the document and its neighbours join the candidates
    drafts: int = 4                 # drafts per request at most
    workspace: str | None = None    # folder whose files are the neighbours (CLI default: the file's folder,
    #                                 the server's: the opened file's project root; "" for none; the server
    #                                 adds it to its open documents and edits)
    references: bool = False        # put the neighbours' chunks most like the gap before the prefix
    known_names: bool = True        # where the gap starts with a name, the names valid there (jedi for
    #                                 Python, tree-sitter for all) become drafts and a confidence signal
    known_names_ms: float = 40.0    # a request waits this long at most for the known names (looked up
    #                                 beside the model from its start; after that it goes on without them)
    examples: bool = True           # Python: the examples in the docstring of the function around the gap
    #                                 (doctests, ``f(2) == 4``) run against the candidates (infill.examples)
    examples_ms: float = 1000.0     # ... in a sandboxed child, for this long at most (past it: no verdict)
    examples_rounds: int = 2        # none satisfies them: fresh batches drawn (the next seeds), not under --steps
    prefix_tokens: int = 0          # context budget before the cursor in tokens (0: the backend's)
    suffix_tokens: int = 0          # context budget after the cursor in tokens (0: the backend's)
    # Backends other than the embedded model (engine.backends).
    endpoint: str | None = None     # OpenAI-compatible server URL; then --model is the served model's name
    api: str = "completions"        # remote request shape: completions | chat | fim (Mercury-style)
    api_key_env: str = "OPENAI_API_KEY"  # environment variable holding the remote API key
    fim_format: str = "auto"        # remote completions prompt format: auto (from the model name) or a family
    device: str = "auto"            # local transformers model: auto (CUDA if present) | cpu | cuda[:N]
    dtype: str = "auto"             # local transformers model: auto (bf16 on CUDA, fp32 on CPU) | float32 | ...
    model_family: str = "auto"      # local adapter: auto (from config model_type) | diffusion_gemma | llada | ...
    trust_remote_code: bool = False  # local model: run the modeling code its folder ships (never by default)
    timeout_s: float = 30.0         # remote: seconds to wait for the server
    fallback_to_embedded: bool = False  # serve with the embedded model when the configured backend fails
    # Context beyond the text around the cursor (infill.sources, used by infill.suggest).
    type_check: bool = True         # run mypy on the document for type errors near the cursor
    verify_types: bool = False      # rank the first candidates by the type errors they leave in the function
    context_in_prompt: bool = False  # write type errors and failing tests into the prompt as comments
    #                                  (the embedded model was not trained with them; the server turns
    #                                  this on for a remote --endpoint unless told otherwise)
    junit_path: str | None = None   # JUnit XML report of the last test run, relative to the workspace
    #                                 root (default: junit.xml or report.xml when present)
    type_check_timeout_s: float = 3.0  # one mypy run, and all of a request's candidate checks, at most

    def sampler_config(self) -> SamplerConfig:
        return SamplerConfig(name=self.sampler, threshold=self.threshold, entropy_bound=self.entropy_bound,
                             stable_steps=self.stable_steps, max_steps=self.steps,
                             pass_share=self.pass_share)

    def validate(self) -> None:
        from .errors import UsageError as InfillError   # an option out of range is bad usage
        if self.sampler not in SAMPLERS:
            raise InfillError(f"unknown sampler {self.sampler!r} (choose from {', '.join(SAMPLERS)})")
        if not 0.0 <= self.threshold <= 1.0:
            raise InfillError("threshold must be in [0, 1] (the confidence a position needs to be committed)")
        if not self.entropy_bound > 0:
            raise InfillError("entropy-bound must be a positive number of nats")
        if self.stable_steps < 0:
            raise InfillError("stable-steps must be 0 (off) or a number of unchanged passes")
        if not 0 <= self.seed < 2 ** 63:
            raise InfillError("seed must be between 0 and 2**63 - 1")
        if self.candidates < 1 or self.candidates > 64:
            raise InfillError("candidates must be between 1 and 64")
        if self.canvas < 0 or self.canvas > 512:
            raise InfillError("canvas must be between 1 and 512 tokens (0 = automatic)")
        if self.max_lines < -1:
            raise InfillError("max-lines must be -1 (from the gap kind), 0 (no limit) or a line count")
        if self.repair < 0 or self.repair > 8:
            raise InfillError("repair must be between 0 (off) and 8 rounds")
        if self.resample < 0 or self.resample > 64:
            raise InfillError("resample must be between 0 (off) and 64 candidates")
        if self.header_bodies < 0 or self.header_bodies > 8:
            raise InfillError("header-bodies must be between 0 (off) and 8")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise InfillError("min-confidence must be in [0, 1]")
        if not 0.0 <= self.next_edit_min_confidence <= 1.0:
            raise InfillError("next-edit-min-confidence must be in [0, 1]")
        if not 0.0 < self.renoise <= 1.0:
            raise InfillError("renoise must be in (0, 1]")
        if not self.type_check_timeout_s > 0:
            raise InfillError("type-check-timeout-s must be a positive number of seconds")
        if not 0.0 <= self.pass_share <= 1.0:
            raise InfillError("pass-share must be in [0, 1] (0: as many passes as the canvas has tokens)")
        if self.steps < 0:
            raise InfillError("steps must be 0 (no budget) or a number of forward passes per block")
        if self.threads < 1 or self.threads > 256:
            raise InfillError("threads must be between 1 and 256 (torch CPU threads)")
        if self.max_blocks < 1:
            raise InfillError("max-blocks must be at least 1")
        if not 0 <= self.known_names_ms <= 10_000:
            raise InfillError("known-names-ms must be between 0 and 10000 milliseconds")
        if not 0 <= self.examples_rounds <= 8:
            raise InfillError("examples-rounds must be between 0 (off) and 8")
        if not 0 <= self.examples_ms <= 60_000:
            raise InfillError("examples-ms must be between 0 and 60000 milliseconds")
        if self.drafts < 0 or self.drafts > 16:
            raise InfillError("drafts must be between 0 (none) and 16")
        if not 0 <= self.prefix_tokens <= 4000 or not 0 <= self.suffix_tokens <= 4000:
            raise InfillError("prefix-tokens and suffix-tokens must be between 0 (the backend's) and 4000")
        from engine.backends.fim_templates import TEMPLATES
        if self.fim_format != "auto" and self.fim_format not in TEMPLATES:
            raise InfillError(f"unknown fim-format {self.fim_format!r} (choose from auto, {', '.join(TEMPLATES)})")
        if self.api not in REMOTE_APIS:
            raise InfillError(f"unknown api {self.api!r} (choose from {', '.join(REMOTE_APIS)})")
        if not self.timeout_s > 0:
            raise InfillError("timeout-s must be a positive number of seconds")
        if self.endpoint and not self.model:
            raise InfillError("--endpoint needs --model NAME, the name the server serves the model under")

    def backend_options(self) -> dict:
        """Keyword arguments of ``engine.backends.load_backend`` beyond model and threads."""
        return {"endpoint": self.endpoint, "api": self.api, "api_key_env": self.api_key_env,
                "device": self.device, "dtype": self.dtype, "timeout_s": self.timeout_s,
                "fallback_to_embedded": self.fallback_to_embedded, "family": self.model_family,
                "fim_format": self.fim_format, "trust_remote_code": self.trust_remote_code}


_HELP = {
    "model": "model folder (`config.json`, `model.safetensors`, `tokenizer.json`; default: the embedded "
             "model), or with `--endpoint` the served model's name",
    "sampler": "`threshold` (commit every position above `--threshold`, Fast-dLLM style), `entropy` "
               "(entropy-bounded, `--entropy-bound` nats per pass), `sequential` (one token per pass)",
    "threshold": "threshold sampler: confidence needed to commit a position in parallel",
    "entropy_bound": "entropy sampler: summed entropy (nats) committed per pass",
    "stable_steps": "stability early exit: commit everything once predictions are unchanged this many "
                    "passes (0: off)",
    "steps": "forward passes per canvas block at most, each committing at least its share of what is left "
             "(0: no budget); lower latency, fewer passes",
    "pass_share": "with no `--steps`: forward passes per completion canvas block at most this share of its "
                  "tokens (0.1875: 6 for a line's 32), each committing at least its share of what is left "
                  "(0: no cap); on HumanEval it raised pass@1 and cut latency; not for rewrites or a LLaDA, "
                  "Dream or other transformers checkpoint (`--steps` bounds those)",
    "header_bodies": "a completion that ends in a block header with nothing indented after it gets its "
                     "body from a next request, this many times at most (0: off; not under `--steps`)",
    "heal_indent": "a cursor in a line's indentation: the prefix ends at the line start and the canvas "
                   "writes the indentation too (token healing)",
    "repair": "syntax repair rounds: re-mask the best candidate's tokens inside the syntax errors and "
              "denoise them again (0: off; embedded model)",
    "resample": "when the best candidate still breaks the syntax after repair, draw this many fresh ones "
                "in one batch and keep the best valid one (0: off; not under `--steps`; embedded model)",
    "canvas": "canvas length in tokens (0: from the gap kind, 32 for a line, 64 for a block)",
    "max_blocks": "continuation blocks when the gap is longer than one canvas",
    "max_lines": "lines a completion may span (-1: from the gap kind, 0: no limit)",
    "candidates": "K candidates drawn as one batch sharing the context cache, syntax-checked and ranked",
    "seed": "sampling seed",
    "threads": "torch CPU threads",
    "renoise": "rewrite: share of the selection's tokens re-masked before denoising",
    "checks": "check names, cut-off names, echoes and compilation on every candidate and hide what they "
              "reject (`--no-checks`: show it anyway)",
    "min_confidence": "a suggestion whose confidence (in [0, 1], calibrated on real code) is below this is "
                      "not shown: null in the editor; `infill complete` prints nothing on stdout and says why in one line "
                      "on stderr (`--json`: `\"shown\": false`, `text` empty, `best` the candidate)",
    "next_edit_canvas": "where propagation shows no next edit, the model rewrites the lines around the user's "
                        "edit (two below, one above; four draws each) and a rewrite most draws agree on is "
                        "suggested, its confidence the share of draws that wrote it (not fitted). Off by "
                        "default: the embedded model wrote none of the expected edits on the next-edit "
                        "benchmark; for a served or local model that writes edits",
    "next_edit_min_confidence": "a next-edit suggestion (`infill next-edit`, `textDocument/copilotInlineEdit`) "
                                "whose confidence (the probability it is right, fitted on the next-edit "
                                "benchmark's dev split) is below this is not shown",
    "retrieval": "drafts copied from lines of the document and of its neighbours whose surroundings look "
                 "like the gap's join the candidates, ranked with the model's by one confidence",
    "drafts": "drafts per request at most (0: none)",
    "workspace": "folder whose files are the neighbours: for `infill complete`/`batch` (default: the "
                 "file's folder; `\"\"`: none); for the server, indexed beside its open documents and "
                 "recent edits (default: the project root of the last file opened from disk: its workspace "
                 "folder, else the nearest folder with a project marker). Bounded in files and bytes",
    "references": "put the neighbours' chunks most like the gap before the prefix as a marked block "
                  "(for a backend with a long context: the embedded model reads 224 tokens before the cursor)",
    "known_names": "where the gap starts with a name (after `.`, `=`, `return`, `(`, an argument), the names "
                   "valid there (jedi's completions for Python with the project root as its search path; the "
                   "document's definitions and imports from tree-sitter for every language) become drafts the "
                   "model completes and scores, and a candidate whose first name is not one of them is less "
                   "likely shown; a cut-off name the model writes is completed to a known one",
    "known_names_ms": "milliseconds a request waits at most for the known names (looked up beside the "
                      "model from the request's start, cached per document and position; past it the request "
                      "goes on without them)",
    "examples": "Python: where the gap lies in a function whose docstring shows examples (doctests, or "
                "lines like `f(2) == 4` / `f(2) => 4`), they are run against the candidates in a sandboxed child "
                "process (the module's imports and definitions only, never its other top-level code): where some "
                "candidate satisfies them, those that fail one are rejected",
    "examples_ms": "milliseconds the docstring examples may run for all of a request's candidates together "
                   "(past it: no verdict)",
    "examples_rounds": "where the docstring's examples exist and no candidate satisfies them, this many fresh "
                       "batches (the next seeds, no drafts) are drawn and checked, the first whose best satisfies "
                       "them answers; not under a pass budget (`--steps`, the server's automatic requests)",
    "prefix_tokens": "context budget before the cursor, in tokens (0: the backend's; the embedded model "
                     "reads at most the 224 it was trained with)",
    "suffix_tokens": "context budget after the cursor, in tokens (0: the backend's; the embedded model "
                     "reads at most the 48 it was trained with)",
    "endpoint": "OpenAI-compatible server URL, e.g. `http://gpu-box:8000` (vLLM, SGLang, Mercury)",
    "api": "remote request shape: `completions` (FIM prompt), `chat`, or `fim` (`/v1/fim/completions`)",
    "api_key_env": "environment variable holding the remote API key",
    "fim_format": "remote completions prompt format: `auto` (from the model name) or a family",
    "device": "local transformers model: `auto` (CUDA if present), `cpu`, `cuda[:N]`",
    "dtype": "local transformers model: `auto` (bf16 on CUDA, fp32 on CPU), `float32`, ...",
    "model_family": "local transformers adapter: `auto` (from `config.json`), `diffusion_gemma`, `llada`, "
                    "`dream`, `dreamon`, `open_dcoder`, `coda`, `masked_lm`",
    "trust_remote_code": "local model: run the modeling code its folder ships (`auto_map`), with shims for "
                         "transformers 5; off, such a folder is refused unless its family loads by architecture",
    "timeout_s": "remote: seconds to wait for the server",
    "fallback_to_embedded": "serve with the embedded model when the configured backend fails",
    "type_check": "with `--context-in-prompt` or `--verify-types`: run mypy for type errors near the cursor",
    "verify_types": "rank the first candidates by the type errors they leave in the function",
    "context_in_prompt": "write type errors and failing tests into the prompt as comments (the language "
                         "server turns this on for an `--endpoint` unless told otherwise)",
    "junit_path": "JUnit XML report of the last test run, relative to the workspace root (default: "
                  "`junit.xml` or `report.xml` when present)",
    "type_check_timeout_s": "seconds for one mypy run, and for all of a request's candidate checks",
}


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def option_rows() -> list[tuple[str, str, str, str]]:
    """(flag, setting, default, meaning) for every field of ``InfillOptions``."""
    rows = []
    for f in fields(InfillOptions):
        default = "embedded" if f.name == "model" else ("none" if f.default is None else repr(f.default))
        default = default.replace("'", "").replace("True", "true").replace("False", "false")
        flag = f"`--{f.name.replace('_', '-')}`"
        rows.append((flag, f"`{camel_case(f.name)}`", f"`{default}`", _HELP.get(f.name, "")))
    return rows


def option_table() -> str:
    """The Markdown table of every option (docs/configuration.md holds it; a test compares)."""
    lines = ["| flag | LSP setting | default | meaning |", "| --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(row)} |" for row in option_rows()]
    return "\n".join(lines) + "\n"


def add_option_flags(parser: argparse.ArgumentParser) -> None:
    for f in fields(InfillOptions):
        flag = "--" + f.name.replace("_", "-")
        kind = {"int": int, "float": float}.get(str(f.type), str)
        extra = {"choices": list(SAMPLERS)} if f.name == "sampler" else {}
        if f.name == "api":
            extra = {"choices": list(REMOTE_APIS)}
        if str(f.type) == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default,
                                help=_HELP.get(f.name))
            continue
        parser.add_argument(flag, type=kind, default=f.default, help=_HELP.get(f.name), **extra)


def options_from_args(args: argparse.Namespace) -> InfillOptions:
    opts = InfillOptions(**{f.name: getattr(args, f.name) for f in fields(InfillOptions)})
    opts.validate()
    return opts


if __name__ == "__main__":   # python -m infill.config: the option table of docs/configuration.md
    print(option_table(), end="")
