"""The server's configuration: ``InfillOptions`` plus the few settings only an editor needs.

One converter, ``options_from_dict``, reads initialization options and the ``infill``
section of ``workspace/didChangeConfiguration`` / ``workspace/configuration`` alike:
camelCase keys (``maxBlocks``, ``completionFallback``) map onto the dataclass fields,
either at the top level or under ``"infill"``. An invalid value is reported (the caller
shows the problems once) and its default is used instead; an ``InfillOptions`` that
fails validation as a whole falls back to the defaults. ``rewriteRenoise`` (earlier releases)
is read as ``renoise``. ``contextInPrompt`` defaults to
true when an ``endpoint`` (a remote backend, which can read the comments) is set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

from infill.config import InfillOptions, camel_case
from infill.errors import InfillError


@dataclass(frozen=True)
class ServerOptions:
    infill: InfillOptions = field(default_factory=InfillOptions)  # model, sampler, candidates, ...
    completion_fallback: bool = True      # also answer textDocument/completion with one item
    automatic_steps: int = 4              # step budget (InfillOptions.steps) of automatically triggered
    #                                       inline completions, where latency matters most; 0 = the
    #                                       infill steps setting. Invoked requests and commands use that.
    max_document_bytes: int = 2_000_000   # larger documents get null results


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
# Settings of earlier releases, read under their new names.
RENAMED = {"rewriteRenoise": "renoise", "rewrite_renoise": "renoise"}
_KINDS = {"int": int, "float": float, "bool": bool, "str": str, "str | None": str}


def snake_case(key: str) -> str:
    return _CAMEL.sub("_", key).lower()


def _coerce(value: Any, kind: str, name: str) -> Any:
    if kind == "str | None" and value is None:
        return None
    expected = _KINDS.get(kind, str)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is int and isinstance(value, bool) or not isinstance(value, expected):
        article = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string"}
        raise ValueError(f"{name} must be {article[expected.__name__]}, not {value!r}")
    return value


def _apply(target: Any, values: dict[str, Any], problems: list[str], skip: set[str]) -> Any:
    """``target`` with each known field of ``values`` set; unknown or invalid keys go to problems."""
    known = {f.name: str(f.type) for f in fields(target)}
    changes = {}
    for key, value in values.items():
        name = snake_case(key)
        if name in skip:
            continue
        if name not in known or name == "infill":
            problems.append(f"unknown option {key!r}")
            continue
        try:
            changes[name] = _coerce(value, known[name], key)
        except ValueError as exc:
            problems.append(f"{exc}; using the default")
    return replace(target, **changes)


def _valid(opts: InfillOptions, raw: dict[str, Any], problems: list[str]) -> InfillOptions:
    """``opts`` where they validate; else with each setting that is out of range on its own
    reset (``canvas: 600`` does not drop the user's ``model`` and ``endpoint``), and the
    defaults as a whole only where the rest still do not go together."""
    try:
        opts.validate()
        return opts
    except InfillError as whole:
        first = whole
    defaults = InfillOptions()
    bad = []
    for f in fields(InfillOptions):
        if getattr(opts, f.name) == getattr(defaults, f.name):
            continue
        try:     # with the user's model: an endpoint is judged with the model it names
            replace(defaults, **{"model": opts.model, f.name: getattr(opts, f.name)}).validate()
        except InfillError as exc:
            bad.append(f.name)
            key = next((k for k in raw if snake_case(k) == f.name), camel_case(f.name))
            problems.append(f"{exc} ({key!r} is {getattr(opts, f.name)!r}); using its default")
    kept = replace(opts, **{name: getattr(defaults, name) for name in bad})
    try:
        kept.validate()
        return kept
    except InfillError as exc:
        problems.append(f"{exc if bad else first}; using the default options")
        return defaults


HELP = {
    "completion_fallback": "also answer `textDocument/completion` with one item, for clients without "
                           "inline completion",
    "automatic_steps": "step budget (`steps`) of automatically triggered inline completions, where "
                       "latency matters most (0: the `steps` setting); invoked requests and commands use `steps`",
    "max_document_bytes": "larger documents get null results",
}


def server_option_table() -> str:
    """The Markdown table of the settings only the server has (docs/configuration.md)."""
    lines = ["| LSP setting | default | meaning |", "| --- | --- | --- |"]
    for f in fields(ServerOptions):
        if f.name != "infill":
            lines.append(f"| `{camel_case(f.name)}` | `{str(f.default).lower()}` | {HELP[f.name]} |")
    return "\n".join(lines) + "\n"


def options_from_dict(raw: Any) -> tuple[ServerOptions, list[str]]:
    """Server options from a client's settings object, and the problems found in it."""
    if raw is None:
        return ServerOptions(), []
    if not isinstance(raw, dict):
        return ServerOptions(), [f"settings must be an object, not {type(raw).__name__}"]
    if isinstance(raw.get("infill"), dict):
        raw = raw["infill"]
    raw = {RENAMED.get(k, k): v for k, v in raw.items() if not (k in RENAMED and RENAMED[k] in raw)}
    problems: list[str] = []
    infill_names = {f.name for f in fields(InfillOptions)}
    server_names = {f.name for f in fields(ServerOptions)} - {"infill"}
    infill_opts = _apply(InfillOptions(), raw, problems, skip=server_names)
    infill_opts = _valid(infill_opts, raw, problems)
    if infill_opts.endpoint and not {"contextInPrompt", "context_in_prompt"} & set(raw):
        infill_opts = replace(infill_opts, context_in_prompt=True)
    server = _apply(ServerOptions(infill=infill_opts), {k: v for k, v in raw.items()
                                                        if snake_case(k) in server_names},
                    problems, skip=infill_names)
    if server.max_document_bytes < 1:
        problems.append("maxDocumentBytes must be positive; using the default")
        server = replace(server, max_document_bytes=ServerOptions.max_document_bytes)
    if server.automatic_steps < 0:
        problems.append("automaticSteps must be 0 (use steps) or a number of passes; using the default")
        server = replace(server, automatic_steps=ServerOptions.automatic_steps)
    return server, problems
