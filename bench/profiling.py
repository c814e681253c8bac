"""Optional sampling profiles of the services during a benchmark (py-spy, if installed).

``--profile DIR`` writes one collapsed-stack file per service (``DIR/<service>.txt``, the
format flame graph tools read) and prints the heaviest frames of each.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

_FILE = re.compile(r"\((?P<path>[^:()]+):\d+\)$")


class Profiler:
    def __init__(self, out_dir: Path, pids: Mapping[str, int], rate: int = 50) -> None:
        beside = Path(sys.executable).parent / "py-spy"
        exe = str(beside) if beside.exists() else shutil.which("py-spy")
        if exe is None:
            raise RuntimeError("--profile needs py-spy (pip install py-spy)")
        out_dir.mkdir(parents=True, exist_ok=True)
        self.files = {name: out_dir / f"{name}.txt" for name in pids}
        self._procs = [
            subprocess.Popen(
                [
                    exe,
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    str(rate),
                    "--format",
                    "raw",
                    "--threads",
                    "--nonblocking",
                    "-o",
                    str(self.files[name]),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name, pid in pids.items()
        ]

    def stop(self) -> None:
        for proc in self._procs:
            proc.send_signal(signal.SIGINT)
        for proc in self._procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _module(frame: str) -> str:
    match = _FILE.search(frame)
    if match is None:
        return frame
    path = match["path"].split("site-packages/")[-1].removeprefix("./")
    return path.split("/")[0].removesuffix(".py")


def shares(path: Path, limit: int = 10) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """(self time by frame, samples touching each package), as shares of the samples py-spy
    took while the process was busy (it leaves idle samples out), heaviest first."""
    leaves: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue  # py-spy may garble a frame it read mid-change
        count = int(count_text)
        frames = stack.split(";")
        total += count
        leaves[frames[-1]] += count
        for module in {_module(frame) for frame in frames[1:]}:
            packages[module] += count
    if total == 0:
        return [], []

    def top(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(key, n / total) for key, n in counter.most_common(limit)]

    return top(leaves), top(packages)


def print_top(files: Mapping[str, Path], limit: int = 10) -> None:
    for name, path in files.items():
        if not path.exists():
            print(f"\n{name}: no profile")
            continue
        own, packages = shares(path, limit)
        print(f"\n{name}: packages in busy samples")
        print("  " + ", ".join(f"{module} {share:.0%}" for module, share in packages))
        print(f"{name}: self time")
        for frame, share in own:
            print(f"  {share:6.1%}  {frame[:110]}")
