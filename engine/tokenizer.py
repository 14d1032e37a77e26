"""Byte-level BPE tokenizer for the embedded model.

Trained with Hugging Face ``tokenizers`` on the corpus (``training.tokenizer``), saved as
``tokenizer.json``; the engine reads it with ``tokenizers`` alone (``CanvasTokenizer``),
training through transformers' ``PreTrainedTokenizerFast`` (``load_tokenizer``), with the same
ids, offsets and text. Byte-level means any text,
including odd Unicode, round-trips exactly. Runs of spaces (indentation) become single
tokens because the pre-tokenizer keeps whitespace runs together.

Special tokens (their ids are read from the tokenizer, never written as literals):

- ``<|pad_end|>``: fills the canvas after the middle ends; the first one marks the end.
- ``<|mask|>``: an absorbed (noised) canvas position.
- ``<|fim_prefix|>``, ``<|fim_suffix|>``, ``<|fim_middle|>``: the fill-in-the-middle frame
  of the context: ``<|fim_prefix|> prefix <|fim_suffix|> suffix <|fim_middle|>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .sampler_config import SpecialTokens


PAD_END = "<|pad_end|>"
MASK = "<|mask|>"
FIM_PREFIX = "<|fim_prefix|>"
FIM_SUFFIX = "<|fim_suffix|>"
FIM_MIDDLE = "<|fim_middle|>"
SPECIAL_TOKENS = [PAD_END, MASK, FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE]


@dataclass(frozen=True)
class SpecialIds:
    """Ids of the special tokens, read from a tokenizer."""

    pad_end: int
    mask: int
    fim_prefix: int
    fim_suffix: int
    fim_middle: int

    @classmethod
    def from_tokenizer(cls, tok) -> "SpecialIds":
        ids = [tok.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS]
        if any(i is None or i == tok.unk_token_id and tok.unk_token_id is not None for i in ids):
            raise ValueError("tokenizer lacks the fill-in-the-middle special tokens")
        return cls(*ids)


def context_ids(prefix_ids: list[int], suffix_ids: list[int], special: SpecialIds,
                middle_head: list[int] = ()) -> list[int]:
    """The context token sequence, as training lays it out and inference reads it: prefix and
    suffix already trimmed to their budgets, and the start of the middle when a block continues."""
    return [special.fim_prefix, *prefix_ids, special.fim_suffix, *suffix_ids,
            special.fim_middle, *middle_head]


def sampler_tokens(tokenizer, special: SpecialIds) -> SpecialTokens:
    """What the samplers must know of this vocabulary: the mask and end tokens, the tokens never
    produced (the mask, the fill-in-the-middle markers) and those that decode to whitespace only
    (indentation, newlines)."""
    blank = sorted(i for i in tokenizer.get_vocab().values()
                   if not tokenizer.decode([i]).strip() and i != special.pad_end)
    return SpecialTokens(mask=special.mask, pad_end=special.pad_end,
                         forbidden=[special.mask, special.fim_prefix, special.fim_suffix, special.fim_middle],
                         blank=blank)


def load_tokenizer(folder: Path | str):
    """Load a saved tokenizer folder (``tokenizer.json``) offline, as transformers' tokenizer
    (training saves it with ``save_pretrained``)."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(str(folder), local_files_only=True)


class CanvasTokenizer:
    """The model folder's ``tokenizer.json`` read with ``tokenizers`` alone, answering the calls
    the engine makes of a transformers tokenizer (``__call__`` with offsets, ``decode``,
    ``get_vocab``, ``convert_tokens_to_ids``, ``len``) with the same ids, offsets and text.

    Loading it needs no import of transformers, about 1.2 s of a new process's start (a CLI
    call, a language server's first request); ``tests/engine`` checks it against
    ``PreTrainedTokenizerFast`` token by token."""

    unk_token_id = None            # the byte-level BPE has no unknown token

    def __init__(self, path: Path | str):
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(path))

    def __call__(self, text: str | list[str], add_special_tokens: bool = False,
                 return_offsets_mapping: bool = False) -> dict:
        many = not isinstance(text, str)
        encs = self._tok.encode_batch(list(text), add_special_tokens=add_special_tokens) if many \
            else [self._tok.encode(text, add_special_tokens=add_special_tokens)]
        out: dict = {"input_ids": [e.ids for e in encs]}
        if return_offsets_mapping:
            out["offset_mapping"] = [list(e.offsets) for e in encs]
        return out if many else {k: v[0] for k, v in out.items()}

    def decode(self, ids: list[int]) -> str:
        return self._tok.decode(list(ids), skip_special_tokens=False)

    def get_vocab(self) -> dict[str, int]:
        return self._tok.get_vocab(with_added_tokens=True)

    def convert_tokens_to_ids(self, token: str) -> int | None:
        return self._tok.token_to_id(token)

    def __len__(self) -> int:
        return self._tok.get_vocab_size(with_added_tokens=True)
