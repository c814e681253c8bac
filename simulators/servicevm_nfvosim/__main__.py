"""Run the NFVO simulator on its own: python -m servicevm_nfvosim [--port 9990] [--mode grant]
[--package simple]. Its behaviour changes with PUT /admin/behaviour; GET
/admin/grant_requests lists the grant requests it received."""

from __future__ import annotations

import argparse
import json
import time

from servicevm_nfvosim.server import NfvoSimulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--mode", default="grant", choices=("grant", "refuse", "async", "error"))
    parser.add_argument("--delay-seconds", type=float, default=0.0)
    parser.add_argument("--package", action="append", default=[], help="a sample package name")
    parser.add_argument("--package-user-data", default="{}", help="their userDefinedData (JSON)")
    args = parser.parse_args()
    sim = NfvoSimulator(args.host, args.port)
    sim.behave(mode=args.mode, delay_seconds=args.delay_seconds)
    for name in args.package:
        print(f"package vnfdId {sim.add_package(name, json.loads(args.package_user_data))}")
    with sim:
        for key, value in sim.env().items():
            print(f"{key}={value}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
