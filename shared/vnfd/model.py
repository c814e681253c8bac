"""What a VNFD says, as frozen pydantic models, and the scaling arithmetic on it. Pure.

Sizes are in bytes, as TOSCA defines its units (``512 MB`` is 512,000,000 bytes, ``1 GiB``
1,073,741,824). A flavour's VNFC counts follow ETSI SOL001 / IFA011:

- a VDU starts with its initial delta (``VduInitialDelta``, else its ``vdu_profile``
  minimum); each scaling step of an aspect adds that step's delta to every VDU the aspect's
  ``VduScalingAspectDeltas`` targets (step *i* uses ``step_deltas[i-1]``; when there are
  fewer step deltas than levels, the last one repeats);
- an instantiation level gives a scale level per aspect (``scale_info``) and, through
  ``VduInstantiationLevels``, the number of instances per VDU; a VDU the level does not
  name gets what its aspects' scale levels give. The parser refuses a VNFD where both
  are given and disagree, so scaling from a level and instantiating at a level agree.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict


class ScaleError(ValueError):
    """A level, aspect or step count the flavour does not allow; the message says which."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Checksum(_Frozen):
    algorithm: str  # sha-224 | sha-256 | sha-384 | sha-512
    hash: str


class SwImageData(_Frozen):
    name: str
    version: str
    container_format: str
    disk_format: str
    min_disk: int
    min_ram: int = 0
    size: int
    checksum: Checksum
    operating_system: str | None = None
    # The image file's path inside the package (from the node's tosca.artifacts.nfv.SwImage
    # artifact), or None when the image is expected to be in the VIM already.
    artifact: str | None = None


class VduProfile(_Frozen):
    min_number_of_instances: int
    max_number_of_instances: int


class VirtualCompute(_Frozen):
    num_virtual_cpu: int
    virtual_mem_size: int
    # Sizes of the local disks (virtual_local_storage), in order.
    virtual_local_storage: tuple[int, ...] = ()


class Vdu(_Frozen):
    vdu_id: str
    name: str
    description: str
    vdu_profile: VduProfile
    virtual_compute: VirtualCompute
    sw_image_data: SwImageData | None = None
    # The VirtualBlockStorage nodes attached to it (its virtual_storage requirements).
    virtual_storages: tuple[str, ...] = ()


class VduCp(_Frozen):
    cp_id: str
    vdu_id: str
    # The internal virtual link it is on; None when the NFVO connects it (external).
    virtual_link_id: str | None = None
    layer_protocols: tuple[str, ...] = ()
    order: int | None = None
    role: str | None = None
    description: str | None = None
    vnic_type: str | None = None


class VirtualLinkProtocol(_Frozen):
    associated_layer_protocol: str
    ip_version: str | None = None
    cidr: str | None = None
    gateway_ip: str | None = None
    dhcp_enabled: bool | None = None
    network_type: str | None = None
    mtu: int | None = None


class VnfVirtualLink(_Frozen):
    vl_id: str
    description: str | None = None
    layer_protocols: tuple[str, ...] = ()
    protocol_data: tuple[VirtualLinkProtocol, ...] = ()


class VirtualBlockStorage(_Frozen):
    storage_id: str
    size_of_storage: int
    rdma_enabled: bool = False
    sw_image_data: SwImageData | None = None


class ScalingAspect(_Frozen):
    aspect_id: str
    name: str
    description: str
    max_scale_level: int
    step_deltas: tuple[str, ...] = ()


class InstantiationLevel(_Frozen):
    level_id: str
    description: str
    # aspect id -> scale level at this instantiation level.
    scale_info: dict[str, int] = {}
    # vdu id -> number of instances (VduInstantiationLevels) where the VNFD gives it.
    vdu_instances: dict[str, int] = {}


