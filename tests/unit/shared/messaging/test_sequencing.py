"""Messages about one subject run one after another; different subjects overlap."""

from __future__ import annotations

import asyncio

from shared.messaging.sequencing import SubjectSequencer


async def _work(log: list[str], name: str, delay: float, *, fail: bool = False) -> None:
    log.append(f"start {name}")
    await asyncio.sleep(delay)
    log.append(f"end {name}")
    if fail:
        raise RuntimeError(name)


def test_same_subject_is_serialized_and_survives_a_failure() -> None:
    async def scenario() -> list[str]:
        log: list[str] = []
        sequencer = SubjectSequencer()
        first = sequencer.submit("d1", _work(log, "a", 0.02, fail=True))
        second = sequencer.submit("d1", _work(log, "b", 0.0))
        await asyncio.gather(first, second, return_exceptions=True)
        assert sequencer.in_flight() == 0
        return log

    assert asyncio.run(scenario()) == ["start a", "end a", "start b", "end b"]


def test_different_subjects_overlap() -> None:
    async def scenario() -> list[str]:
        log: list[str] = []
        sequencer = SubjectSequencer()
        await asyncio.gather(
            sequencer.submit("d1", _work(log, "a", 0.02)),
            sequencer.submit("d2", _work(log, "b", 0.0)),
        )
        return log

    assert asyncio.run(scenario()) == ["start a", "start b", "end b", "end a"]


def test_a_dependent_message_waits_for_its_dependency_in_flight() -> None:
    async def scenario() -> list[str]:
        log: list[str] = []
        sequencer = SubjectSequencer()
        template = sequencer.submit("template-1", _work(log, "template", 0.02))
        device = sequencer.submit("device-1", _work(log, "device", 0.0), after=["template-1"])
        other = sequencer.submit("device-2", _work(log, "other", 0.0))
        await asyncio.gather(template, device, other)
        return log

    log = asyncio.run(scenario())
    assert log.index("end template") < log.index("start device")
    assert log.index("start other") < log.index("end template")  # unrelated work overlaps


def test_devices_of_one_template_do_not_wait_for_each_other() -> None:
    async def scenario() -> list[str]:
        log: list[str] = []
        sequencer = SubjectSequencer()
        first = sequencer.submit("device-1", _work(log, "a", 0.02), after=["template-1"])
        second = sequencer.submit("device-2", _work(log, "b", 0.0), after=["template-1"])
        await asyncio.gather(first, second)
        return log

    assert asyncio.run(scenario()) == ["start a", "start b", "end b", "end a"]
