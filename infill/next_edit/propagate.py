"""Propagation: the user's last edit read as token-level changes and applied where the same
change fits elsewhere in the document.

Three rules, each giving changed lines that are grouped into hunks (runs of adjacent changed
lines, the shape of the edits a commit makes):

- ``rename``: an identifier replaced by another (a renamed function, parameter, variable,
  field) is followed to the other places that name occurs as a name (tree-sitter: not in a
  string or a comment), in every line;
- ``token``: any other change (a literal or keyword, an added or removed argument, a wrapped
  or unwrapped expression, a changed call) applied where its old tokens occur between the
  same anchoring tokens;
- ``block``: a run of old lines that occurs again elsewhere (indentation aside) replaced the
  way the user replaced it, re-indented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .edits import LineEdit, split_lines
from .names import name_columns
from .tokens import IDENT, Change, carry, line_changes, tokenize


SCAN_LINES = 5000       # lines read on each side of the edit, at most (a huge document)


@dataclass
class Hunk:
    start_line: int                 # lines [start_line, end_line) of the document ...
    end_line: int
    new_lines: list[str]            # ... become these
    rule: str                       # rename | mention (a word of a comment) | token | block
    applied: float = 1.0            # share of the user's changes that fit here (token rule)
    features: dict = field(default_factory=dict)   # "similar": the place vs the user's old lines, 0..1

    @property
    def new_text(self) -> str:
        return "".join(self.new_lines)


@dataclass
class Rules:
    """What can be carried from one edit."""
    changes: list[Change]                      # token changes of the edited lines (not renames)
    renames: dict[str, str]                    # identifier -> identifier
    old_block: list[str]                       # the old lines, stripped (for the block rule)
    new_block: list[str]                       # the new lines as written
    old_lines: list[str]
    new_lines: list[str]

    def empty(self) -> bool:
        return not (self.changes or self.renames or self.old_block)


def _pairs(old: list[str], new: list[str]) -> list[tuple[str, str]]:
    """Old and new lines paired where the edit replaced lines one for one."""
    ops = SequenceMatcher(None, [l.strip() for l in old], [l.strip() for l in new], autojunk=False).get_opcodes()
    pairs = []
    for tag, i1, i2, j1, j2 in ops:
        if tag != "replace":
            continue
        if i2 - i1 == j2 - j1:
            pairs += list(zip(old[i1:i2], new[j1:j2]))
            continue
        # unequal counts: the most alike pairs first, each line in one pair at most
        scored = sorted(((SequenceMatcher(None, a.strip(), b.strip()).ratio(), i, j)
                         for i, a in enumerate(old[i1:i2]) for j, b in enumerate(new[j1:j2])), reverse=True)
        used_a, used_b = set(), set()
        for ratio, i, j in scored:
            if ratio >= 0.6 and i not in used_a and j not in used_b:
                used_a.add(i)
                used_b.add(j)
                pairs.append((old[i1 + i], new[j1 + j]))
    return pairs


def read_edit(edit: LineEdit) -> Rules:
    """What can be carried from ``edit``. One literal word for another (``None`` -> ``True``) is
    an anchored change, not a rename; a keyword for another (``var`` -> ``const``) or a literal
    for a name (``None`` -> ``_sentinel``) is a rename."""
    old, new = split_lines(edit.old_text), split_lines(edit.new_text)
    changes: list[Change] = []
    renames: dict[str, str] = {}
    for a, b in _pairs(old, new):
        for change in line_changes(a, b):
            new_toks = [t.text for t in tokenize(change.new)]
            if change.kind == "rename" and change.left != "." and not (
                    {change.old[0], new_toks[0]} <= LITERAL_WORDS):   # obj.name: a field, anchored
                renames.setdefault(change.old[0], new_toks[0])
            if change not in changes:
                changes.append(change)
    # a rename counts only if the old name is gone from the new lines
    new_text = edit.new_text
    gone = lambda name: not re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", new_text)
    renames = {a: b for a, b in renames.items() if gone(a)}
    changes = [c if c.owner is None or gone(c.old[0]) else Change(c.left, c.old, c.right, c.new)
               for c in changes]        # a field renamed in one place only is anchored as any change
    block = [l.strip() for l in old] if old and any(l.strip() for l in old) and len(old) <= 8 else []
    return Rules(changes, renames, block, new, old, new)


LITERAL_WORDS = frozenset({"None", "True", "False", "null", "nil", "true", "false", "undefined"})


def _rename_line(line: str, renames: dict[str, str], names: set[int] | None) -> str | None:
    """The line with each renamed identifier replaced, on a line where it occurs as a name at
    least once (``names``: the character columns where tree-sitter saw one on this line; None:
    no grammar, every line); a mention in a comment or string on such a line goes with it."""
    if names is not None and not names:
        return None
    toks = tokenize(line)
    out, changed = line, False
    for t in reversed(toks):
        if t.text in renames and IDENT.fullmatch(t.text):
            out = out[:t.start] + renames[t.text] + out[t.end:]
            changed = True
    return out if changed else None


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _block_hunks(lines: list[str], rules: Rules, skip: range) -> list[Hunk]:
    old, n = rules.old_block, len(rules.old_block)
    if not old or sum(len(l) for l in old) < 8:
        return []
    hunks = []
    base = _indent(rules.old_lines[0])
    for i in range(len(lines) - n + 1):
        if i in skip or lines[i].strip() != old[0]:
            continue
        if [l.strip() for l in lines[i:i + n]] != old:
            continue
        here = _indent(lines[i])
        new = [here + l[len(base):] if l.startswith(base) else l for l in rules.new_block]
        hunks.append(Hunk(i, i + n, new, "block"))
    return hunks


def propagate(lines: list[str], rules: Rules, skip: range, language: str | None = None,
              cancelled=lambda: False) -> list[Hunk]:
    """Every hunk the rules give in ``lines`` outside ``skip`` (the user's edit), in document order."""
    changed: dict[int, tuple[str, str, float]] = {}
    names, scope, defines = None, None, False
    if rules.renames:
        found = name_columns(lines, set(rules.renames) | set(rules.renames.values()), language, skip,
                             set(rules.renames.values()))
        if found is not None:
            names, scope, defines = found
    mention = names is not None and not any(i in names for i in skip)
    if mention:
        names = None       # the user changed a word in a comment or string: follow it there too
    needles = [max((t for t in (c.left, *c.old, c.right) if t), key=len) for c in rules.changes if c.anchored]
    needles += list(rules.renames)
    lo, hi = max(0, skip.start - SCAN_LINES), min(len(lines), skip.stop + SCAN_LINES)
    for i in range(lo, hi):
        line = lines[i]
        if i in skip or not any(n in line for n in needles):
            continue
        if i % 1024 == 0 and cancelled():
            return []
        new, rule, applied = None, "", 0.0
        if rules.renames and (names is None or i in names or skip.start - 3 <= i < skip.start) and (
                scope is None or i in scope):
            near = skip.start - 3 <= i < skip.start       # the comment over a renamed definition
            new = _rename_line(line, rules.renames, None if names is None or near else names.get(i, set()))
            rule = ("mention" if mention else "rename") if new is not None else ""
            applied = 1.0 if new is not None else 0.0
        changes = rules.changes
        if scope is not None and i not in scope:     # the renamed name means something else out there
            changes = [c for c in changes if not (len(c.old) == 1 and c.old[0] in rules.renames)]
        if changes:
            carried = carry(new if new is not None else line, changes)
            if carried is not None and carried[0] != (new if new is not None else line):
                new, applied = carried[0], carried[1] / len(rules.changes)
                rule = rule or "token"
        if new is not None and new != line:
            changed[i] = (new, rule, applied)
    hunks = []
    for i in sorted(changed):
        new, rule, applied = changed[i]
        if hunks and hunks[-1].end_line == i:
            h = hunks[-1]
            h.end_line, h.applied = i + 1, min(h.applied, applied)
            h.new_lines.append(new)
        else:
            hunks.append(Hunk(i, i + 1, [new], rule, applied))
    block = [h for h in _block_hunks(lines, rules, skip)
             if not any(o.start_line < h.end_line and h.start_line < o.end_line for o in hunks)]
    for h in hunks:
        h.features["defines"] = float(defines and h.rule == "rename")
    olds = [l.strip() for l in rules.old_lines if l.strip()]
    for h in block:
        h.features["similar"] = 1.0
    for h in hunks:
        here = [l.strip() for l in lines[h.start_line:h.end_line] if l.strip()]
        h.features["similar"] = max((SequenceMatcher(None, a, b, autojunk=False).ratio() for a in here for b in olds),
                                    default=0.0)
    return sorted(hunks + block, key=lambda h: h.start_line)
