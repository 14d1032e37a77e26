"""Conversions between LSP values and infill's: ``lsp_*`` functions, nothing else.

LSP positions count columns in the negotiated encoding (UTF-16 code units unless the
client asked for "utf-8" or "utf-32"); infill counts characters (code points). A column
inside a character (half a surrogate pair, the middle of a UTF-8 sequence) points
before that character. Positions outside the document raise ``PositionError``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from lsprotocol import types

from infill.context import position_to_offset
from infill.sources.diagnostics import Problem
from infill.editing import Edit, inline_edit
from infill.errors import PositionError, UnknownLanguageError
from infill.languages import language_for_path, resolve_language

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def _units(text: str, encoding: str) -> int:
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == UTF32:
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _line_text(text: str, line_start: int) -> str:
    end = text.find("\n", line_start)
    line = text[line_start:] if end < 0 else text[line_start:end]
    return line.removesuffix("\r")


def _codepoint_col(line: str, col: int, encoding: str) -> int:
    """The code point column of ``col`` units of ``encoding`` into ``line``; raises PositionError."""
    if col < 0:
        raise PositionError(f"column {col} is negative")
    units = 0
    for i, ch in enumerate(line):
        width = _units(ch, encoding)
        if units + width > col:
            return i
        units += width
    if col > units:
        raise PositionError(f"column {col} is past the end of the line ({units} {encoding} units)")
    return len(line)


def lsp_offset(text: str, position: types.Position, encoding: str = UTF16) -> int:
    """Character offset of an LSP position; raises PositionError."""
    line_start = position_to_offset(text, position.line, 0)
    col = _codepoint_col(_line_text(text, line_start), position.character, encoding)
    return line_start + col


def lsp_position(text: str, offset: int, encoding: str = UTF16) -> types.Position:
    line = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=line, character=_units(text[line_start:offset], encoding))


def lsp_range(text: str, start: int, end: int, encoding: str = UTF16) -> types.Range:
    return types.Range(start=lsp_position(text, start, encoding), end=lsp_position(text, end, encoding))


def lsp_range_from_json(value: Any) -> types.Range:
    """A Range from its JSON form (command arguments, code action data); raises ValueError."""
    def position(p: Any) -> types.Position:
        line, character = p["line"], p["character"]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (line, character)):
            raise ValueError(f"bad position {p!r}")
        return types.Position(line=line, character=character)
    try:
        return types.Range(start=position(value["start"]), end=position(value["end"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"bad range {value!r}") from exc


def lsp_position_from_json(value: Any) -> types.Position:
    return lsp_range_from_json({"start": value, "end": value}).start


def lsp_offsets(text: str, rng: types.Range, encoding: str = UTF16) -> tuple[int, int]:
    start, end = lsp_offset(text, rng.start, encoding), lsp_offset(text, rng.end, encoding)
    if end < start:
        raise PositionError("the range ends before it starts")
    return start, end


def lsp_language(language_id: str | None, uri: str) -> str:
    """The infill language of a document: its LSP language id or Neovim filetype (``typescriptreact``,
    ``sh``; of a compound filetype such as ``typescript.tsx`` the last part infill knows), else,
    without an id, its file name; raises UnknownLanguageError (a ``.vue`` or ``.html`` file,
    whose scripts sit in another language, is not guessed at). An id that is no string (a client's
    ``"languageId": 42``) counts as none."""
    if not isinstance(language_id, str):
        language_id = None
    if language_id and language_id != "plaintext":
        for part in reversed(language_id.split(".")):
            try:
                return resolve_language(part)
            except UnknownLanguageError:
                continue
        raise UnknownLanguageError(f"unsupported language {language_id!r}")
    return language_for_path(unquote(uri.rsplit("/", 1)[-1]))


def lsp_inline_items(text: str, offset: int, suggestions: list[str], encoding: str = UTF16,
                     replaced_end: int | None = None) -> types.InlineCompletionList | None:
    """Ghost-text items that replace the rest of the cursor's line (see ``inline_edit``)."""
    items = []
    for suggestion in dict.fromkeys(s for s in suggestions if s):   # unique, best first
        edit = inline_edit(text, offset, suggestion, replaced_end)
        items.append(types.InlineCompletionItem(insert_text=edit.text,
                                                range=lsp_range(text, edit.start, edit.end, encoding)))
    return types.InlineCompletionList(items=items) if items else None


