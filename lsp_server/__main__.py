"""``infill-lsp``: run the language server over stdio (default) or TCP."""

from __future__ import annotations

import argparse
import logging


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="infill-lsp", description="diffusion infill language server")
    parser.add_argument("--tcp", action="store_true", help="listen on TCP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1", help="TCP address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    parser.add_argument("--log-level", default="WARNING", help="logging level on stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")

    from .server import SERVER  # imported here: --help stays fast

    if args.tcp:
        SERVER.start_tcp(args.host, args.port)
    else:
        SERVER.start_io()


if __name__ == "__main__":
    main()
