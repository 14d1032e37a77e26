"""What the editor docs say about the shipped model matches the model."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from safetensors import safe_open

ROOT = Path(__file__).resolve().parents[2]


def shipped_parameters() -> int:
    """Parameters of engine/model, from the tensor shapes in its safetensors header."""
    total = 0
    with safe_open(str(ROOT / "engine" / "model" / "model.safetensors"), "pt") as f:
        for name in f.keys():
            total += math.prod(f.get_slice(name).get_shape())
    return total


def test_the_neovim_screenshot_names_the_shipped_models_size():
    text = (ROOT / "editors" / "nvim" / "screenshot.txt").read_text()
    stated = {float(m) for m in re.findall(r"(\d+(?:\.\d+)?)M parameters", text)}
    assert stated == {round(shipped_parameters() / 1e6, 1)}, stated
    assert json.loads((ROOT / "engine" / "model" / "config.json").read_text())["model_type"] == "infill_canvas"
