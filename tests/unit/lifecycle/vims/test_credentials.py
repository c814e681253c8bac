"""A VIM's credentials: the secret of its method, decrypted, hidden from repr."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from cryptography.fernet import Fernet

from servicevm_lifecycle.vims.credentials import credentials
from shared.secrets import Cipher


def _row(**fields: Any) -> SimpleNamespace:
    base = dict.fromkeys(
        (
            "region_name",
            "project_name",
            "project_domain_name",
            "project_id",
            "user_name",
            "user_domain_name",
            "application_credential_id",
        )
    )
    return SimpleNamespace(**{**base, "auth_url": "http://k/v3", **fields})


def test_credentials_decrypt_the_secret_of_the_vims_method_and_hide_it() -> None:
    cipher = Cipher([Fernet.generate_key()])
    by_password = credentials(
        _row(user_name="demo", encrypted_secret=cipher.encrypt("pw-123")),  # type: ignore[arg-type]
        cipher,
    )
    assert by_password.password == "pw-123" and by_password.application_credential_secret is None
    assert "pw-123" not in repr(by_password)
    by_app = credentials(
        _row(application_credential_id="ac", encrypted_secret=cipher.encrypt("as-1")),  # type: ignore[arg-type]
        cipher,
    )
    assert by_app.application_credential_secret == "as-1" and by_app.password is None
    assert by_app.uses_application_credential
