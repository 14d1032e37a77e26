"""Every language end to end through ``infill batch --endpoint`` against a loopback model server,
and the embedded model's refusal of the languages it was not trained on.

Each case is a gap in a small file of its language. The served model answers with the middle and
then more (the code after the gap again, further lines): the request must carry the prefix, the
suffix and the file's path (Qwen's ``<|file_sep|>`` header), and what comes back must be cut to
the gap by post-processing and pass the syntax check of that language.
"""

import json

import pytest

from infill.candidates import cursor_indent
from infill.languages import spec_of, supported_languages

from helpers import FakeServer, run_cli

# language -> (path, prefix, suffix, what the served model answers, what infill returns)
CASES = {
    "python": ("calc.py", "def add(a, b):\n    return ", "\n\nprint(add(1, 2))\n",
               "a + b\n\nprint(add(1, 2))\n", "a + b"),
    "javascript": ("src/calc.js", "function add(a, b) {\n  return ", ";\n}\n", "a + b;\n}\n", "a + b"),
    "typescript": ("src/calc.ts", "function add(a: number, b: number): number {\n  return ", ";\n}\n",
                   "a + b;\n}\n", "a + b"),
    "tsx": ("src/Hello.tsx", "export function Hello(props: { name: string }) {\n  return <b>{", "}</b>;\n}\n",
            "props.name}</b>;\n}\n", "props.name"),
    "go": ("calc.go", "package calc\n\nfunc Add(a int, b int) int {\n\treturn ", "\n}\n", "a + b\n}\n", "a + b"),
    "rust": ("src/lib.rs", "pub fn add(a: i32, b: i32) -> i32 {\n    let sum = ", ";\n    sum\n}\n",
             "a + b;\n    sum\n}\n", "a + b"),
    "java": ("src/Calc.java", "class Calc {\n    int add(int a, int b) {\n        return ", ";\n    }\n}\n",
             "a + b;\n    }\n}\n", "a + b"),
    "c": ("calc.c", "int add(int a, int b) {\n\treturn ", ";\n}\n", "a + b;\n}\n", "a + b"),
    "cpp": ("calc.cpp", "#include <vector>\n\nint add(int a, int b) {\n    return ", ";\n}\n", "a + b;\n}\n",
            "a + b"),
    "c_sharp": ("Calc.cs", "class Calc {\n    public int Add(int a, int b) {\n        return ",
                ";\n    }\n}\n", "a + b;\n    }\n}\n", "a + b"),
    "ruby": ("lib/calc.rb", "def add(a, b)\n  ", "\nend\n", "a + b\nend\n", "a + b"),
    "php": ("calc.php", "<?php\nfunction add($a, $b) {\n    return ", ";\n}\n", "$a + $b;\n}\n", "$a + $b"),
    "lua": ("calc.lua", "local function add(a, b)\n  return ", "\nend\n", "a + b\nend\n", "a + b"),
    "bash": ("add.sh", "add() {\n  echo $(( ", " ))\n}\n", "$1 + $2 ))\n}\n", "$1 + $2"),
}


def test_every_language_has_a_case():
    assert set(CASES) == set(supported_languages())


@pytest.fixture
def served():
    """A server whose model answers each language's prompt with that case's middle and more."""
    def answer(path, body):
        prompt = body["prompt"]
        raw = next(c[3] for c in CASES.values() if prompt.startswith(f"<|file_sep|>{c[0]}\n"))
        choices = [{"index": i, "text": raw, "finish_reason": "stop", "logprobs": {"token_logprobs": [-0.1, -0.3]}}
                   for i in range(body.get("n", 1))]
        return {"choices": choices, "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": 4}}
    server = FakeServer(answer)
    yield server
    server.close()


def test_batch_through_a_served_model_in_every_language(served, capsys, monkeypatch):
    tasks = [{"task_id": language, "path": path, "prefix": prefix, "suffix": suffix}
             for language, (path, prefix, suffix, _, _) in CASES.items()]
    code, out, err = run_cli(["batch", "--endpoint", served.url, "--model", "Qwen2.5-Coder-7B", "--no-retrieval"],
                             capsys, "\n".join(map(json.dumps, tasks)) + "\n", monkeypatch)
    assert code == 0, err
    rows = {row["task_id"]: row for row in map(json.loads, out.splitlines())}
    assert set(rows) == set(CASES)
    for language, (path, prefix, suffix, _, expected) in CASES.items():
        row = rows[language]
        assert "error" not in row, (language, row)
        assert row["completion"] == expected, language
        assert row["syntax_valid"] and row["shown"], language   # at the default min_confidence
    prompts = {request["body"]["prompt"] for request in served.requests}
    for path, prefix, suffix, _, _ in CASES.values():
        # a cursor in a line's indentation: the model writes from the line start (token healing)
        prefix = prefix.removesuffix(cursor_indent(prefix))
        assert f"<|file_sep|>{path}\n<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>" in prompts


