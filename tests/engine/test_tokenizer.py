"""The engine's tokenizer (``tokenizers`` alone) against transformers' reading of the same file,
and a backend that loads without importing transformers or torch's compiler."""

import subprocess
import sys

from helpers import SAMPLE_CODE
from engine.backends.embedded import default_model_dir
from engine.tokenizer import CanvasTokenizer, SpecialIds, load_tokenizer

TEXTS = [SAMPLE_CODE, SAMPLE_CODE[17:301], "  x = 1\n\tif a:\n", "def f(é, ü):\n    return '→'\n", "",
         "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|><|mask|><|pad_end|>", "    \n\n    ", "x" * 500]


def test_the_same_ids_offsets_and_text_as_transformers():
    ours, theirs = CanvasTokenizer(default_model_dir() / "tokenizer.json"), load_tokenizer(default_model_dir())
    assert len(ours) == len(theirs) and ours.get_vocab() == theirs.get_vocab()
    assert SpecialIds.from_tokenizer(ours) == SpecialIds.from_tokenizer(theirs)
    for text in TEXTS:
        a = ours(text, add_special_tokens=False, return_offsets_mapping=True)
        b = theirs(text, add_special_tokens=False, return_offsets_mapping=True)
        assert a["input_ids"] == b["input_ids"] and [tuple(o) for o in a["offset_mapping"]] == \
            [tuple(o) for o in b["offset_mapping"]], text
        assert ours.decode(a["input_ids"]) == theirs.decode(b["input_ids"])
    assert ours(TEXTS, add_special_tokens=False)["input_ids"] == theirs(TEXTS, add_special_tokens=False)["input_ids"]
    assert all(ours.decode([i]) == theirs.decode([i]) for i in range(len(ours)))


def test_the_embedded_backend_loads_without_transformers_or_torchs_compiler():
    """A new process's start (the CLI, the server's first request): importing transformers took
    1.2 s and building the model on the meta device imported torch._dynamo, 0.9 s more."""
    code = ("import sys; from engine.backends.embedded import EmbeddedBackend; EmbeddedBackend(); "
            "print(sorted(m for m in ('transformers', 'torch._dynamo') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
