"""The server's state: one ``InfillServer`` (a pygls ``LanguageServer``) holding the options,
the worker, the suggestion cache and the context sources, with the helpers every handler
uses: the open document as infill sees it, its workspace root, loading the model, running
infill on the worker under the error policy (``errors``). The handlers live in
``completion`` and ``actions``; ``server`` registers them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from typing import Any, Callable, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from infill.backends import get_backend
from infill.complete import Completion
from infill.decision import decision
from infill.editing import Rewrite, SuggestionCache
from infill.errors import InfillError, PositionError, UnknownLanguageError
from infill.languages import file_suffixes, supported_languages
from infill.next_edit.history import EditHistory
from infill.retrieval import ChunkIndex, ChunkRing, read_workspace
from infill.retrieval.chunks import read_file
from infill.suggest import Request

from .convert import lsp_language
from .errors import QUIET_ERRORS, Protocol, install_log_policy, report
from .jobs import Jobs
from .options import ServerOptions, options_from_dict
from .sources import Sources, workspace_root

T = TypeVar("T")
log = logging.getLogger("lsp_server.server")


class InfillServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("infill-lsp", "0.1.0", protocol_cls=Protocol)
        install_log_policy()
        self.options = ServerOptions()
        self.jobs = Jobs()
        self.cache = SuggestionCache()
        self.sources = Sources()
        self.neighbours = ChunkIndex()       # open documents and recent edits, where drafts come from
        self.ring = ChunkRing()              # chunks around the recent edits (kept after a close)
        self.previous: dict[str, str] = {}   # each open document's text before its last change
        self.history = EditHistory()         # each document's recent edits as whole lines (next edits)
        self.next_edits_shown: dict = {}     # uri -> the next edit last answered (lsp_server.next_edit)
        self.next_edits_accepted = 0
        self.last_next_edit: dict | None = None   # the last next-edit answer: source, confidence, model, for infill.status
        self._indexed_folder: str | None = None
        self._project_folder: str | None = None   # the project root of the last opened file, the default workspace
        self._workspace_files: set[str] = set()   # sources read from the workspace setting's folder
        self.shown_errors: set[str] = set()
        self.pending_problems: list[str] = []   # settings problems found before the client was ready
        self.backend_info: dict | None = None   # describe() of the loaded backend, for infill.status
        self.last_latency_ms: float | None = None   # of the last completion or rewrite, for infill.status
        self.last_decision: dict | None = None   # why the last completion was shown or not, for infill.status

    def report_server_error(self, error: Exception, source) -> None:
        report(self, error, source)          # the policy of ``errors``: nothing pops up for protocol noise

    # ------------------------------------------------------------ state

    @property
    def encoding(self) -> str:
        kind = self.workspace.position_encoding or "utf-16"
        return str(getattr(kind, "value", kind))      # "utf-16", not "PositionEncodingKind.Utf16" in messages

    def show_once(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        """Tell the user once per distinct message."""
        if message not in self.shown_errors:
            self.shown_errors.add(message)
            self.window_show_message(types.ShowMessageParams(type=kind, message=f"infill: {message}"))

    def configure(self, raw: Any) -> None:
        options, problems = options_from_dict(raw)
        if problems:
            self.show_once("invalid settings: " + "; ".join(problems), types.MessageType.Warning)
        reload = options.infill.model != self.options.infill.model
        self.options = options
        self.cache = SuggestionCache()
        self.index_workspace()
        if reload:
            asyncio.ensure_future(self.load_model())

    def index_workspace(self) -> None:
        """The files of the ``workspace`` setting (a folder; ``~`` expanded, a relative one read
        from the server's working directory; unset: the project root of the last file opened,
        ``index_project``; "": none), read and indexed on a background thread, bounded
        (``infill.retrieval.read_workspace``); a folder set before is dropped first."""
        setting = self.options.infill.workspace if self.options.infill.retrieval else ""
        folder = self._project_folder if setting is None else (os.path.expanduser(setting) if setting else None)
        if folder == self._indexed_folder:
            return
        for name in self._workspace_files:
            self.neighbours.drop_source(name)
        self.neighbours.refresh(wait=False)
        self._indexed_folder, self._workspace_files = folder, set()
        if folder:
            threading.Thread(target=self._read_workspace, args=(folder,), name="infill-workspace",
                             daemon=True).start()

    def index_project(self, uri: str, language: str) -> None:
        """With no ``workspace`` setting, the project root of an opened file on disk (the
        workspace folder holding it, else the nearest folder with a project marker, else its
        folder: ``Request.project_root``) is the workspace, as the file's folder is the CLI's:
        the same neighbours give both the same drafts. Read off the request path, bounded."""
        path = self.path(uri)
        if self.options.infill.workspace is not None or not path or not os.path.isfile(path):
            return
        root = self.root(uri)
        root = root if root and os.path.abspath(path).startswith(os.path.join(os.path.abspath(root), "")) else None
        self._project_folder = Request("", 0, language, path=path, root=root).project_root()
        self.index_workspace()

    def _read_workspace(self, folder: str) -> None:
        try:
            files = read_workspace(folder, tuple(s for name in supported_languages() for s in file_suffixes(name)))
        except (OSError, ValueError) as exc:          # a NUL byte in the path is a ValueError
            log.warning("workspace %s not indexed: %s", folder, exc)
            return
        if folder != self._indexed_folder:           # the setting changed while this read
            return
        for path, text in files:
            self._workspace_files.add(path)
            self.neighbours.update(path, text)
        self.neighbours.refresh(wait=False)

    def document(self, uri: str) -> tuple[str, str, int | None]:
        """(text, language, version) of an open, servable document; raises InfillError."""
        doc = self.workspace.text_documents.get(unquote(uri))
        if doc is None:
            raise PositionError(f"{uri} is not open")
        text = doc.source
        limit = self.options.max_document_bytes
        if len(text) > limit or (4 * len(text) > limit and len(text.encode("utf-8", "surrogatepass")) > limit):
            raise PositionError(f"{uri} is larger than {limit} bytes")
        if "\x00" in text:
            raise UnknownLanguageError(f"{uri} looks binary")
        return text, lsp_language(doc.language_id, uri), doc.version

    def root(self, uri: str) -> str | None:
        """The workspace folder holding the document, whose test records are read."""
        folders = [f.uri for f in self.workspace.folders.values()]
        return workspace_root(uri, [to_fs_path(f) or "" for f in folders], self.workspace.root_path)

    def source_name(self, uri: str) -> str:
        """The name a document's chunks go under: its file, else its URI (``Request.path``)."""
        return self.path(uri) or unquote(uri)

    def remember(self, uri: str, edited: bool = False, line: int | None = None) -> None:
        """An open document was opened or ``edited`` (at ``line``, else where its text first
        differs from before): its chunks and the ring of edits are updated off the request
        path (the index rebuilds in the background). Documents the server does not serve
        (too large, binary, another language) are left out."""
        try:
            text, language, _ = self.document(uri)
        except InfillError:
            return
        if not edited:
            self.index_project(uri, language)
        name = self.source_name(uri)
        before = self.previous.get(uri)
        self.previous[uri] = text            # the same string the workspace holds: no copy
        self.history.record(name, before if edited else None, text)
        self.neighbours.update(name, text)
        if edited and line is None and before is not None:
            line = _first_difference(before, text)
        if line is not None and self.ring.add(name, text, line) is not None:
            self.neighbours.set_chunks("(recent edits)", self.ring.chunks)
        self.neighbours.refresh(wait=False)

    def forget(self, uri: str) -> None:
        """A document closed: its chunks go (what was edited in it stays in the ring); a file
        of the workspace folder goes back to its text on disk."""
        self.previous.pop(uri, None)
        self.next_edits_shown.pop(uri, None)
        name = self.source_name(uri)
        self.history.forget(name)
        if name in self._workspace_files:
            text = read_file(name)
            if text is not None:
                self.neighbours.update(name, text)
                self.neighbours.refresh(wait=False)
                return
        self.neighbours.drop_source(name)
        self.neighbours.refresh(wait=False)

    @staticmethod
    def path(uri: str) -> str | None:
        """The document's file (mypy's file name, its project), None for a URI that is no file."""
        return (to_fs_path(uri) or None) if uri.startswith("file:") else None

    async def load_model(self) -> None:
        """Load the configured model on the worker, with $/progress when the client supports it."""
        token = f"infill-load-{uuid.uuid4().hex[:8]}"
        progress = bool(self.client_capabilities.window and self.client_capabilities.window.work_done_progress)
        if progress:
            try:
                await self.work_done_progress.create_async(token)
                self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
                    title="infill", message="loading the model", cancellable=False))
            except Exception:   # the client refused: load without progress
                progress = False
        options = self.options.infill
        try:
            backend = await self.jobs.run(None, lambda _: get_backend(options))
            self.backend_info = backend.describe()
            if self.backend_info.get("fallback_reason"):
                self.show_once(f"the configured backend did not load ({self.backend_info['fallback_reason']}); "
                               "the embedded model serves instead", types.MessageType.Warning)
        except InfillError as exc:
            self.show_once(str(exc))
        finally:
            if progress:
                self.work_done_progress.end(token, types.WorkDoneProgressEnd(message="model ready"))

    def timed(self, result: T) -> T:
        """Remember the latency of an infill result (for infill.status) and pass it on."""
        if isinstance(result, (Completion, Rewrite)):
            self.last_latency_ms = round(float(result.latency_ms), 1)
        if isinstance(result, Completion):
            self.last_decision = decision(result, self.options.infill.min_confidence, "the setting minConfidence",
                                          "the setting checks: false")
        return result

    async def infill(self, key: str | None, fn: Callable[[Callable[[], bool]], T], light: bool = False) -> T | None:
        """Run ``fn`` on the worker (``light``: a call that never runs the model, on its own
        lane); None for bad input or a superseded request. Other infill errors are shown once
        and give None too."""
        try:
            return self.timed(await self.jobs.run(key, fn, light))
        except QUIET_ERRORS:
            return None
        except InfillError as exc:
            self.show_once(str(exc))
            return None


def _first_difference(old: str, new: str) -> int | None:
    """The first line where two texts differ (None: the same)."""
    if old == new:
        return None
    for row, (a, b) in enumerate(zip(old.split("\n"), new.split("\n"))):
        if a != b:
            return row
    return min(old.count("\n"), new.count("\n"))
