"""The VS Code extension (editors/vscode): its Node protocol test against the real server, and
its contributed settings against the server's configuration.

VS Code cannot be downloaded here; ``npm test`` drives ``infill-lsp`` with
vscode-languageserver-protocol exactly as the extension does (see src/test/protocol.test.ts).
``npm ci`` runs only when node_modules is absent.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from infill.config import InfillOptions, camel_case
from infill.languages import resolve_language, supported_languages
from lsp_server.options import ServerOptions

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"
CLIENT_ONLY = {"infill.server.path", "infill.server.args", "infill.server.maxRestarts",
               "infill.forwardDiagnostics", "infill.trace.server", "infill.languages"}


def test_settings_mirror_the_server_configuration():
    contributed = json.loads((EXTENSION / "package.json").read_text())["contributes"]["configuration"]["properties"]
    server = {f"infill.{camel_case(f.name)}" for cls in (InfillOptions, ServerOptions) for f in fields(cls)
              if f.name != "infill"}
    assert set(contributed) - CLIENT_ONLY == server
    for f in fields(InfillOptions):
        default = contributed[f"infill.{camel_case(f.name)}"]["default"]
        assert default == f.default, f.name


def test_the_extension_attaches_to_every_language_and_only_those():
    package = json.loads((EXTENSION / "package.json").read_text())
    ids = package["contributes"]["configuration"]["properties"]["infill.languages"]["default"]
    assert {resolve_language(i) for i in ids} == set(supported_languages())
    assert package["activationEvents"] == [f"onLanguage:{i}" for i in ids]
    protocol = (EXTENSION / "src" / "protocol.ts").read_text()
    listed = re.search(r"export const LANGUAGES = \[(.*?)\];", protocol, re.S).group(1)
    assert re.findall(r'"([^"]+)"', listed) == ids


def run(cmd: list[str], env: dict, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=EXTENSION, env=env, capture_output=True, text=True, timeout=timeout)


def test_protocol_test_passes_against_the_real_server(tiny_model_dir):
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm not found: the VS Code extension is not built or tested (install Node 20)")
    server = Path(sys.executable).parent / "infill-lsp"
    if not server.exists():
        pytest.skip(f"no {server}: install the project (pip install -e .) to test the extension against it")
    env = {**os.environ, "INFILL_LSP": str(server), "INFILL_TEST_MODEL": str(tiny_model_dir)}
    if not (EXTENSION / "node_modules").is_dir():
        done = run([npm, "ci", "--no-audit", "--no-fund"], env, timeout=600)
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    done = run([npm, "test"], env, timeout=240)
    assert done.returncode == 0, f"npm test failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    assert "# fail 0" in done.stdout
