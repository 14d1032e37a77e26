"""Next edits the model writes (``nextEditCanvas``): where propagation shows nothing, the lines
around the user's last edit are re-masked, one at a time, and denoised by the configured backend
with the document (which holds the user's edit) on both sides.

Which lines: the first ``BELOW`` non-blank lines after the edit and the first one before it
(``lines_to_try``), as in the trial. A backend that rewrites (``Capabilities.rewrite``: the embedded model, diffusion checkpoints) starts
from the line's own tokens, all re-masked, with ``EXTRA_TOKENS`` more allowed; another (a served
model) writes the line afresh between the same prefix and suffix, both trimmed to the backend's
budgets as a completion's are; a model other than the embedded one also reads the user's edit
as original / updated lines in comments before the prefix (``edit_block``). ``DRAWS``
candidates per line, one batch. A rewritten line is a candidate when it differs from the line as
it stands and writes no name bound nowhere in the document (``bound_nowhere``: the cut-off ``ex``
for ``except``, a made-up name); its confidence is the share of the draws that wrote it (a model
that rewrites a line the same way in three of four draws means it; one that writes four
different lines does not). That share is not fitted on anything; the threshold
(``nextEditMinConfidence``) applies to it as it stands.

Measured before it was built in (``benchmarks/next_edit_canvas.py``): the embedded model wrote
none of the expected edits on 60 Python tasks of the benchmark's dev split, so it is off by
default; it is there for a model that writes edits (``benchmarks/next_edit.py --canvas --model
DIR`` measures one). Knows the backend's request (``engine.api``) and whole-line edits; nothing
of LSP.
"""

from __future__ import annotations

import re
from collections import Counter
from .edits import LineEdit, NextEditRequest, split_lines
from .propagate import Hunk

BELOW = 2            # non-blank lines after the user's edit re-masked ...
ABOVE = 1            # ... and before it
DRAWS = 4            # candidates per line, one batch
EXTRA_TOKENS = 4     # a rewriting backend may write this many tokens more than the line had
MAX_LINE_CHARS = 400  # a longer line (minified, data) is not rewritten


def lines_to_try(lines: list[str], last: LineEdit) -> list[int]:
    """The lines re-masked: the first ``BELOW`` non-blank ones among the four after the edit's
    new text, then the first non-blank one among the three before it."""
    start, stop = last.start_line, last.start_line + len(split_lines(last.new_text))
    after = [i for i in range(stop, min(len(lines), stop + BELOW + 2)) if lines[i].strip()][:BELOW]
    before = [i for i in range(start - 1, max(-1, start - 4), -1) if lines[i].strip()][:ABOVE]
    return [i for i in after + before if len(lines[i]) <= MAX_LINE_CHARS]


def edit_block(edit: LineEdit, spec) -> str:
    """The user's edit as original / updated lines in the language's comments, put before the
    prefix for a model that reads instructions (not the embedded one, trained on code alone)."""
    mark = spec.line_comment or "#"
    old = [f"{mark} - {line}" for line in split_lines(edit.old_text)] or [f"{mark} (nothing)\n"]
    new = [f"{mark} + {line}" for line in split_lines(edit.new_text)] or [f"{mark} (nothing)\n"]
    lines = [f"{mark} The edit just made (line {edit.start_line + 1}), original then updated:\n", *old, *new]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines) + "\n"


def rewritten(backend, lines: list[str], i: int, request: NextEditRequest, draws: int) -> list[str]:
    """The backend's ``draws`` versions of line ``i`` (each a whole line ending in a newline)."""
    from engine.api import InfillRequest        # here: propagation alone never loads the engine
    from infill.backends import run_backend
    from infill.context import extract
    from infill.languages import spec_of

    line = lines[i].rstrip("\n")
    indent = line[:len(line) - len(line.lstrip())]
    body = line[len(indent):]
    before, after = "".join(lines[:i]) + indent, "\n" + "".join(lines[i + 1:])
    caps = backend.capabilities               # the context trimmed to the backend's budgets, as a completion's
    ctx = extract(before + after, len(before), request.language, caps.prefix_tokens, caps.suffix_tokens,
                  backend.count_tokens)
    told = "" if backend.name == "embedded" else edit_block(request.recent_edits[-1], spec_of(request.language))
    common = dict(prefix=told + ctx.prefix, suffix=ctx.suffix, candidates=draws, seed=0, language=request.language,
                  path=request.path, cancelled=request.cancelled)
    if caps.rewrite:
        ask = InfillRequest(init_text=body, remask_spans=((0, len(body)),), extra_tokens=EXTRA_TOKENS, **common)
    else:
        ask = InfillRequest(max_lines=1, **common)
    out = []
    for cand in run_backend(backend, ask).candidates:
        text = cand.text.split("\n")[0].rstrip()
        out.append(indent + text.lstrip() + "\n")
    return out


_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`")


def bound_nowhere(text: str, line: str, known: set[str]) -> set[str]:
    """The names ``text`` (a rewrite of ``line``) writes outside its string literals that the
    line did not have and that are not ``known`` (the document's names, the language's keywords
    and built-ins): a cut-off name (``ex`` for ``except``) or one the model made up."""
    return set(_NAME.findall(_STRING.sub('""', text))) - set(_NAME.findall(line)) - known


def canvas_hunks(request: NextEditRequest, backend, draws: int = DRAWS,
                 lines: list[str] | None = None) -> list[tuple[Hunk, float]]:
    """(candidate, the share of its line's draws that wrote it) for each re-masked line whose
    draws changed it, the most written change of each line, in the order the lines were tried;
    a draw writing a name bound nowhere (``bound_nowhere``) is no candidate. ``lines``: the
    document's, where the caller has them split already."""
    if not request.recent_edits or draws < 1:
        return []
    from infill.languages import reserved_names

    lines = split_lines(request.document) if lines is None else lines
    known = set(_NAME.findall(request.document)) | (set(reserved_names(request.language)) if request.language
                                                    else set())
    out = []
    for i in lines_to_try(lines, request.recent_edits[-1]):
        if request.cancelled():
            break
        texts = rewritten(backend, lines, i, request, draws)
        changed = Counter(t for t in texts if t.strip() and t.rstrip() != lines[i].rstrip()
                          and not bound_nowhere(t, lines[i], known))
        if not changed:
            continue
        text, count = changed.most_common(1)[0]
        out.append((Hunk(i, i + 1, [text], "canvas"), count / max(1, len(texts))))
    return out
