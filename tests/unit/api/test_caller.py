"""What a caller sees: its own project's resources; an admin, every project's."""

from __future__ import annotations

from servicevm_api.caller import Caller


def test_a_member_sees_its_project_and_an_admin_every_project() -> None:
    member = Caller(project_id="p", roles=frozenset({"member"}))
    admin = Caller(project_id="a", roles=frozenset({"admin"}), admin=True)
    assert (member.visible_tenant, admin.visible_tenant) == ("p", None)
    assert member.can_see("p") and not member.can_see("q")
    assert admin.can_see("q")
