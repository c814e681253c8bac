"""SOL003 5.4.18.3.1: before a subscription is made, its callback is tested with a GET
that must answer 204 No Content, authenticated as the notifications will be (basic, or a
bearer token fetched from the subscriber's token endpoint). Anything else is a 422 that
says what the endpoint answered. The address is checked as for deliveries."""

from __future__ import annotations

import httpx

from servicevm_api.etsi.problem import unprocessable
from servicevm_api.vnflcm.subscriptions.schemas import LccnSubscriptionRequest
from shared.callback_http import (
    Refused,
    TokenError,
    basic_authorization,
    fetch_token,
    pinned_request,
)
from shared.config import Settings


async def test_callback(request: LccnSubscriptionRequest, settings: Settings) -> None:
    """Raises a 422 ProblemError unless the callback answers the GET with 204."""
    timeout = httpx.Timeout(settings.delivery_timeout_seconds)
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, trust_env=False
    ) as client:
        headers = await _authorization(client, request, settings)
        try:
            response = await pinned_request(
                client, "GET", request.callbackUri, settings, headers=headers
            )
        except Refused as exc:
            raise unprocessable(f"callbackUri refused: {exc}") from None
        except (OSError, httpx.HTTPError) as exc:
            raise unprocessable(
                f"callbackUri did not answer the test GET: {exc.__class__.__name__}: {exc}"
            ) from None
    if response.status_code != 204:
        raise unprocessable(
            f"callbackUri answered the test GET with {response.status_code} "
            f"{response.reason_phrase}; 204 No Content is expected"
        )


async def _authorization(
    client: httpx.AsyncClient, request: LccnSubscriptionRequest, settings: Settings
) -> dict[str, str]:
    auth = request.authentication
    if auth is None:
        return {}
    if auth.paramsBasic is not None and "BASIC" in auth.authType:
        basic = auth.paramsBasic
        return {
            "Authorization": basic_authorization(basic.userName, basic.password.get_secret_value())
        }
    oauth = auth.paramsOauth2ClientCredentials
    assert oauth is not None  # the schema requires it with OAUTH2_CLIENT_CREDENTIALS
    try:
        token, _ = await fetch_token(
            client,
            settings,
            token_endpoint=oauth.tokenEndpoint,
            client_id=oauth.clientId,
            client_secret=oauth.clientPassword.get_secret_value(),
        )
    except TokenError as exc:
        raise unprocessable(f"no access token for the test GET: {exc}") from None
    return {"Authorization": f"Bearer {token}"}
