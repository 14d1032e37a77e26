"""Remote backend against a real HTTP server on 127.0.0.1 that speaks the documented contract.

The server records every request (path, headers, JSON body) and answers from a script, so
the tests check the exact bytes we send and every failure the issue names.
"""

import io
import json
import sys
import threading
import time
from dataclasses import replace

import pytest

from engine.api import InfillRequest, RequestCancelled
from engine.backends import load_backend
from engine.backends import FallbackBackend
from engine.backends.remote import RemoteBackend
from engine.errors import BackendError
from infill.cli import main

from helpers import FakeServer

MIDDLE = "a + b"


def ok_body(path: str, body: dict) -> dict:
    """What vLLM / SGLang / Mercury answer, minus fields we do not read."""
    n = body.get("n", 1)
    if path.endswith("/chat/completions"):
        choices = [{"index": i, "message": {"role": "assistant", "content": f"```python\n{MIDDLE}\n```"},
                    "finish_reason": "stop"} for i in range(n)]
    else:
        choices = [{"index": i, "text": MIDDLE, "finish_reason": "stop"} for i in range(n)]
    return {"id": "x", "object": "text_completion", "model": body.get("model"), "choices": choices,
            "usage": {"prompt_tokens": 7, "completion_tokens": 3 * n}}


@pytest.fixture
def server():
    s = FakeServer(ok_body)
    yield s
    s.close()


pytestmark = pytest.mark.usefixtures("fresh_backends")


REQ = InfillRequest("def add(a, b):\n    return ", "\n\nprint(add(1, 2))\n", canvas_length=16, max_blocks=2)


