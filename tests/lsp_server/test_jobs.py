"""lsp_server.jobs: a call that never runs the model (a next edit) does not wait behind one
that does (a completion's forward passes) on the other lane; a newer job supersedes an older."""

from __future__ import annotations

import asyncio
import threading

import pytest

from infill.errors import Cancelled
from lsp_server.jobs import Jobs

pytestmark = pytest.mark.asyncio


async def test_a_light_job_runs_while_the_model_lane_is_busy():
    jobs, release = Jobs(), threading.Event()
    busy = asyncio.ensure_future(jobs.run("doc#complete", lambda _: release.wait(5)))
    await asyncio.sleep(0.05)                  # the model lane now holds the blocking call
    light = await asyncio.wait_for(jobs.run("doc#next-edit", lambda _: "next", light=True), 2)
    assert light == "next" and not busy.done()
    release.set()
    assert await busy is True


async def test_a_newer_job_with_the_same_key_supersedes_the_older_on_either_lane():
    jobs, release = Jobs(), threading.Event()
    first = asyncio.ensure_future(jobs.run("doc#next-edit", lambda _: release.wait(5), light=True))
    await asyncio.sleep(0.05)
    second = asyncio.ensure_future(jobs.run("doc#next-edit", lambda _: "newer", light=True))
    with pytest.raises(Cancelled):
        await first
    release.set()
    assert await second == "newer"