def test_a_task_may_name_its_language_by_an_lsp_id(served, capsys, monkeypatch):
    task = {"language": "typescriptreact", "path": CASES["tsx"][0], "prefix": CASES["tsx"][1],
            "suffix": CASES["tsx"][2]}
    code, out, _ = run_cli(["batch", "--endpoint", served.url, "--model", "qwen2.5-coder", "--no-retrieval",
                            "--min-confidence", "0"], capsys, json.dumps(task) + "\n", monkeypatch)
    row = json.loads(out)
    assert code == 0 and row["completion"] == "props.name" and row["gap_kind"] == "expression"
    bad = [{"language": 3, "prefix": "x"}, {"language": "cobol", "prefix": "x"}, {"path": "a.vue", "prefix": "x"}]
    code, out, _ = run_cli(["batch", "--endpoint", served.url, "--model", "m"], capsys,
                           "\n".join(map(json.dumps, bad)) + "\n", monkeypatch)
    errors = [json.loads(line)["error"] for line in out.splitlines()]
    assert code == 0 and len(errors) == 3
    assert "must be strings" in errors[0] and "unsupported language 'cobol'" in errors[1]
    assert "no supported language for 'a.vue'" in errors[2]


@pytest.mark.parametrize("language", ["typescript", "go", "bash"])
def test_the_embedded_model_refuses_a_language_it_was_not_trained_on(language, capsys, monkeypatch, tmp_path):
    path, prefix, suffix, _, _ = CASES[language]
    code, out, _ = run_cli(["batch"], capsys, json.dumps({"path": path, "prefix": prefix, "suffix": suffix}) + "\n",
                           monkeypatch)
    sentence = f"the embedded model completes Python only; configure a backend to complete {spec_of(language).title}"
    assert code == 0 and json.loads(out)["error"].startswith(sentence)
    source = tmp_path / path.replace("/", "_")
    source.write_text(prefix + suffix)
    line = prefix.count("\n") + 1
    column = len(prefix) - prefix.rfind("\n")
    code, out, err = run_cli(["complete", f"{source}:{line}:{column}"], capsys)
    assert code == 1 and out == "" and err.startswith(f"infill: error: {sentence}")


def test_a_configured_backend_that_did_not_load_is_named_in_the_refusal(tmp_path):
    from engine.backends import load_backend
    from infill.backends import check_language
    from infill.errors import ModelLanguageError

    backend = load_backend(str(tmp_path / "no-model"), threads=1, fallback_to_embedded=True)
    assert backend.describe()["fallback_reason"].endswith("has no config.json (the folder does not exist)")
    with pytest.raises(ModelLanguageError, match="configure a backend to complete Go .* the configured backend "
                                                  "did not load: model folder"):
        check_language(backend, "go")
    check_language(backend, "python")


def test_the_project_root_and_the_path_a_model_sees_follow_the_language(tmp_path):
    from infill.suggest import Request

    (tmp_path / "pyproject.toml").write_text("")
    web = tmp_path / "web"
    (web / "src").mkdir(parents=True)
    (web / "package.json").write_text("{}")
    ts, py = web / "src" / "app.ts", web / "src" / "tool.py"
    assert Request("", 0, "typescript", path=str(ts)).project_root() == str(web)
    assert Request("", 0, "typescript", path=str(ts)).shown_path() == "src/app.ts"
    assert Request("", 0, "python", path=str(py)).project_root() == str(tmp_path)      # not web/: no package.json
    assert Request("", 0, "python", path=str(py)).shown_path() == "web/src/tool.py"
    assert Request("", 0, "python", path="a\x00.py").shown_path() == "a\x00.py"        # no traceback


def test_a_chat_model_is_told_the_language_by_its_name_and_the_file_by_its_path(capsys, tmp_path):
    path, prefix, suffix, _, expected = CASES["c_sharp"]
    (tmp_path / "App.csproj").write_text("<Project />")          # the project root C# knows
    source = tmp_path / "src" / path
    source.parent.mkdir()
    source.write_text(prefix + suffix)

    def answer(_, body):
        return {"choices": [{"index": 0, "message": {"role": "assistant", "content": expected},
                             "finish_reason": "stop"}]}
    server = FakeServer(answer)
    try:
        line, column = prefix.count("\n") + 1, len(prefix) - prefix.rfind("\n")
        code, out, err = run_cli(["complete", f"{source}:{line}:{column}", "--endpoint", server.url, "--model",
                                  "llama-3-instruct", "--api", "chat", "--no-retrieval", "--min-confidence", "0"],
                                 capsys)
        instruction = server.requests[0]["body"]["messages"][0]["content"]
    finally:
        server.close()
    assert code == 0 and out.strip() == expected, err
    assert instruction.endswith(f"The code is C#, from the file src/{path}.")      # not c_sharp


def test_a_rewrite_tells_the_model_the_language_and_the_path():
    from helpers import Scripted
    from infill.config import InfillOptions
    from infill.editing import rewrite

    text = "package calc\n\nfunc Add(a int, b int) int {\n\treturn a + b\n}\n"
    start = text.index("a + b")
    backend = Scripted("x", fix="b + a")
    rewrite(text, start, start + len("a + b"), "go", InfillOptions(checks=False), backend=backend,
            path="calc/add.go")
    (request,) = backend.requests
    assert (request.language, request.language_title, request.path) == ("go", "Go", "calc/add.go")
