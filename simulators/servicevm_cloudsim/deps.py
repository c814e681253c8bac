"""Dependencies shared by the routes: the state and the caller's identity."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Header, Request

from servicevm_cloudsim.model import User
from servicevm_cloudsim.state import SimState


def get_state(request: Request) -> SimState:
    return cast(SimState, request.app.state.sim)


def get_user(
    state: Annotated[SimState, Depends(get_state)],
    x_auth_token: Annotated[str | None, Header()] = None,
) -> User:
    return state.cloud.user_for_token(x_auth_token)


StateDep = Annotated[SimState, Depends(get_state)]
UserDep = Annotated[User, Depends(get_user)]
