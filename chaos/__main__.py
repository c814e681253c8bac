"""``make chaos``: the fault suite (issue 12). See chaos/__init__.py and the README.

    python -m chaos [--replicas 2] [--faults kill-api,poison,...] [--gap 10] [--grace 30]

Exit status 1 if a figure that must be 0 is not.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from chaos.faults import FAULTS
from chaos.report import render
from chaos.run import Plan, execute


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--faults", default=",".join(FAULTS), help="comma-separated, in order")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--gap", type=float, default=10.0, help="seconds of load between faults")
    parser.add_argument("--deadline", type=float, default=180.0, help="an operation's deadline")
    parser.add_argument("--grace", type=float, default=30.0, help="the reconciler's grace")
    args = parser.parse_args()
    unknown = set(args.faults.split(",")) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}; known: {', '.join(FAULTS)}")
    # The harness's own AMQP connections are expected to drop when the broker restarts.
    for noisy in ("aio_pika", "aiormq"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    port_base = int(os.environ.get("SERVICEVM_CHAOS_PORT_BASE", "18890"))
    plan = Plan(
        port_base=port_base,
        db_name=os.environ.get("SERVICEVM_CHAOS_DB_NAME", "servicevm_chaos"),
        replicas=args.replicas,
        faults=args.faults.split(","),
        warmup_seconds=args.warmup,
        gap_seconds=args.gap,
        op_deadline_seconds=args.deadline,
        orphan_grace_seconds=args.grace,
        pg_port=int(os.environ.get("SERVICEVM_CHAOS_PG_PORT", "5442")),
        rabbitmq_port=int(os.environ.get("SERVICEVM_CHAOS_RABBITMQ_PORT", "5682")),
    )
    figures = execute(plan)
    print(render(figures))
    if figures.failed_figures:
        print(f"\nFAILED: not 0: {', '.join(figures.failed_figures)}")
        return 1
    print("\nevery must-be-0 figure is 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
