"""Vertex OAuth tokens through google-auth's real credential classes, against
a fake Google token endpoint on loopback: fetched on first use, cached,
refreshed before expiry; ADC found from GOOGLE_APPLICATION_CREDENTIALS; a
missing extra named; `import llmkit` imports neither google-auth nor botocore."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmkit import auth
from llmkit.errors import CredentialError, MissingExtra
from llmkit.routes._google_auth import adc_source, from_google
from tests import loopback, replay
from tests.routes import helpers as h

google_credentials = pytest.importorskip("google.oauth2.credentials")


def _tokens(expires_in: int) -> Any:
    def answer(n: int) -> list[Any]:
        body = json.dumps(
            {
                "access_token": f"ya29.token-{n}-0123456789",
                "expires_in": expires_in,
                "token_type": "Bearer",
            }
        ).encode()
        return [loopback.whole(200, body)]

    return answer


def _user_creds(token_uri: str) -> Any:
    return google_credentials.Credentials(
        token=None,
        refresh_token="1//refresh-token-test",
        client_id="cid.apps.googleusercontent.com",
        client_secret="client-secret-test",
        token_uri=token_uri,
    )


def test_tokens_are_fetched_once_and_reused() -> None:
    with loopback.vendor(_tokens(3600)) as server:
        cred = auth.Credential(from_google(_user_creds(loopback.base_url(server) + "/token")))
        assert cred.get() == "ya29.token-0-0123456789"
        assert cred.get() == "ya29.token-0-0123456789"
        assert server.count == 1


def test_tokens_about_to_expire_are_refreshed() -> None:
    # 60 s left is inside llmkit's 300 s margin: each use refreshes.
    with loopback.vendor(_tokens(60)) as server:
        cred = auth.Credential(from_google(_user_creds(loopback.base_url(server) + "/token")))
        assert cred.get() == "ya29.token-0-0123456789"
        assert cred.get() == "ya29.token-1-0123456789"
        assert server.count == 2


def test_a_refused_refresh_is_a_credential_error() -> None:
    def refuse(n: int) -> list[Any]:
        return [loopback.whole(400, b'{"error": "invalid_grant"}')]

    with loopback.vendor(refuse) as server:
        cred = auth.Credential(
            from_google(_user_creds(loopback.base_url(server) + "/token")), provider="vertex"
        )
        with pytest.raises(CredentialError, match="vertex"):
            cred.get()


def _service_account(token_uri: str) -> dict[str, str]:
    """A service-account key file, with a key made for the test (authorized-user
    files found by ADC always go to Google's own token URI; these honour theirs)."""
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    ser = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    return {
        "type": "service_account",
        "project_id": "proj",
        "private_key_id": "kid",
        "private_key": pem.decode(),
        "client_email": "sa@proj.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }


def test_adc_from_a_file_drives_a_vertex_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with loopback.vendor(_tokens(3600)) as server:
        path = tmp_path / "adc.json"
        path.write_text(json.dumps(_service_account(loopback.base_url(server) + "/token")))
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj")
        monkeypatch.setattr(auth, "_by_name", {})  # a fresh default source
        seen: list[httpx.Request] = []
        body = (replay.FIXTURES / "google" / "text.json").read_bytes()
        h.chat("vertex:gemini-2.5-flash", body, seen=seen, api_key=None)
        h.chat("vertex:gemini-2.5-flash", body, seen=seen, api_key=None)
        assert [r.headers["authorization"] for r in seen] == ["Bearer ya29.token-0-0123456789"] * 2
        assert server.count == 1


def test_no_adc_says_how_to_get_some(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(CredentialError, match="application-default login"):
        adc_source("vertex")()


def test_a_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.auth", None)
    with pytest.raises(MissingExtra, match=r"pip install 'llmkit\[vertex\]'"):
        adc_source("vertex")


def test_import_llmkit_stays_light() -> None:
    code = (
        "import sys, llmkit, llmkit.routes.vertex, llmkit.routes.azure\n"
        "import llmkit.routes.vertex_anthropic\n"
        "llmkit.list_models_sync()\n"
        "heavy = [m for m in ('google.auth', 'botocore', 'boto3', 'azure') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
