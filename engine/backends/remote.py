"""Remote backend: an OpenAI-compatible server (vLLM, SGLang) or a Mercury-style FIM endpoint.

Three request shapes, chosen by ``api``:

- ``completions``: ``POST /v1/completions`` with ``prompt`` = prefix and suffix in the model's
  own FIM format (vLLM rejects the ``suffix`` field) and ``n`` candidates;
- ``chat``: ``POST /v1/chat/completions`` with an instruction holding prefix ``<FILL>`` suffix;
- ``fim``: ``POST /v1/fim/completions`` with ``prompt`` (prefix) + ``suffix`` (Inception's
  Mercury); one candidate per request.

Standard library HTTP only. The API key is read from the environment variable named by
``api_key_env`` at each request and never appears in a message. Connection errors and 5xx
answers are retried a bounded number of times; 4xx, malformed JSON and timeouts are not.
``timeout_s`` bounds each attempt as a whole (a server that trickles its answer a byte at a
time is cut off, not only one that stops sending). A malformed answer (a field of the wrong
type) is a ``BackendError`` like any other, so the caller's fallback applies.
The request's ``cancelled`` callback (or a ``threading.Event``-like ``cancel``) abandons the
request within milliseconds, closing the connection, with ``RequestCancelled``.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import socket
import threading
import time
from urllib.parse import urlsplit

from ..api import Capabilities, Candidate, InfillRequest, InfillResult
from ..errors import BackendError, RequestCancelled
from .fim_templates import chat_messages, strip_fences, template_for_name

APIS = ("completions", "chat", "fim")
PATHS = {"completions": "/completions", "chat": "/chat/completions", "fim": "/fim/completions"}


CHARS_PER_TOKEN = 3.5               # the estimate of count_tokens: the server's tokenizer is not here
NO_LOGPROBS = math.log(0.5)         # a candidate's score when the server sends no log-probabilities: an
#                                     even prior, so that only the agreement of the K samples speaks


class RemoteBackend:
    name = "remote"
    # Context budgets for the caller (server-side models read long contexts).
    capabilities = Capabilities(prefix_tokens=1536, suffix_tokens=512)

    def __init__(self, endpoint: str, model: str, *, api: str = "completions",
                 api_key_env: str = "OPENAI_API_KEY", timeout_s: float = 30.0, retries: int = 2,
                 fim_format: str = "auto", backoff_s: float = 0.05):
        if api not in APIS:
            raise BackendError(f"unknown api {api!r} (choose from {', '.join(APIS)})")
        if not model:
            raise BackendError("a remote endpoint needs --model NAME (the served model's name)")
        try:
            url = urlsplit(endpoint if "://" in endpoint else "http://" + endpoint)
            port = url.port                   # raises on a port that is no number or out of range
        except ValueError as exc:
            raise BackendError(f"endpoint {endpoint!r} is not an http(s) URL ({exc})") from None
        if url.scheme not in ("http", "https") or not url.hostname:
            raise BackendError(f"endpoint {endpoint!r} is not an http(s) URL")
        self.endpoint, self.model, self.api = endpoint, model, api
        self.api_key_env, self.timeout_s, self.retries, self.backoff_s = api_key_env, timeout_s, retries, backoff_s
        self._https, self._host, self._port = url.scheme == "https", url.hostname, port
        base = url.path.rstrip("/")
        for path in sorted(PATHS.values(), key=len, reverse=True):    # ".../v1/completions" given whole
            if base.endswith("/v1" + path):
                base = base[: -len(path)]
                break
        self._base = base if base.endswith("/v1") else base + "/v1"
        try:
            self.template = template_for_name(model, fim_format)
        except ValueError as exc:
            raise BackendError(str(exc)) from exc

    def count_tokens(self, text: str) -> int:
        return -(-len(text) * 2 // int(CHARS_PER_TOKEN * 2))     # ceil(len / 3.5)

    def describe(self) -> dict:
        return {"backend": self.name, "endpoint": self.endpoint, "model": self.model, "api": self.api,
                "fim_format": self.template.name if self.api == "completions" else None}

    # -- request bodies ------------------------------------------------------------------------

    def body(self, request: InfillRequest) -> dict:
        """The JSON body for one request (the test suite checks these field by field)."""
        n = request.candidates if self.api != "fim" else 1
        temperature = request.sampler.temperature
        if n > 1 and temperature == 0:          # n identical greedy answers would be useless
            temperature = request.sampler.candidate_temperature
        body: dict = {"model": self.model, "max_tokens": request.canvas_length * request.max_blocks,
                      "temperature": temperature}
        if self.api == "completions":
            body["prompt"] = self.template.render(request.prefix, request.suffix, request.path)
            body["logprobs"] = 1            # token log-probabilities: the candidate's score (vLLM, SGLang)
            if self.template.stop:
                body["stop"] = list(self.template.stop)
        elif self.api == "chat":
            body["messages"] = chat_messages(request.prefix, request.suffix,
                                             request.language_title or request.language, request.path)
        else:
            body["prompt"], body["suffix"] = request.prefix, request.suffix
        if n > 1:
            body["n"] = n
        if request.seed:
            body["seed"] = request.seed
        return body

    def parse(self, payload: dict) -> list[Candidate]:
        choices = payload.get("choices") if isinstance(payload, dict) else None
        if not isinstance(choices, list) or not choices:
            raise BackendError(f"remote server {self.endpoint} answered without any choices")
        out = []
        usage = _usage(payload)
        for ch in sorted(choices, key=lambda c: c.get("index") if isinstance(c, dict) and
                         isinstance(c.get("index"), int) else 0):
            text = ch.get("text") if isinstance(ch, dict) else None
            if self.api == "chat" and isinstance(ch, dict):
                text = (ch.get("message") or {}).get("content")
                text = strip_fences(text) if isinstance(text, str) else None
            if not isinstance(text, str):
                raise BackendError(f"remote server {self.endpoint} sent a choice without text")
            logprobs = ch.get("logprobs") if self.api != "chat" else None
            logprobs = logprobs.get("token_logprobs") if isinstance(logprobs, dict) else None
            lp = [x for x in logprobs if isinstance(x, (int, float))] if isinstance(logprobs, list) else []
            tokens = _count(usage.get("completion_tokens")) // len(choices) or len(lp)
            out.append(Candidate(text, sum(lp) / len(lp) if lp else NO_LOGPROBS, tokens))
        return out

    # -- the Backend protocol ------------------------------------------------------------------

    def infill(self, request: InfillRequest, cancel=None) -> InfillResult:
        if request.candidates < 1 or request.canvas_length < 1:
            raise BackendError("candidates and canvas length must be at least 1")
        if request.init_text is not None or request.seeds:
            raise BackendError("the remote backend cannot rewrite a selection (init_text)")
        t0 = time.perf_counter()
        polls = [f for f in (request.cancelled, cancel.is_set if cancel is not None else None) if f is not None]
        payload = self.post(PATHS[self.api], self.body(request), (lambda: any(f() for f in polls)) if polls else None)
        cands = self.parse(payload)
        return InfillResult(cands, 0, (time.perf_counter() - t0) * 1000, _count(_usage(payload).get("prompt_tokens")))

    # -- HTTP ------------------------------------------------------------------------------------

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=self.timeout_s)

    def _exchange(self, conn, path: str, data: bytes) -> tuple[int, str, bytes]:
        conn.request("POST", self._base + path, body=data, headers=self._headers())
        resp = conn.getresponse()
        return resp.status, resp.reason, resp.read()

    def _once(self, path: str, data: bytes, cancelled) -> tuple[int, str, bytes]:
        """One attempt, on a worker thread: abandoned (the connection closed) when ``cancelled``
        says so or when ``timeout_s`` has passed since it began, whatever the socket is doing."""
        conn = self._connection()
        deadline = time.monotonic() + self.timeout_s
        try:
            box: dict = {}

            def work():
                try:
                    box["ok"] = self._exchange(conn, path, data)
                except BaseException as exc:  # handed to the caller's thread below
                    box["err"] = exc
            worker = threading.Thread(target=work, daemon=True)
            worker.start()
            while worker.is_alive():
                worker.join(0.005)
                if worker.is_alive() and cancelled is not None and cancelled():
                    conn.close()               # unblocks the worker's read
                    raise RequestCancelled("the request was cancelled")
                if worker.is_alive() and time.monotonic() > deadline:
                    conn.close()
                    raise TimeoutError("the whole answer took longer than the timeout")
            if "err" in box:
                raise box["err"]
            return box["ok"]
        finally:
            conn.close()

    def post(self, path: str, body: dict, cancelled=None) -> dict:
        """POST ``body`` as JSON; ``cancelled`` is a callable polled while waiting."""
        data = json.dumps(body).encode()
        where = f"remote server {self.endpoint}"
        last = ""
        for attempt in range(self.retries + 1):
            if cancelled is not None and cancelled():
                raise RequestCancelled("the request was cancelled")
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                status, reason, raw = self._once(path, data, cancelled)
            except RequestCancelled:
                raise
            except (socket.timeout, TimeoutError):
                raise BackendError(f"{where} did not answer within {self.timeout_s:g} s") from None
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                last = f"is not reachable ({type(exc).__name__}: {exc.strerror or exc})" \
                    if isinstance(exc, OSError) else f"broke the connection ({type(exc).__name__})"
                continue
            if status >= 500:
                last = f"answered {status} {reason}: {_error_text(raw)}"
                continue
            if status >= 400:
                unset = status in (401, 403) and self.api_key_env and not os.environ.get(self.api_key_env)
                hint = f" (the variable {self.api_key_env} that holds the API key is not set)" if unset else ""
                raise BackendError(f"{where} answered {status} {reason}: {_error_text(raw)}{hint}")
            try:
                return json.loads(raw)
            except ValueError:
                raise BackendError(f"{where} sent malformed JSON: {raw[:80]!r}") from None
        tries = f" after {self.retries + 1} attempts" if self.retries else ""
        raise BackendError(f"{where} {last}{tries}")


def _usage(payload: dict) -> dict:
    usage = payload.get("usage") if isinstance(payload, dict) else None
    return usage if isinstance(usage, dict) else {}


def _count(value) -> int:
    """A token count from the server's ``usage`` (null, a string or garbage: 0)."""
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else 0


def _error_text(raw: bytes) -> str:
    """The server's own error message (OpenAI/vLLM: {"error": {"message": ...}}), shortened."""
    try:
        obj = json.loads(raw)
        err = obj.get("error", obj) if isinstance(obj, dict) else obj
        msg = err.get("message") or err.get("detail") if isinstance(err, dict) else err
        text = str(msg if msg is not None else obj)
    except ValueError:
        text = raw.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text[:300] or "(empty body)"
