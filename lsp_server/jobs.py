"""``Jobs``: infill calls on worker threads, off the event loop, a newer call superseding an older.

Two lanes, one thread each: ``model`` for whatever may run the model (completion, rewrite,
loading), and ``light`` for calls that never touch it (next-edit suggestions: token rules and
tree-sitter, milliseconds), so that a next edit does not wait behind a completion's forward
passes. Tree-sitter parsers are per thread (``infill.languages.get_parser``); nothing else is
shared between the lanes.

A job gets a ``cancelled()`` callback, true once the job is superseded or the request
awaiting it is cancelled (``$/cancelRequest``); the infill library polls it before each
forward pass. A superseded job's awaiter gets ``Cancelled`` at once, without waiting for
the work to stop.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

from infill.errors import Cancelled

T = TypeVar("T")


class Jobs:
    """Runs infill calls on a worker thread per lane; a newer job with the same key supersedes the older."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="infill")
        self.light = ThreadPoolExecutor(max_workers=1, thread_name_prefix="infill-light")
        self.latest: dict[str, tuple[threading.Event, asyncio.Future]] = {}

    async def run(self, key: str | None, fn: Callable[[Callable[[], bool]], T], light: bool = False) -> T:
        """``fn(cancelled)`` on the worker (``light``: on the lane for calls that never run the
        model); raises Cancelled when superseded (without waiting for the work to stop) and sets
        the cancel flag when the awaiting task is cancelled."""
        loop = asyncio.get_running_loop()
        flag, superseded = threading.Event(), loop.create_future()
        if key is not None:
            if (old := self.latest.get(key)) is not None:
                old[0].set()
                if not old[1].done():
                    old[1].set_result(None)
            self.latest[key] = (flag, superseded)

        def call() -> T:
            if flag.is_set():
                raise Cancelled("the request was superseded before it started")
            return fn(flag.is_set)

        work = loop.run_in_executor(self.light if light else self.executor, call)
        try:
            await asyncio.wait({work, superseded}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            flag.set()
            work.add_done_callback(_ignore_result)
            raise
        finally:
            if key is not None and self.latest.get(key, (None,))[0] is flag:
                del self.latest[key]
        if not work.done():
            work.add_done_callback(_ignore_result)
            raise Cancelled("the request was superseded by a newer one")
        return work.result()


def _ignore_result(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()   # retrieved, so asyncio does not log it
