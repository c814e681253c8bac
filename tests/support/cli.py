"""Runs the installed ``servicevm`` console script as a user would, against the suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The script pip installed beside this interpreter (.venv/bin/servicevm).
COMMAND = Path(sys.executable).parent / "servicevm"


@dataclass
class Cli:
    url: str
    amqp_url: str
    project: str = field(default_factory=lambda: f"project-{uuid.uuid4().hex[:8]}")
    roles: str = "member"
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        # No OS_* from the developer's shell: this client must be in noauth mode unless a
        # test says otherwise.
        base = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        identity = {"SERVICEVM_PROJECT_ID": self.project, "SERVICEVM_ROLES": self.roles}
        if "OS_AUTH_URL" in self.extra_env or "OS_CLOUD" in self.extra_env:
            identity = {}
            base.pop("SERVICEVM_PROJECT_ID", None)
        return {
            **base,
            "SERVICEVM_URL": self.url,
            "SERVICEVM_AMQP_URL": self.amqp_url,
            **identity,
            **self.extra_env,
        }

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(COMMAND), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def ok(self, *args: str, timeout: float = 120) -> str:
        result = self.run(*args, timeout=timeout)
        assert result.returncode == 0, (args, result.returncode, result.stdout, result.stderr)
        return result.stdout

    def json(self, *args: str, timeout: float = 120) -> Any:
        return json.loads(self.ok(*args, "-f", "json", timeout=timeout))

    def popen(self, *args: str, stdout: Path, stderr: Path) -> subprocess.Popen[bytes]:
        with stdout.open("wb") as out, stderr.open("wb") as err:
            return subprocess.Popen([str(COMMAND), *args], env=self.env(), stdout=out, stderr=err)
