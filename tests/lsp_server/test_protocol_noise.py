"""Protocol noise over a raw stdio pipe: broken JSON, bad params, requests without params.

Each gets its JSON-RPC answer and one log line; nothing pops up in the editor, no traceback
reaches stderr, and the server keeps serving (``lsp_server.errors``). The messages are written
by hand, byte for byte, as a buggy client would send them: pytest-lsp's typed client cannot.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_frames(stream, into: list[dict], arrived: threading.Event) -> None:
    """Read framed messages from ``stream`` until it closes; set ``arrived`` at each."""
    while True:
        length = None
        while True:
            line = stream.readline()
            if not line:
                return
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            if line in (b"\r\n", b"\n") and length is not None:
                break
        into.append(json.loads(stream.read(length)))
        arrived.set()


def start_server() -> tuple[subprocess.Popen, list[dict], threading.Event, threading.Thread]:
    """``python -m lsp_server`` on pipes, a thread collecting what it sends into the list."""
    proc = subprocess.Popen([sys.executable, "-m", "lsp_server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    into: list[dict] = []
    arrived = threading.Event()
    reader = threading.Thread(target=read_frames, args=(proc.stdout, into, arrived), daemon=True)
    reader.start()
    return proc, into, arrived, reader


@pytest.fixture(scope="module")
def session(tiny_model_dir):
    """Send every noisy message once, then a status request; return (messages, stderr lines)."""
    proc, messages, arrived, reader = start_server()

    def send(message) -> None:
        proc.stdin.write(frame(message if isinstance(message, bytes) else json.dumps(message).encode()))
        proc.stdin.flush()

    send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
          "params": {"capabilities": {}, "initializationOptions": {"model": str(tiny_model_dir), "threads": 1}}})
    send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    send(b'{"jsonrpc": "2.0", "id": 2, "method": "textDocument/inlineCompletion", "params": {')
    send({"jsonrpc": "2.0", "id": 3, "method": "textDocument/inlineCompletion",
          "params": {"textDocument": {"uri": "file:///x.py"}, "position": {"line": "a", "character": 0}}})
    send({"jsonrpc": "2.0", "id": 4, "method": "textDocument/inlineCompletion"})    # no params
    send({"jsonrpc": "2.0", "id": 5, "method": "infill/diagnostics"})               # no params, optional
    send({"jsonrpc": "2.0", "id": 6, "method": "no/such/method"})
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen"})                       # a notification, no params
    send({"jsonrpc": "2.0", "id": 7, "method": "workspace/executeCommand",
          "params": {"command": "infill.status", "arguments": []}})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(m.get("id") == 7 for m in list(messages)):
        arrived.wait(0.5)
        arrived.clear()
    send({"jsonrpc": "2.0", "id": 8, "method": "shutdown"})
    send({"jsonrpc": "2.0", "method": "exit"})
    _, err = proc.communicate(timeout=30)
    reader.join(5)
    return messages, err.decode().splitlines()


def by_id(messages: list[dict]) -> dict:
    return {m["id"]: m for m in messages if "id" in m and "method" not in m}


def test_broken_json_gets_a_parse_error_with_a_null_id(session):
    messages, _ = session
    parse_errors = [m for m in messages if m.get("error", {}).get("code") == -32700]
    assert len(parse_errors) == 1 and parse_errors[0]["id"] is None
    assert "Expecting property name" in parse_errors[0]["error"]["message"]


def test_bad_and_missing_params_get_the_answer_of_their_method(session):
    answers = by_id(session[0])
    assert answers[3]["error"]["code"] == -32602                 # params that do not fit
    assert answers[4]["error"]["code"] == -32602                 # required params missing (was -32603)
    assert answers[5]["result"] is None and "error" not in answers[5]   # optional params: answered
    assert answers[6]["error"]["code"] == -32601                 # was Internal Error
    assert set(answers[7]["result"]) >= {"model", "loaded"}       # and it goes on serving


def test_nothing_pops_up_and_stderr_has_one_line_per_bad_message(session):
    messages, stderr = session
    shown = [m for m in messages if m.get("method") == "window/showMessage"]
    assert shown == [], shown
    assert not any("Traceback" in line or line.startswith((" ", "|", "+")) for line in stderr), stderr
    noisy = [line for line in stderr if "bad params" in line or "parse error" in line or "unknown method" in line]
    assert len(noisy) == 5, stderr                # 2 bad-params requests, 1 notification, 1 parse, 1 method
    assert len(stderr) <= 8, stderr


def _raw_session(tiny_model_dir, messages: list[dict]) -> tuple[int, list[dict], str]:
    """Initialize, send ``messages`` one by one, close stdin; (exit status, answers, stderr)."""
    proc, answers, arrived, reader = start_server()
    body = [{"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"capabilities": {}, "initializationOptions": {"model": str(tiny_model_dir), "threads": 1}}},
            {"jsonrpc": "2.0", "method": "initialized", "params": {}}, *messages]
    for message in body:
        proc.stdin.write(frame(json.dumps(message).encode()))
        proc.stdin.flush()
        if "id" in message:                      # each request answered before the next goes
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(a.get("id") == message["id"] for a in list(answers)):
                arrived.wait(0.5)
                arrived.clear()
    _, err = proc.communicate(timeout=30)
    reader.join(5)
    return proc.returncode, answers, err.decode()


def test_after_shutdown_a_request_gets_invalid_request_and_exit_ends_with_0(tiny_model_dir):
    code, answers, _ = _raw_session(tiny_model_dir, [
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "id": 3, "method": "workspace/executeCommand",
         "params": {"command": "infill.status", "arguments": []}},
        {"jsonrpc": "2.0", "method": "exit"}])
    late = by_id(answers)[3]
    assert late["error"]["code"] == -32600 and "shutting down" in late["error"]["message"]
    assert code == 0


def test_exit_without_shutdown_ends_with_1(tiny_model_dir):
    code, _, _ = _raw_session(tiny_model_dir, [{"jsonrpc": "2.0", "method": "exit"}])
    assert code == 1
