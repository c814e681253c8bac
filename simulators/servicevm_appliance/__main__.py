"""``python -m servicevm_appliance --port P --device-id ID [--token T]``."""

from __future__ import annotations

import argparse
import os
import sys

from servicevm_appliance.server import serve

# The token may come from the environment so that it does not show in the process list.
TOKEN_ENV = "SERVICEVM_APPLIANCE_TOKEN"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="servicevm_appliance", description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--device-id", required=True, help="the device this appliance stands for")
    parser.add_argument(
        "--token", default=os.environ.get(TOKEN_ENV), help=f"bearer token (or ${TOKEN_ENV})"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _parse(sys.argv[1:] if argv is None else argv)
    serve(host=args.host, port=args.port, device_id=args.device_id, token=args.token or None)


if __name__ == "__main__":
    main()