class Flavour(_Frozen):
    flavour_id: str
    description: str
    vdus: dict[str, Vdu]
    cps: dict[str, VduCp] = {}
    virtual_links: dict[str, VnfVirtualLink] = {}
    storages: dict[str, VirtualBlockStorage] = {}
    aspects: dict[str, ScalingAspect] = {}
    # vdu id -> instances before any scaling step (VduInitialDelta).
    vdu_initial_deltas: dict[str, int] = {}
    # aspect id -> vdu id -> delta id -> instances one step with that delta adds.
    aspect_deltas: dict[str, dict[str, dict[str, int]]] = {}
    instantiation_levels: dict[str, InstantiationLevel] = {}
    default_instantiation_level_id: str | None = None

    def initial_instances(self, vdu_id: str) -> int:
        vdu = self.vdus[vdu_id]
        return self.vdu_initial_deltas.get(vdu_id, vdu.vdu_profile.min_number_of_instances)

    def level(self, level_id: str | None = None) -> InstantiationLevel | None:
        """The named level, else the default one (or the only one); None if it has none."""
        if level_id is None:
            level_id = self.default_instantiation_level_id
            if level_id is None and len(self.instantiation_levels) == 1:
                level_id = next(iter(self.instantiation_levels))
            if level_id is None:
                return None
        level = self.instantiation_levels.get(level_id)
        if level is None:
            raise ScaleError(f"instantiation level {level_id} is not in flavour {self.flavour_id}")
        return level

    def scale_levels_at_level(self, level_id: str | None = None) -> dict[str, int]:
        """aspect id -> scale level at an instantiation level (0 for aspects it omits)."""
        level = self.level(level_id)
        given = level.scale_info if level else {}
        return {aspect_id: given.get(aspect_id, 0) for aspect_id in self.aspects}

    def instances_at_level(self, level_id: str | None = None) -> dict[str, int]:
        """vdu id -> VNFC count at an instantiation level (None: the default level)."""
        level = self.level(level_id)
        computed = self.instances_at_scale_levels(self.scale_levels_at_level(level_id))
        explicit = level.vdu_instances if level else {}
        return {vdu_id: explicit.get(vdu_id, count) for vdu_id, count in computed.items()}

    def instances_at_scale_levels(self, scale_levels: Mapping[str, int]) -> dict[str, int]:
        """vdu id -> VNFC count with each aspect at the given scale level (others at 0)."""
        for aspect_id, scale_level in scale_levels.items():
            self._check_scale_level(aspect_id, scale_level)
        counts = {vdu_id: self.initial_instances(vdu_id) for vdu_id in self.vdus}
        for aspect_id, scale_level in scale_levels.items():
            for vdu_id, added in self._added_by(aspect_id, scale_level).items():
                counts[vdu_id] += added
        for vdu_id, count in counts.items():
            self._check_count(vdu_id, count)
        return counts

    def instances_after_scale(
        self, aspect_id: str, scale_level: int, current: Mapping[str, int] | None = None
    ) -> dict[str, int]:
        """vdu id -> VNFC count once ``aspect_id`` is at ``scale_level``, the other aspects
        staying at their ``current`` scale levels (0 when not given)."""
        return self.instances_at_scale_levels({**(current or {}), aspect_id: scale_level})

    def scaled_level(
        self, aspect_id: str, current_level: int, number_of_steps: int, *, out: bool
    ) -> int:
        """The aspect's scale level after SCALE_OUT (``out``) or SCALE_IN by some steps."""
        if number_of_steps < 1:
            raise ScaleError(f"numberOfSteps must be at least 1, not {number_of_steps}")
        target = current_level + number_of_steps if out else current_level - number_of_steps
        self._check_scale_level(aspect_id, target)
        return target

    def _check_scale_level(self, aspect_id: str, scale_level: int) -> None:
        aspect = self.aspects.get(aspect_id)
        if aspect is None:
            raise ScaleError(f"aspect {aspect_id} is not in flavour {self.flavour_id}")
        if not 0 <= scale_level <= aspect.max_scale_level:
            raise ScaleError(
                f"aspect {aspect_id} scale level {scale_level} is outside 0.."
                f"{aspect.max_scale_level}"
            )

    def _check_count(self, vdu_id: str, count: int) -> None:
        profile = self.vdus[vdu_id].vdu_profile
        if not profile.min_number_of_instances <= count <= profile.max_number_of_instances:
            raise ScaleError(
                f"VDU {vdu_id} would have {count} instances, outside its vdu_profile "
                f"{profile.min_number_of_instances}..{profile.max_number_of_instances}"
            )

    def _added_by(self, aspect_id: str, scale_level: int) -> dict[str, int]:
        aspect = self.aspects[aspect_id]
        added: dict[str, int] = {}
        if not aspect.step_deltas:
            return added
        for vdu_id, deltas in self.aspect_deltas.get(aspect_id, {}).items():
            added[vdu_id] = sum(
                deltas.get(aspect.step_deltas[min(step, len(aspect.step_deltas)) - 1], 0)
                for step in range(1, scale_level + 1)
            )
        return added


class Vnfd(_Frozen):
    descriptor_id: str
    descriptor_version: str
    provider: str
    product_name: str
    software_version: str
    product_info_name: str | None = None
    product_info_description: str | None = None
    vnfm_info: tuple[str, ...]
    flavours: dict[str, Flavour]

    def flavour(self, flavour_id: str) -> Flavour:
        flavour = self.flavours.get(flavour_id)
        if flavour is None:
            raise ScaleError(f"flavour {flavour_id} is not in VNFD {self.descriptor_id}")
        return flavour
