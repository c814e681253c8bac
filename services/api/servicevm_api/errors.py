"""The errors the api answers with, raised by the service layer and the entry points alike;
entrypoints/errors.py renders them in Neutron's form."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(
        self,
        status_code: int,
        error_type: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_type = error_type
        self.message = message
        self.headers = headers


def bad_request(message: str) -> ApiError:
    return ApiError(400, "HTTPBadRequest", message)


def not_authorized(rule: str) -> ApiError:
    return ApiError(403, "PolicyNotAuthorized", f"Policy doesn't allow {rule} to be performed.")


def not_found(resource: str, resource_id: object) -> ApiError:
    kind = "".join(part.capitalize() for part in resource.split("_"))
    return ApiError(
        404,
        f"{kind}NotFound",
        f"{resource.replace('_', ' ').capitalize()} {resource_id} could not be found.",
    )


def conflict(error_type: str, message: str) -> ApiError:
    return ApiError(409, error_type, message)
