"""The table of issue 13: each hot path beside its floor measured in the same run, then the
device path again with 2 processes of every service.

    python -m bench.table [--devices 400] [--concurrency 16] [--list 50000] [--placements 2000]

On a shared machine wall-clock rates move with the load, so each row also gives the CPU the
services spent per operation (process times) and every ratio is taken against a floor
measured minutes apart, not against figures from another day. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse

from bench import e2e_devices, list_devices, placement
from bench.stats import percentile

MS = 1000.0


def _device_row(label: str, figures: e2e_devices.DeviceFigures) -> str:
    run, floor = figures.suite_run, figures.floor_run
    return (
        f"| {label} | {run.rate:.1f} devices/s, p50 {percentile(run.latencies, 0.5):.2f} s,"
        f" CPU {figures.cpu_per_device_ms():.1f} ms/device"
        f" ({figures.work.transactions / run.count:.1f} transactions)"
        f" | {floor.rate:.1f} ops/s, CPU {figures.floor_cpu_per_op_ms():.1f} ms/op"
        f" | {run.rate / floor.rate:.2f} (CPU {figures.floor_cpu_per_op_ms() / figures.cpu_per_device_ms():.2f})"
        " | >= 0.5 |"
    )


def _replicas_summary(one: e2e_devices.DeviceFigures, two: e2e_devices.DeviceFigures) -> str:
    """The two device runs side by side. They ran minutes apart on a shared machine, so each
    is also taken against its own floor (ratio and CPU) before they are compared."""
    ratio_one = one.suite_run.rate / one.floor_run.rate
    ratio_two = two.suite_run.rate / two.floor_run.rate
    cpu_one = one.cpu_per_device_ms() / one.floor_cpu_per_op_ms()
    cpu_two = two.cpu_per_device_ms() / two.floor_cpu_per_op_ms()
    others = two.other_replicas_cpu_ms()
    return (
        f"\n2 replicas / 1: throughput {two.suite_run.rate / one.suite_run.rate:.2f}"
        f" (against each run's floor {ratio_two / ratio_one:.2f}),"
        f" CPU per device {two.cpu_per_device_ms() / one.cpu_per_device_ms():.2f}"
        f" (in floor operations {cpu_two / cpu_one:.2f})"
        f"\n  of the 2-replica CPU per device, the second replica's processes:"
        f" {sum(others.values()):.1f} ms ({', '.join(f'{k} {v:.1f}' for k, v in others.items())};"
        f" the api's serves half the requests, the others stand by)"
        f"\n  (logs: {one.log_dir}, {two.log_dir})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--gets", type=int, default=500)
    parser.add_argument("--list", type=int, default=50_000)
    parser.add_argument("--placements", type=int, default=2000)
    args = parser.parse_args()

    one = e2e_devices.measure(args.devices, args.concurrency, args.gets)
    two = e2e_devices.measure(args.devices, args.concurrency, 0, replicas=2)
    placed = placement.measure(10_000, 100_000, args.placements, 8)
    listed = list_devices.measure(args.list, 1000)

    p_floor, p_run = placed.floor, placed.handled
    gets = one.gets
    print("\n| path | servicevm | floor, same run | ratio | goal |")
    print("| --- | --- | --- | --- | --- |")
    print(_device_row(f"device POST -> ACTIVE, {args.devices} devices, concurrency 16", one))
    print(
        f"| scheduler placement, 10k devices / 100k instances (create commands as handled)"
        f" | {p_run.rate:.0f} placements/s, p99 {percentile(p_run.latencies, 0.99) * MS:.0f} ms,"
        f" CPU {placed.handled_cpu.client * MS / p_run.count:.2f} ms"
        f" | {p_floor.rate:.0f}/s bare placement SQL,"
        f" CPU {placed.floor_cpu.client * MS / p_floor.count:.2f} ms"
        f" | {p_run.rate / p_floor.rate:.2f} | >= 0.8, p99 < 30 ms |"
    )
    with_outbox, alone = placed.floor_outbox, placed.packed
    print(
        f"| (the same placement floor writing its 3 outbox rows) | |"
        f" {with_outbox.rate:.0f}/s, CPU {placed.floor_outbox_cpu.client * MS / with_outbox.count:.2f} ms"
        f" | {p_run.rate / with_outbox.rate:.2f} | |"
    )
    if placed.one_slot is not None:
        one_run, one_cpu = placed.one_slot
        print(
            f"| (the same with one batch slot, SERVICEVM_BATCH_SLOTS=1) | {one_run.rate:.0f}/s,"
            f" p99 {percentile(one_run.latencies, 0.99) * MS:.0f} ms,"
            f" CPU {one_cpu.client * MS / one_run.count:.2f} ms"
            f" | | {one_run.rate / p_floor.rate:.2f} | |"
        )
    print(
        f"| (one placement per transaction, no inbox row) | {alone.rate:.0f}/s,"
        f" p99 {percentile(alone.latencies, 0.99) * MS:.0f} ms,"
        f" CPU {placed.packed_cpu.client * MS / alone.count:.2f} ms"
        f" | | {alone.rate / p_floor.rate:.2f} | |"
    )
    print(
        f"| list {listed.devices:,} devices, pages of 1,000 | {listed.seconds:.2f} s,"
        f" api CPU {listed.api_cpu:.2f} s | {listed.floor_seconds:.2f} s (asyncpg, JSON by"
        f" PostgreSQL, no HTTP) | {listed.floor_seconds / listed.seconds:.2f} | < 1.5 s |"
    )
    print(
        f"| GET one device (idle, x{len(gets)}) | p50 {percentile(gets, 0.5) * MS:.2f} ms,"
        f" p99 {percentile(gets, 0.99) * MS:.2f} ms | | | keep |"
    )
    print("\nWith 2 processes of every service (same database and vhost, ports of their own):\n")
    print("| path | servicevm | floor, same run | ratio | goal |")
    print("| --- | --- | --- | --- | --- |")
    print(_device_row("device POST -> ACTIVE, 2 replicas", two))
    print(_replicas_summary(one, two))


if __name__ == "__main__":
    main()
