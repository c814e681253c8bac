"""The figures of a run, printed as tables; the must-be-0 ones decide the exit code."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from chaos.faults import FaultRecord
from chaos.ledger import OUTCOMES, Ledger


@dataclass
class Figures:
    ledger: Ledger
    faults: list[FaultRecord]
    orphans: list[str]
    double_boots: list[str]
    out_of_order: list[str]
    notifications: int
    duplicate_notifications: int
    poison_sent: int
    poison_parked: int
    duplicates_copied: int
    unanswered: int
    refusals: Counter[str] = field(default_factory=Counter)
    replica_exits: list[str] = field(default_factory=list)
    surprises: list[str] = field(default_factory=list)  # answers the load did not expect

    def must_be_zero(self) -> dict[str, int]:
        return {
            "lost": self.ledger.count("lost"),
            "stuck past their deadline": self.ledger.count("stuck"),
            "orphan servers and appliances after the grace": len(self.orphans),
            "double boots": len(self.double_boots),
            "notifications out of order": len(self.out_of_order),
            "poison messages not dead-lettered": self.poison_sent - self.poison_parked,
        }

    @property
    def failed_figures(self) -> list[str]:
        return [name for name, value in self.must_be_zero().items() if value]


def render(figures: Figures) -> str:
    ledger = figures.ledger
    lines = [
        "",
        "operations by kind",
        f"{'kind':<24}{'accepted':>9}" + "".join(f"{o:>11}" for o in OUTCOMES),
    ]
    kinds = sorted({op.kind for op in ledger.operations})
    for kind in kinds:
        ops = [op for op in ledger.operations if op.kind == kind]
        counts = Counter(op.outcome for op in ops)
        lines.append(f"{kind:<24}{len(ops):>9}" + "".join(f"{counts[o]:>11}" for o in OUTCOMES))
    lines += ["", "figure                                              value   must be 0"]
    summary = {
        "operations accepted": len(ledger.operations),
        "  completed": ledger.count("completed"),
        "  failed with a reason": ledger.count("failed"),
    }
    for name, value in summary.items():
        lines.append(f"{name:<50}{value:>7}")
    for name, value in figures.must_be_zero().items():
        lines.append(f"{name:<50}{value:>7}   {'ok' if value == 0 else 'NO'}")
    lines += [
        f"{'notifications received (duplicates by id)':<50}{figures.notifications:>7} ({figures.duplicate_notifications})",
        f"{'messages delivered twice by the tap':<50}{figures.duplicates_copied:>7}",
        f"{'writes unanswered (their replica died)':<50}{figures.unanswered:>7}",
        "",
        "fault                               recovery s   what",
    ]  # fmt: skip
    for fault in figures.faults:
        seconds = "n/a" if fault.note.startswith("skipped") else _seconds(fault.recovery_seconds)
        lines.append(f"{fault.name:<36}{seconds:>10}   {fault.note}")
    lines += _details(figures)
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "NEVER" if value is None else f"{value:.1f}"


def _details(figures: Figures) -> list[str]:
    lines = []
    if figures.refusals:
        refused = ", ".join(f"{key} x{n}" for key, n in figures.refusals.most_common())
        lines += ["", f"refused writes (not accepted, not counted above): {refused}"]
    reasons = Counter(op.reason[:100] for op in figures.ledger.operations if op.outcome == "failed")
    if reasons:
        lines += ["", "failure reasons:"] + [f"  {n:>4} x {r}" for r, n in reasons.most_common(8)]
    for outcome in ("lost", "stuck"):
        for op in figures.ledger.examples(outcome):
            lines.append(f"{outcome}: {op.kind} {op.resource}: {op.reason}")
    for title, items in (
        ("orphan", figures.orphans),
        ("double boot", figures.double_boots),
        ("out of order", figures.out_of_order),
        ("replica exited on its own", figures.replica_exits),
        ("unexpected answer", figures.surprises),
    ):
        lines += [f"{title}: {item}" for item in items[:10]]
    return lines
