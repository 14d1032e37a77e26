"""``infill-lsp``: run the language server over stdio (default) or TCP.

``infill-lsp --check [--settings JSON]`` loads the model the settings name (the editor's
initialization options) and prints its description instead: editors' health checks run it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

VERSION = "0.1.0"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="infill-lsp", description="diffusion infill language server")
    parser.add_argument("--tcp", action="store_true", help="listen on TCP instead of stdio")
    parser.add_argument("--stdio", action="store_true",
                        help="use stdio (the default; vscode-languageclient passes it for its stdio transport)")
    parser.add_argument("--host", default="127.0.0.1", help="TCP address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    parser.add_argument("--log-level", default="WARNING", help="logging level on stderr")
    parser.add_argument("--version", action="version", version=f"infill-lsp {VERSION}")
    parser.add_argument("--check", action="store_true",
                        help="load the model the settings name, print its description and exit (1 on failure)")
    parser.add_argument("--settings", default="{}", help="with --check: initialization options as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    if args.check:
        sys.exit(check(args.settings))

    from .server import SERVER  # imported here: --help stays fast

    if args.tcp:
        SERVER.start_tcp(args.host, args.port)
    else:
        SERVER.start_io()
    sys.exit(SERVER.protocol.exit_code())   # 1 after an exit without shutdown (the specification's)


def check(settings: str) -> int:
    """Print the version and the loaded model's description; 0 when it loads, 1 when not."""
    from infill.backends import get_backend
    from infill.errors import InfillError

    from .options import options_from_dict

    print(f"infill-lsp {VERSION}")
    try:
        options, problems = options_from_dict(json.loads(settings))
    except json.JSONDecodeError as exc:
        print(f"error: --settings is not JSON: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    try:
        info = get_backend(options.infill).describe()
    except InfillError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for key, value in info.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    main()
