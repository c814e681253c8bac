"""What VNF LCM reads of an onboarded package: the VNFD round-trips through its JSON column,
and a flavour comes with the device template of each VDU."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Row

from servicevm_api.vnfpkgm.catalogue import flavour_spec
from servicevm_api.vnfpkgm.onboarding import onboard
from shared.vnfd.build import sample_package


def test_flavour_spec_reads_the_stored_vnfd_and_template_map() -> None:
    result = onboard(sample_package("two_flavours"), package_id="p", user_defined_data={})
    ids = {f: {vdu: str(uuid.uuid4()) for vdu in vdus} for f, vdus in result.templates.items()}
    row = cast(
        Row[Any], SimpleNamespace(vnfd=result.vnfd.model_dump(mode="json"), vdu_templates=ids)
    )
    spec = flavour_spec(row, "complex")
    assert spec is not None
    assert spec.vnfd == result.vnfd and spec.flavour == result.vnfd.flavours["complex"]
    assert spec.templates == {vdu: uuid.UUID(t) for vdu, t in ids["complex"].items()}
    assert flavour_spec(row, "missing") is None
