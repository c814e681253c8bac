"""Exit codes scripts can rely on, and the errors that end a command with them.

Commands raise a CliError; ``main.run`` prints its message on stderr and exits with its
code (Typer's own usage errors exit 2 as well). Nothing else calls ``sys.exit``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    API_ERROR = 1  # the API answered an error (or could not be reached)
    USAGE = 2  # the command line is wrong (click's own usage errors use 2 too)
    WAIT_ERROR = 3  # --wait saw the resource go to ERROR (or a VIM UNREACHABLE)
    TIMEOUT = 4  # --wait (or notifications tail --count) ran out of time


class CliError(Exception):
    """Ends the command with ``Error: <message>`` on stderr and the class's exit code."""

    exit_code = int(ExitCode.API_ERROR)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApiError(CliError):
    """The API's answer was an error: its NeutronError type and message, and the status."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(f"{message} (HTTP {status} {error_type})")
        self.status = status
        self.error_type = error_type
        self.api_message = message


class UsageError(CliError):
    exit_code = int(ExitCode.USAGE)


class NotFound(CliError):
    """No resource has that name: the same exit code as the API's 404 for an unknown id."""

    exit_code = int(ExitCode.API_ERROR)


class WaitFailed(CliError):
    exit_code = int(ExitCode.WAIT_ERROR)


class WaitTimeout(CliError):
    exit_code = int(ExitCode.TIMEOUT)
