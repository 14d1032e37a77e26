"""What tests share beside fixtures: a scripted backend, a loopback model server and a sample of
code (imported as
``helpers``: with a second ``conftest`` in tests/lsp_server, ``from conftest import`` is ambiguous)."""

from __future__ import annotations

import io
import json
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Scripted:
    """A backend that answers a fresh request with ``first`` and a rewrite (init_text, the
    syntax repair) with ``fix``; it keeps every request it got."""

    name = "scripted"

    def __init__(self, first: str, fix: str = "never"):
        from engine.api import Capabilities

        self.first, self.fix, self.requests = first, fix, []
        self.capabilities = Capabilities(rewrite=True)

    def infill(self, request):
        from engine.api import Candidate, InfillResult

        self.requests.append(request)
        text = self.fix if request.init_text is not None else self.first
        return InfillResult([Candidate(text, -1.0, 3)], forward_passes=5, latency_ms=1.0)

    def count_tokens(self, text: str) -> float:
        return len(text) / 3.5      # the estimate a backend without a tokenizer gives

    def describe(self):
        return {"backend": self.name}


SAMPLE_CODE = textwrap.dedent('''
    def add(a, b):
        """Return the sum."""
        return a + b


    class Stack:
        def __init__(self):
            self.items = []

        def push(self, item):
            self.items.append(item)

        def pop(self):
            if not self.items:
                raise IndexError("pop from empty stack")
            return self.items.pop()
''')


def run_cli(argv, capsys, stdin=None, monkeypatch=None):
    """``infill ARGV`` in this process: (exit code, stdout, stderr); ``stdin`` fed through
    ``monkeypatch``."""
    from infill.cli import main

    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


class FakeServer:
    """A loopback HTTP server standing in for vLLM / SGLang / Mercury: each POST is recorded in
    ``requests`` and answered with ``answer(path, body)`` as JSON, unless ``script`` says otherwise."""

    def __init__(self, answer):
        self.requests: list[dict] = []
        self.script: list = []          # per request: None (answer normally), (status, bytes), "hang" or
        #                                 "trickle" (the headers at once, then the body a byte every 0.1 s)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.loads(raw)
                fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                action = fake.script.pop(0) if fake.script else None
                if action == "hang":
                    time.sleep(2)
                    return
                if action == "trickle":
                    data = json.dumps(answer(self.path, body)).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    for i in range(min(len(data), 30)):
                        self.wfile.write(data[i:i + 1])
                        self.wfile.flush()
                        time.sleep(0.1)
                    return
                status, data = action or (200, json.dumps(answer(self.path, body)).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