def lsp_text_edit(text: str, edit: Edit, encoding: str = UTF16) -> types.TextEdit:
    return types.TextEdit(range=lsp_range(text, edit.start, edit.end, encoding), new_text=edit.text)


REVIEW_ANNOTATION = "infill.review"


def lsp_workspace_edit(uri: str, version: int | None, text: str, edit: Edit,
                       encoding: str = UTF16, review: str | None = None) -> types.WorkspaceEdit:
    """One edit of one document, tied to the version it was computed for when known.

    ``review`` (a label) marks the edit as needing confirmation (an LSP change annotation with
    ``needsConfirmation``): a client that supports annotations (VS Code) shows it in its refactor
    preview before applying it. Only for clients that declared ``changeAnnotationSupport``."""
    if review is None:
        text_edit: types.TextEdit = lsp_text_edit(text, edit, encoding)
        annotations = None
    else:
        plain = lsp_text_edit(text, edit, encoding)
        text_edit = types.AnnotatedTextEdit(annotation_id=REVIEW_ANNOTATION, range=plain.range,
                                            new_text=plain.new_text)
        annotations = {REVIEW_ANNOTATION: types.ChangeAnnotation(
            label=review, needs_confirmation=True, description="written by the model: review before applying")}
    if version is None:
        return types.WorkspaceEdit(changes={uri: [text_edit]}, change_annotations=annotations)
    doc = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
    return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=doc, edits=[text_edit])],
                               change_annotations=annotations)


def lsp_completion_list(text: str, offset: int, completion: str,
                        encoding: str = UTF16) -> types.CompletionList | None:
    """The completion fallback: one item inserting the (multi-line) text. A menu shows label, kind
    and detail side by side, and the documentation in a popup: the text once (its first line),
    kind Text (not Snippet: nothing is expanded), the detail saying whose it is and how many
    lines it has, the documentation only where the label does not show all of it."""
    if not completion.strip():
        return None
    lines = completion.strip().splitlines()
    more = len(lines[0]) > 60 or len(lines) > 1
    label = lines[0][:60] + ("\u2026" if more else "")
    cursor = lsp_range(text, offset, offset, encoding)
    item = types.CompletionItem(
        label=label, kind=types.CompletionItemKind.Text,
        detail="infill" + (f", {len(lines)} lines" if len(lines) > 1 else ""),
        documentation=completion if more else None,
        text_edit=types.TextEdit(range=cursor, new_text=completion),
        insert_text_format=types.InsertTextFormat.PlainText, sort_text="0", preselect=True)
    return types.CompletionList(is_incomplete=True, items=[item])


_SEVERITIES = {1: "error", 2: "warning", 3: "information", 4: "hint"}


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def lsp_problems(diagnostics: Any) -> list[Problem]:
    """Problems from LSP Diagnostic values (JSON objects or lsprotocol's); malformed ones are skipped."""
    problems = []
    for diagnostic in diagnostics if isinstance(diagnostics, (list, tuple)) else []:
        start = _field(_field(diagnostic, "range"), "start")
        line, character, message = _field(start, "line"), _field(start, "character"), _field(diagnostic, "message")
        if not (type(line) is int and type(character) is int and isinstance(message, str)) or line < 0:
            continue
        severity = _field(diagnostic, "severity")
        code, source = _field(diagnostic, "code"), _field(diagnostic, "source")
        problems.append(Problem(line=line, col=max(character, 0), message=message,
                                source=source if isinstance(source, str) else "client",
                                severity=_SEVERITIES.get(int(severity) if isinstance(severity, int) else 1, "error"),
                                code=str(code) if isinstance(code, (str, int)) else ""))
    return problems
