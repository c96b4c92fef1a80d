"""OAuth tokens for Vertex AI from google-auth (the `vertex` extra), imported
only when a Vertex call needs one.

`adc_source` finds Application Default Credentials as Google's own clients
do (GOOGLE_APPLICATION_CREDENTIALS, gcloud's `application-default login`
file, the metadata server on Google Cloud), scoped to `cloud-platform`.
`from_google` wraps any google-auth credentials object (a service account
with its own scopes, impersonated credentials): pass it as `api_key=`.
llmkit's `Credential` caches the token and calls back before it expires.
"""

from __future__ import annotations

from typing import Any

from llmkit.auth import Source
from llmkit.errors import CredentialError, MissingExtra

SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def _google_auth(provider: str) -> Any:
    try:
        import google.auth
        import google.auth.transport.requests
    except ImportError:
        raise MissingExtra("vertex", "google-auth", provider=provider) from None
    return google.auth


def from_google(creds: Any, provider: str = "vertex") -> Source:
    """A token source over a google-auth credentials object: each call
    refreshes it (llmkit calls only when the cached token is due)."""
    ga = _google_auth(provider)

    def token() -> tuple[str, Any]:
        creds.refresh(ga.transport.requests.Request())
        return creds.token, creds.expiry

    return token


def adc_source(provider: str) -> Source:
    """A token source over Application Default Credentials, found on first use."""
    ga = _google_auth(provider)
    found: list[Any] = []

    def token() -> tuple[str, Any]:
        if not found:
            try:
                creds, _ = ga.default(scopes=[SCOPE])
            except ga.exceptions.DefaultCredentialsError as e:
                raise CredentialError(
                    f"{provider}: no Google Application Default Credentials: run `gcloud auth "
                    "application-default login` or set GOOGLE_APPLICATION_CREDENTIALS "
                    "(or pass an express-mode key as GOOGLE_CLOUD_API_KEY)",
                    provider=provider,
                ) from e
            found.append(creds)
        got: tuple[str, Any] = from_google(found[0], provider)()
        return got

    return token
