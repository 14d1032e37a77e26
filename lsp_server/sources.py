"""Context beyond the text around the cursor, as the server gathers it for a request.

The server gathers it here, off the inference worker, because it keeps what the CLI has no
use for: mypy results per document version, diagnostics its clients forward, newer
requests superseding older ones. It hands the result to ``infill.suggest`` (which then does
not gather again), so the server and the CLI put the same context into the same request.

- ``TypeChecks`` runs the document language's type checker (``infill.sources.diagnostics.
  type_errors``: mypy for Python) on its own thread (not the inference worker), one check at a time, each bounded by the configured timeout, and caches the
  result per (uri, document version). A request waits for its version's check at most
  that long; on a timeout it gets no type errors (the check still fills the cache). A
  newer version's check replaces the older ones of the document still waiting to start.
  While the document has a syntax error (usually the line being typed) mypy says nothing
  else, so the last result without one stands in for it.
- ``Sources`` adds what our editor clients forward (the ``infill/diagnostics``
  notification, stored per document) and the workspace root whose pytest records
  ``infill.sources.failing`` reads, and calls ``infill.sources.cursor_context``.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence
from urllib.parse import unquote

from pygls.uris import to_fs_path

from infill.config import InfillOptions
from infill.sources import CursorContext, cursor_context
from infill.languages import spec_of
from infill.sources.diagnostics import Problem, type_errors

Key = tuple[str, object]   # (uri, version, or the text's hash for a document without one)


class TypeChecks:
    """mypy results per document version, computed off the event loop, time-bounded."""

    def __init__(self, max_entries: int = 64) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="typecheck")
        self.max_entries = max_entries
        self.results: OrderedDict[Key, list[Problem] | None] = OrderedDict()
        self.pending: dict[Key, asyncio.Future] = {}
        self.last_good: dict[str, list[Problem]] = {}   # per uri: the last result without a syntax error

    async def problems(self, uri: str, version: int | None, text: str, language: str,
                       timeout_s: float) -> list[Problem]:
        key: Key = (uri, version if version is not None else hash(text))
        if key not in self.results:
            future = self.pending.get(key) or self._start(key, text, language, timeout_s)
            try:
                await asyncio.wait_for(asyncio.shield(future), timeout_s + 0.5)
            except asyncio.TimeoutError:
                return []
            except asyncio.CancelledError:
                if not future.cancelled():   # our own task was cancelled, not the check
                    raise
                return []
        result = self.results.get(key)
        if result is None:
            return []
        if any(p.is_syntax for p in result):
            return self.last_good.get(uri, [])
        return result

    def _start(self, key: Key, text: str, language: str, timeout_s: float) -> asyncio.Future:
        uri = key[0]
        for old_key, old in list(self.pending.items()):
            if old_key[0] == uri:
                old.cancel()   # only stops a check that has not started
        file_name = uri.rsplit("/", 1)[-1]
        future = asyncio.get_running_loop().run_in_executor(self.executor, type_errors, text, language, timeout_s,
                                                            file_name)
        self.pending[key] = future
        future.add_done_callback(lambda done: self._store(key, done))
        return future

    def _store(self, key: Key, future: asyncio.Future) -> None:
        if self.pending.get(key) is future:
            del self.pending[key]
        if future.cancelled():
            return
        result = None if future.exception() else future.result()
        self.results[key] = result
        self.results.move_to_end(key)
        while len(self.results) > self.max_entries:
            self.results.popitem(last=False)
        if result is not None and not any(p.is_syntax for p in result):
            self.last_good[key[0]] = result

    def forget(self, uri: str) -> None:
        self.last_good.pop(uri, None)
        for key in [k for k in self.results if k[0] == uri]:
            del self.results[key]


class Sources:
    """Everything a request may add to its prompt or use to rank: type errors, forwarded
    diagnostics, failing tests."""

    def __init__(self) -> None:
        self.checks = TypeChecks()
        self.forwarded: dict[str, list[Problem]] = {}   # per uri, from the infill/diagnostics notification
        self.tickets: dict[str, int] = {}               # per uri: the latest request's number

    def ticket(self, uri: str) -> int:
        """A number for a new request; ``is_latest`` tells whether a newer one came since."""
        self.tickets[uri] = self.tickets.get(uri, 0) + 1
        return self.tickets[uri]

    def is_latest(self, uri: str, ticket: int) -> bool:
        return self.tickets.get(uri) == ticket

    async def problems(self, uri: str, version: int | None, text: str, language: str,
                       options: InfillOptions) -> list[Problem]:
        """The forwarded diagnostics of the document, and its type checker's (mypy for Python)
        when ``type_check`` is on."""
        problems = list(self.forwarded.get(unquote(uri), []))
        if options.type_check and spec_of(language).type_checker:
            problems += await self.checks.problems(uri, version, text, language, options.type_check_timeout_s)
        return problems

    async def gather(self, uri: str, version: int | None, text: str, offset: int, language: str,
                     root: str | None, options: InfillOptions) -> CursorContext:
        problems = await self.problems(uri, version, text, language, options)
        return await asyncio.to_thread(cursor_context, text, offset, language, problems, root, options.junit_path)

    def forget(self, uri: str) -> None:
        self.checks.forget(uri)
        self.forwarded.pop(unquote(uri), None)
        self.tickets.pop(uri, None)


def workspace_root(uri: str, folders: Sequence[str], root_path: str | None) -> str | None:
    """The workspace folder holding the document (the innermost), else the workspace root."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if path:
        holding = [f for f in folders if f and Path(path).is_relative_to(f)]
        if holding:
            return max(holding, key=len)
    return root_path


# ---------------------------------------------------------------- per request


async def request_context(sources: Sources, key: str | None, uri: str, version: int | None, text: str,
                          offset: int, language: str, root: str | None,
                          options: InfillOptions) -> tuple[CursorContext | None] | None:
    """``(context,)`` for a completion at ``offset``, gathered only when the prompt or the
    ranking uses it (else ``(None,)``). None when a newer request with the same ``key`` came
    while this one waited for the context."""
    ticket = sources.ticket(key) if key is not None else 0
    if not (options.context_in_prompt or options.verify_types):
        return (None,)
    context = await sources.gather(uri, version, text, offset, language, root, options)
    if key is not None and not sources.is_latest(key, ticket):
        return None
    return (context,)
