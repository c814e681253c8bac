"""Run the simulator on its own: python -m servicevm_cloudsim [--port 8774]."""

from __future__ import annotations

import argparse
import time

from servicevm_cloudsim.cloud import Timing
from servicevm_cloudsim.server import CloudSimulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--boot-seconds", type=float, default=2.0)
    args = parser.parse_args()
    timing = Timing(boot_seconds=args.boot_seconds, delete_seconds=0.5, stack_seconds=0.5)
    with CloudSimulator(args.host, args.port, timing=timing) as sim:
        cloud = sim.cloud
        print(f"auth_url {sim.auth_url}  user demo/secret  project demo", flush=True)
        print("application credential appcred-demo/appcred-secret", flush=True)
        for net in cloud.networks.values():
            print(f"network {net.name} {net.id}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
