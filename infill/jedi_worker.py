"""jedi's completions in a process of their own: ``python -m infill.jedi_worker``.

One JSON object per line on stdin (``text``, ``line`` 1-based, ``column`` 0-based, ``root``,
``path``, ``limit``), one per line on stdout: ``{"names": [[name, kind], ...]}`` (jedi's
completion type, ``builtin`` for builtins; keywords and paths left out) or ``{"error": ...}``.
The process ends at the end of its input. ``names._JediProcess`` runs it: jedi cannot be
stopped inside a thread, and a process can be killed when an inference runs past its limit
(seen: 34 s on one attribute of a loop variable); its caches stay warm between requests.
"""

from __future__ import annotations

import json
import sys


def answer(request: dict, projects: dict) -> dict:
    import jedi

    root = request.get("root")
    if root not in projects:
        try:
            projects[root] = jedi.Project(root) if root else None
        except Exception:           # noqa: BLE001 - a root jedi cannot use: its default search
            projects[root] = None
    script = jedi.Script(request["text"], path=request.get("path"), project=projects[root],
                         environment=jedi.InterpreterEnvironment())
    out, limit = [], int(request.get("limit", 20_000))
    for c in script.complete(request["line"], request["column"]):
        if c.type in ("keyword", "path"):
            continue
        out.append([c.name, "builtin" if c.module_name == "builtins" and c.type != "param" else c.type])
        if len(out) >= limit:
            break
    return {"names": out}


def main() -> int:
    try:
        import jedi
    except ImportError:
        print(json.dumps({"error": "jedi is not installed"}), flush=True)
        return 1
    # The dynamic searches (a parameter's type from the calls of its function across modules)
    # are what makes an inference take seconds; the names at a cursor do not need them.
    jedi.settings.dynamic_params = False
    jedi.settings.dynamic_params_for_other_modules = False
    jedi.settings.dynamic_array_additions = False
    projects: dict = {}
    for line in sys.stdin:
        try:
            reply = answer(json.loads(line), projects)
        except Exception as exc:    # noqa: BLE001 - jedi on code it cannot analyse: an error reply
            reply = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
