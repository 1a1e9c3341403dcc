"""``python -m carbonid_idnode --host 127.0.0.1 --port 8700`` (settings from ``IDNODE_*`` variables)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import uvicorn

from carbonid_idnode.app import create_app
from carbonid_idnode.config import NodeSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="carbonid_idnode", description="CarbonID local identifier node")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--persist", type=Path, default=None, help="JSON journal of writes (IDNODE_PERSIST_PATH)")
    parser.add_argument("--ssl-certfile", type=Path, default=None, help="serve HTTPS with this certificate")
    parser.add_argument("--ssl-keyfile", type=Path, default=None)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = NodeSettings()
    if args.persist is not None:
        settings = settings.model_copy(update={"persist_path": args.persist})
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        ssl_certfile=str(args.ssl_certfile) if args.ssl_certfile else None,
        ssl_keyfile=str(args.ssl_keyfile) if args.ssl_keyfile else None,
    )


if __name__ == "__main__":
    main()
