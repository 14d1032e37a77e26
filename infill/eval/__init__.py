"""Evaluation: benchmarks of completions against their tests (``humaneval``), run in the sandbox."""
