"""Fill-in-the-middle prompt formats: how a model family wants prefix and suffix laid out.

Servers such as vLLM reject the OpenAI ``suffix`` field, so a two-sided infill sends one
``prompt`` string in the model's own format. Local models are matched by the marker tokens
their tokenizer knows (``template_for_vocab``); remote models by ``--fim-format`` or by a
family name found in the model name (``template_for_name``), with the CodeGemma / Qwen /
our-own ``<|fim_prefix|>`` layout as the default.

Where a format has a place for the document's path (Qwen2.5-Coder's repository layout:
``<|file_sep|>path`` before the FIM markers) a request's path goes there, and a chat request
(remote, or a local model's chat template) names the language and the path in its instruction.
Other formats have no such place and get neither.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FimTemplate:
    name: str
    pattern: str                 # str.format pattern with {prefix} and {suffix}
    markers: tuple[str, ...]     # tokens a tokenizer must know for the format to apply
    stop: tuple[str, ...] = ()   # strings that end a middle
    header: str = ""             # str.format pattern with {path}, before the rest when the path is known

    def render(self, prefix: str, suffix: str, path: str | None = None) -> str:
        head = self.header.format(path=path) if self.header and path else ""
        return head + self.pattern.format(prefix=prefix, suffix=suffix)


# Order matters for template_for_name: the first family whose key occurs in the name wins.
TEMPLATES: dict[str, FimTemplate] = {t.name: t for t in [
    # Qwen2.5-Coder and the diffusion models built on it (DiffuCoder, Dream-Coder): the repository
    # layout names the file before its FIM markers. Before "psm": a vocabulary with <|file_sep|> is Qwen's.
    FimTemplate("qwen", "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
                ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_sep|>"),
                ("<|endoftext|>", "<|file_sep|>", "<|fim_pad|>"), header="<|file_sep|>{path}\n"),
    FimTemplate("psm", "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
                ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"), ("<|endoftext|>", "<|file_separator|>")),
    FimTemplate("starcoder", "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>",
                ("<fim_prefix>", "<fim_suffix>", "<fim_middle>"), ("<|endoftext|>", "<file_sep>")),
    FimTemplate("deepseek", "<｜fim▁begin｜>{prefix}<｜fim▁hole｜>{suffix}<｜fim▁end｜>",
                ("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"), ("<｜end▁of▁sentence｜>",)),
    FimTemplate("codellama", "<PRE> {prefix} <SUF>{suffix} <MID>", ("<PRE>", "<SUF>", "<MID>"), ("<EOT>",)),
    FimTemplate("codestral", "[SUFFIX]{suffix}[PREFIX]{prefix}", ("[SUFFIX]", "[PREFIX]"), ("</s>",)),
]}

# Family names (as found in model names) -> template; anything else uses DEFAULT.
NAME_HINTS: dict[str, str] = {
    "starcoder": "starcoder", "santacoder": "starcoder", "deepseek": "deepseek",
    "codellama": "codellama", "code-llama": "codellama", "codestral": "codestral",
    "gemma": "psm", "qwen": "qwen", "dream": "qwen", "diffucoder": "qwen",
}
DEFAULT = "psm"


def template_for_name(model_name: str, override: str = "auto") -> FimTemplate:
    """The format for a served model: an explicit choice, else a hint in its name."""
    if override != "auto":
        if override not in TEMPLATES:
            raise ValueError(f"unknown FIM format {override!r} (choose from auto, {', '.join(TEMPLATES)})")
        return TEMPLATES[override]
    low = model_name.lower()
    for key, name in NAME_HINTS.items():
        if key in low:
            return TEMPLATES[name]
    return TEMPLATES[DEFAULT]


def template_for_vocab(vocab: dict[str, int]) -> FimTemplate | None:
    """The format whose marker tokens are all single tokens of this vocabulary, if any."""
    for t in TEMPLATES.values():
        if all(m in vocab for m in t.markers):
            return t
    return None


CHAT_INSTRUCTION = (
    "Fill in the missing code marked <FILL>. Answer with the missing code only, no explanation, "
    "no code fences, and do not repeat the code before or after the gap.")


def chat_messages(prefix: str, suffix: str, language: str | None = None, path: str | None = None) -> list[dict]:
    """A chat request for an instruction model with no fill-in-the-middle format; the language
    and the path, when known, are named in the instruction."""
    where = f"The code is {language}" if language else ("The code" if path else "")
    where += f", from the file {path}" if path else ""
    return [{"role": "system", "content": CHAT_INSTRUCTION + (f" {where}." if where else "")},
            {"role": "user", "content": f"{prefix}<FILL>{suffix}"}]


def strip_fences(text: str) -> str:
    """Chat models often wrap code in ``` fences despite the instruction; keep the inside."""
    s = text.strip("\n")
    if s.startswith("```"):
        body = s.split("\n", 1)[1] if "\n" in s else ""
        end = body.rfind("```")
        return body[:end].rstrip("\n") if end != -1 else body
    return text
