"""``infill-lsp --tcp``: a real server on 127.0.0.1 (port 0: the system picks), initialize, shutdown, exit."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient

SERVING = re.compile(rb"Serving on \('127\.0\.0\.1', (\d+)\)")


async def _port_then_drain(stderr: asyncio.StreamReader, found: asyncio.Future) -> None:
    """Resolve ``found`` with the port the server logs, then keep reading so it never blocks."""
    while line := await stderr.readline():
        if not found.done() and (match := SERVING.search(line)):
            found.set_result(int(match[1]))
    if not found.done():
        found.set_exception(RuntimeError("the server exited before listening"))


@pytest.mark.asyncio
async def test_tcp_initialize_and_shutdown():
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lsp_server", "--tcp", "--port", "0", "--log-level", "INFO",
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    found = asyncio.get_running_loop().create_future()
    reader = asyncio.ensure_future(_port_then_drain(server.stderr, found))
    try:
        port = await asyncio.wait_for(found, 60)
        client = LanguageClient("tcp-smoke", "0")
        await client.start_tcp("127.0.0.1", port)
        result = await asyncio.wait_for(client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities())), 30)
        assert result.server_info.name == "infill-lsp"
        assert result.capabilities.inline_completion_provider is not None
        assert await asyncio.wait_for(client.shutdown_async(None), 30) is None
        client.exit(None)
        assert await asyncio.wait_for(server.wait(), 30) == 0
        await client.stop()
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
        reader.cancel()
