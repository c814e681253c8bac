"""The scaling arithmetic lifecycle uses for instantiate, scale and scale_to_level."""

import pytest

from shared.vnfd.model import (
    Flavour,
    InstantiationLevel,
    ScaleError,
    ScalingAspect,
    Vdu,
    VduProfile,
    VirtualCompute,
)


def _vdu(vdu_id: str, low: int, high: int) -> Vdu:
    return Vdu(
        vdu_id=vdu_id,
        name=vdu_id,
        description="",
        vdu_profile=VduProfile(min_number_of_instances=low, max_number_of_instances=high),
        virtual_compute=VirtualCompute(num_virtual_cpu=1, virtual_mem_size=1),
    )


def _flavour(**changes: object) -> Flavour:
    """front: 1..2, +1 per front step; worker: 2..7, steps add 2 then 1 then 1 (last repeats)."""
    base: dict[str, object] = {
        "flavour_id": "df",
        "description": "",
        "vdus": {
            "front": _vdu("front", 1, 2),
            "worker": _vdu("worker", 1, 7),
            "db": _vdu("db", 1, 1),
        },
        "aspects": {
            "front_aspect": ScalingAspect(
                aspect_id="front_aspect",
                name="f",
                description="",
                max_scale_level=1,
                step_deltas=("d1",),
            ),
            "worker_aspect": ScalingAspect(
                aspect_id="worker_aspect",
                name="w",
                description="",
                max_scale_level=3,
                step_deltas=("big", "small"),
            ),
        },
        "vdu_initial_deltas": {"worker": 2},
        "aspect_deltas": {
            "front_aspect": {"front": {"d1": 1}},
            "worker_aspect": {"worker": {"big": 2, "small": 1}},
        },
        "instantiation_levels": {
            "small": InstantiationLevel(level_id="small", description="", scale_info={}),
            "large": InstantiationLevel(
                level_id="large",
                description="",
                scale_info={"front_aspect": 1, "worker_aspect": 2},
                vdu_instances={"front": 2},
            ),
        },
        "default_instantiation_level_id": "small",
    }
    base.update(changes)
    return Flavour.model_validate(base)


def test_initial_counts_come_from_initial_deltas_else_the_profile_minimum() -> None:
    assert _flavour().instances_at_scale_levels({}) == {"front": 1, "worker": 2, "db": 1}


def test_the_default_level_is_used_when_none_is_named() -> None:
    assert _flavour().instances_at_level() == {"front": 1, "worker": 2, "db": 1}


def test_a_named_level_applies_its_scale_levels_and_explicit_counts() -> None:
    assert _flavour().instances_at_level("large") == {"front": 2, "worker": 5, "db": 1}
    assert _flavour().scale_levels_at_level("large") == {"front_aspect": 1, "worker_aspect": 2}
    assert _flavour().scale_levels_at_level("small") == {"front_aspect": 0, "worker_aspect": 0}


def test_the_only_level_is_the_default_and_no_level_means_initial_counts() -> None:
    only = _flavour(
        default_instantiation_level_id=None,
        instantiation_levels={
            "one": InstantiationLevel(
                level_id="one", description="", scale_info={"worker_aspect": 1}
            )
        },
    )
    assert only.instances_at_level() == {"front": 1, "worker": 4, "db": 1}
    none = _flavour(default_instantiation_level_id=None, instantiation_levels={})
    assert none.level() is None
    assert none.instances_at_level() == {"front": 1, "worker": 2, "db": 1}


def test_an_unknown_level_is_a_scale_error() -> None:
    with pytest.raises(ScaleError, match="instantiation level huge is not in flavour df"):
        _flavour().instances_at_level("huge")


@pytest.mark.parametrize(("scale_level", "workers"), [(0, 2), (1, 4), (2, 5), (3, 6)])
def test_step_deltas_apply_in_order_and_the_last_repeats(scale_level: int, workers: int) -> None:
    counts = _flavour().instances_after_scale("worker_aspect", scale_level)
    assert counts == {"front": 1, "worker": workers, "db": 1}


def test_scaling_one_aspect_keeps_the_others_at_their_current_level() -> None:
    counts = _flavour().instances_after_scale("worker_aspect", 1, current={"front_aspect": 1})
    assert counts == {"front": 2, "worker": 4, "db": 1}


def test_scale_levels_outside_the_aspect_are_refused() -> None:
    with pytest.raises(ScaleError, match=r"aspect worker_aspect scale level 4 is outside 0..3"):
        _flavour().instances_after_scale("worker_aspect", 4)
    with pytest.raises(ScaleError, match="aspect nope is not in flavour df"):
        _flavour().instances_after_scale("nope", 1)


def test_counts_outside_the_vdu_profile_are_refused() -> None:
    narrow = _flavour(
        vdus={"front": _vdu("front", 1, 2), "worker": _vdu("worker", 1, 5), "db": _vdu("db", 1, 1)}
    )
    with pytest.raises(
        ScaleError, match=r"VDU worker would have 6 instances, outside its vdu_profile 1..5"
    ):
        narrow.instances_after_scale("worker_aspect", 3)


def test_scaled_level_moves_by_steps_within_bounds() -> None:
    flavour = _flavour()
    assert flavour.scaled_level("worker_aspect", 1, 2, out=True) == 3
    assert flavour.scaled_level("worker_aspect", 3, 3, out=False) == 0
    with pytest.raises(ScaleError, match=r"outside 0\.\.3"):
        flavour.scaled_level("worker_aspect", 2, 2, out=True)
    with pytest.raises(ScaleError, match=r"outside 0\.\.3"):
        flavour.scaled_level("worker_aspect", 0, 1, out=False)
    with pytest.raises(ScaleError, match="numberOfSteps must be at least 1"):
        flavour.scaled_level("worker_aspect", 0, 0, out=True)


def test_models_are_frozen() -> None:
    flavour = _flavour()
    with pytest.raises(ValueError):
        flavour.flavour_id = "other"  # type: ignore[misc]