def test_completions_puts_prefix_and_suffix_in_the_fim_prompt(server, monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-secret-123")
    be = RemoteBackend(server.url, "Qwen2.5-Coder-1.5B", api_key_env="MY_KEY")
    res = be.infill(REQ)
    assert [c.text for c in res.candidates] == [MIDDLE] and res.context_tokens == 7
    (sent,) = server.requests
    assert sent["path"] == "/v1/completions"
    assert sent["headers"]["Authorization"] == "Bearer sk-secret-123"
    assert sent["body"] == {
        "model": "Qwen2.5-Coder-1.5B", "max_tokens": 32, "temperature": 0.0,
        "prompt": "<|fim_prefix|>def add(a, b):\n    return <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>",
        "stop": ["<|endoftext|>", "<|file_sep|>", "<|fim_pad|>"], "logprobs": 1}
    assert "suffix" not in sent["body"]                 # vLLM: "suffix is not currently supported"


def test_without_log_probabilities_a_candidate_scores_an_even_prior(server):
    import math
    (candidate,) = RemoteBackend(server.url, "m", api="chat").infill(REQ).candidates
    assert candidate.score == pytest.approx(math.log(0.5))      # not 0.0, a certainty


def test_the_path_goes_where_the_format_has_a_place_for_it(server):
    request = replace(REQ, path="src/calc.py", language="python")
    RemoteBackend(server.url, "Qwen2.5-Coder-7B").infill(request)           # Qwen's repository layout
    RemoteBackend(server.url, "bigcode/starcoder2-3b").infill(request)      # no place for a path
    RemoteBackend(server.url, "llama-3-instruct", api="chat").infill(request)
    qwen, starcoder, chat = (r["body"] for r in server.requests)
    assert qwen["prompt"].startswith("<|file_sep|>src/calc.py\n<|fim_prefix|>def add(a, b):")
    assert starcoder["prompt"].startswith("<fim_prefix>def add(a, b):")
    assert chat["messages"][0]["content"].endswith("The code is python, from the file src/calc.py.")
    RemoteBackend(server.url, "Qwen2.5-Coder-7B").infill(REQ)               # no path: no header
    assert server.requests[-1]["body"]["prompt"].startswith("<|fim_prefix|>")


def test_fim_format_by_name_and_override(server):
    RemoteBackend(server.url, "bigcode/starcoder2-3b").infill(REQ)
    RemoteBackend(server.url, "my-model", fim_format="deepseek").infill(REQ)
    p1, p2 = (r["body"]["prompt"] for r in server.requests)
    assert p1.startswith("<fim_prefix>def add") and p1.endswith("<fim_middle>")
    assert p2.startswith("<｜fim▁begin｜>") and p2.endswith("<｜fim▁end｜>")
    with pytest.raises(BackendError, match="unknown FIM format"):
        RemoteBackend(server.url, "m", fim_format="nope")


def test_n_candidates_and_no_key_means_no_header(server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    res = RemoteBackend(server.url + "/v1/", "m").infill(InfillRequest("x = ", "", candidates=3, seed=5))
    assert len(res.candidates) == 3
    sent = server.requests[0]
    assert sent["path"] == "/v1/completions"             # a base URL ending in /v1 is not doubled
    assert "Authorization" not in sent["headers"]
    assert sent["body"]["n"] == 3 and sent["body"]["temperature"] == 0.8 and sent["body"]["seed"] == 5


def test_chat_and_fim_endpoints(server):
    chat = RemoteBackend(server.url, "m", api="chat").infill(REQ)
    fim = RemoteBackend(server.url, "mercury-coder", api="fim").infill(REQ)
    assert chat.candidates[0].text == MIDDLE              # code fences stripped
    assert fim.candidates[0].text == MIDDLE
    c, f = server.requests
    assert c["path"] == "/v1/chat/completions"
    assert [m["role"] for m in c["body"]["messages"]] == ["system", "user"]
    assert c["body"]["messages"][1]["content"] == REQ.prefix + "<FILL>" + REQ.suffix
    assert f["path"] == "/v1/fim/completions"
    assert f["body"] == {"model": "mercury-coder", "max_tokens": 32, "temperature": 0.0,
                         "prompt": REQ.prefix, "suffix": REQ.suffix}


def test_5xx_is_retried_then_succeeds(server):
    server.script = [(500, b'{"error": {"message": "overloaded"}}'), (503, b"busy")]
    be = RemoteBackend(server.url, "m", retries=2, backoff_s=0.001)
    assert be.infill(REQ).candidates[0].text == MIDDLE
    assert len(server.requests) == 3


def test_5xx_every_time_gives_up_with_the_servers_message(server):
    server.script = [(500, b'{"error": {"message": "CUDA out of memory"}}')] * 3
    with pytest.raises(BackendError, match="answered 500 Internal Server Error: CUDA out of memory after 3 attempts"):
        RemoteBackend(server.url, "m", retries=2, backoff_s=0.001).infill(REQ)


def test_4xx_is_a_clear_error_without_retry_and_never_shows_the_key(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123")
    server.script = [(400, b'{"object": "error", "message": "suffix is not currently supported"}')]
    with pytest.raises(BackendError, match="answered 400 Bad Request: suffix is not currently supported") as e:
        RemoteBackend(server.url, "m").infill(REQ)
    assert len(server.requests) == 1 and "sk-secret" not in str(e.value)


@pytest.mark.parametrize("data, message", [
    (b"<html>oops", "malformed JSON"),
    (b'{"choices": []}', "without any choices"),
    (b'{"choices": [{"index": 0}]}', "choice without text"),
    (b'{"choices": [{"text": 5}]}', "choice without text"),
])
def test_malformed_answers(server, data, message):
    server.script = [(200, data)]
    with pytest.raises(BackendError, match=message):
        RemoteBackend(server.url, "m").infill(REQ)


def test_hanging_server_times_out_fast(server):
    server.script = ["hang"]
    t0 = time.perf_counter()
    with pytest.raises(BackendError, match="did not answer within 0.5 s"):
        RemoteBackend(server.url, "m", timeout_s=0.5).infill(REQ)
    assert time.perf_counter() - t0 < 1.5 and len(server.requests) == 1


def test_a_server_trickling_its_answer_is_cut_off_at_the_timeout(server):
    """Each read gets a byte within the socket's timeout, but the whole answer does not come
    within ``timeout_s``: the attempt ends there (it took 45 s against 2 s before)."""
    server.script = ["trickle"]
    t0 = time.perf_counter()
    with pytest.raises(BackendError, match="did not answer within 0.5 s"):
        RemoteBackend(server.url, "m", timeout_s=0.5).infill(REQ)
    assert time.perf_counter() - t0 < 1.5


def test_null_and_odd_fields_in_an_answer_are_read_not_raised(server):
    """vLLM-like servers send nulls: ``index``, ``usage`` counts and log-probabilities of the
    wrong type are read as absent (a TypeError traceback before, past the fallback)."""
    server.script = [(200, json.dumps({"choices": [{"index": None, "text": "b", "logprobs": [1]},
                                                   {"index": 0, "text": "a", "logprobs": None}],
                                       "usage": {"completion_tokens": None, "prompt_tokens": "7"}}).encode())]
    result = RemoteBackend(server.url, "m").infill(replace(REQ, candidates=2))
    assert sorted(c.text for c in result.candidates) == ["a", "b"] and result.context_tokens == 0


def test_an_unset_api_key_variable_is_named_on_401(server, monkeypatch):
    monkeypatch.delenv("MY_KEY", raising=False)
    server.script = [(401, b'{"error": {"message": "Invalid API key"}}')]
    with pytest.raises(BackendError, match="Invalid API key .the variable MY_KEY that holds the API key is not set"):
        RemoteBackend(server.url, "m", api_key_env="MY_KEY").infill(REQ)


def test_server_down_is_a_clear_error():
    import socket
    with socket.socket() as s:                  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BackendError, match=r"is not reachable \(ConnectionRefusedError.*after 2 attempts"):
        RemoteBackend(f"http://127.0.0.1:{port}", "m", retries=1, backoff_s=0.001).infill(REQ)


def test_cancel_abandons_a_slow_request(server):
    server.script = ["hang"]
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    t0 = time.perf_counter()
    with pytest.raises(RequestCancelled):
        RemoteBackend(server.url, "m", timeout_s=5).infill(REQ, cancel=cancel)
    assert time.perf_counter() - t0 < 0.5
    flag = {"stop": False}
    threading.Timer(0.1, lambda: flag.update(stop=True)).start()
    server.script = ["hang"]
    with pytest.raises(RequestCancelled):
        RemoteBackend(server.url, "m", timeout_s=5).infill(
            InfillRequest("x", "", cancelled=lambda: flag["stop"]))


def test_bad_configuration():
    with pytest.raises(BackendError, match="unknown api"):
        RemoteBackend("http://h", "m", api="stream")
    with pytest.raises(BackendError, match="needs --model"):
        RemoteBackend("http://h", "")
    with pytest.raises(BackendError, match="not an http"):
        RemoteBackend("ftp://h", "m")
    for bad in ("http://127.0.0.1:x", "http://127.0.0.1:99999", "http://[::1"):
        with pytest.raises(BackendError, match="not an http"):
            RemoteBackend(bad, "m")


def test_an_endpoint_given_with_the_whole_path_is_not_doubled(server):
    RemoteBackend(server.url + "/v1/completions", "m").infill(REQ)
    RemoteBackend(server.url + "/v1/chat/completions", "m", api="chat").infill(REQ)
    assert [r["path"] for r in server.requests] == ["/v1/completions", "/v1/chat/completions"]


def test_fallback_to_embedded_on_a_failing_request(server, tiny_model_dir, monkeypatch):
    from engine import backends
    from engine.backends.embedded import EmbeddedBackend
    monkeypatch.setattr(backends, "_embedded", lambda threads: EmbeddedBackend(tiny_model_dir))
    server.script = [(400, b'{"message": "no"}')]
    be = load_backend("m", endpoint=server.url, fallback_to_embedded=True)
    assert isinstance(be, FallbackBackend)
    res = be.infill(InfillRequest("x = ", "\n", canvas_length=4, max_blocks=1))
    assert res.forward_passes >= 1 and "answered 400" in be.last_error


def test_batch_end_to_end_with_endpoint(server, capsys, monkeypatch):
    lines = [json.dumps({"task_id": "a", "prefix": "def add(a, b):\n    return ", "suffix": "\n"}),
             json.dumps({"task_id": "b", "prefix": "x = ", "suffix": "\n"})]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    code = main(["batch", "--endpoint", server.url, "--model", "srv-model", "--api", "fim", "--timeout-s", "5"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r["task_id"] for r in rows] == ["a", "b"]
    assert rows[0]["completion"] == MIDDLE and rows[0]["syntax_valid"]
    assert [r["body"]["prompt"] for r in server.requests] == ["def add(a, b):\n    return ", "x = "]


def test_batch_reports_a_down_server_per_task(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"prefix": "x = ", "suffix": ""}) + "\n"))
    code = main(["batch", "--endpoint", "http://127.0.0.1:9", "--model", "m", "--timeout-s", "1"])
    out, err = capsys.readouterr()
    assert code == 0 and "is not reachable" in json.loads(out)["error"]
