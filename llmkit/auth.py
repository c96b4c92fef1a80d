"""Credentials that refresh: OAuth tokens (Google ADC, Microsoft Entra ID) and
the keys a request signer needs (AWS).

A credential source is any callable returning the credential and, if it
expires, when (seconds since the epoch, or a datetime). `Credential` caches
what it returns and calls it again `margin` seconds before the expiry; one
caller refreshes while the others wait, in threads and in tasks alike (the
transport runs a refresh in a worker thread, so an event loop never blocks).
A source that gives no expiry is called for every request: it caches itself
(azure.identity's `get_bearer_token_provider` does).

The shapes accepted from a source: a `str` (a token, no expiry); a tuple
`(credential, expires_at)` (azure.identity's `AccessToken` is one; any other
tuple is the credential itself); an object
with `token` and `expires_on` or `expiry`. Nothing here logs or quotes a
credential: reprs say `***`.

Sources by name (`Endpoint.credentials`) are imported on first use, so the
cloud SDKs they wrap load only when a route needs them.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from llmkit.errors import CredentialError, LlmkitError

Source = Callable[[], Any]

# Where a signer's credential object keeps its secrets (botocore's Credentials
# and ReadOnlyCredentials: secret_key, token; the access key id is not secret).
_SECRET_ATTRS = ("token", "secret_key", "secret_access_key", "session_token")

# Refresh this long before the expiry: a token must outlive the request
# (google-auth refreshes 3m45s early, azure-identity 5 min; a stream can run minutes).
DEFAULT_MARGIN = 300.0

# Default sources by name: "module:function", the function taking the endpoint
# name and returning a Source. Bedrock adds "aws" (botocore's chain).
SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "google-adc": "llmkit.routes._google_auth:adc_source",
        "aws": "llmkit.routes._aws:aws_source",  # botocore's credential chain
    }
)


def _expiry(when: Any) -> float | None:
    if when is None:
        return None
    if isinstance(when, datetime.datetime):
        # google-auth's `expiry` is naive UTC; azure-identity gives epoch seconds.
        aware = when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)
        return aware.timestamp()
    return float(when)


def _is_when(x: Any) -> bool:
    return x is None or (isinstance(x, (int, float, datetime.datetime)) and not isinstance(x, bool))


def _normalized(got: Any) -> tuple[Any, float | None]:
    """(credential, expires_at) from what a source returned."""
    if isinstance(got, str):
        return got, None
    if isinstance(got, tuple) and len(got) == 2 and _is_when(got[1]):
        return got[0], _expiry(got[1])
    # An access token object (azure.identity's AccessToken, google-auth's
    # Credentials): a token and its expiry. Not a signer's credentials, which
    # also have a `token` (botocore's: the session token) but no expiry here.
    token = getattr(got, "token", None)
    if isinstance(token, str) and (hasattr(got, "expires_on") or hasattr(got, "expiry")):
        return token, _expiry(getattr(got, "expires_on", getattr(got, "expiry", None)))
    return got, None


class Credential:
    """A cached, refreshing credential over a source. Thread-safe; its repr
    never shows the credential."""

    __slots__ = ("__weakref__", "_cached", "_last", "_lock", "_source", "margin", "provider")

    def __init__(self, source: Source, *, provider: str = "", margin: float = DEFAULT_MARGIN):
        self._source = source
        self._lock = threading.Lock()
        self._cached: tuple[Any, float] | None = None  # (credential, expires_at)
        self._last: Any = None  # the last credential got, cached or not
        self.margin = margin
        self.provider = provider

    def __repr__(self) -> str:
        return f"Credential({self.provider or 'source'}, '***')"

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("an llmkit Credential cannot be pickled: it holds a live credential")

    def fresh(self) -> Any | None:
        """The cached credential while it has more than `margin` seconds left,
        else None (then `get` refreshes). Never blocks."""
        cached = self._cached
        if cached is not None and time.time() < cached[1] - self.margin:
            return cached[0]
        return None

    def get(self) -> Any:
        """The credential, refreshed first when it is about to expire. May
        block on the source's network call: async callers run it in a thread."""
        got = self.fresh()
        if got is not None:
            return got
        with self._lock:
            got = self.fresh()  # another thread refreshed while this one waited
            if got is not None:
                return got
            try:
                value, expires = _normalized(self._source())
            except LlmkitError:
                raise
            except Exception as e:
                raise CredentialError(
                    f"{self.provider or 'the credential source'}: could not get a credential "
                    f"({type(e).__name__})",
                    provider=self.provider or None,
                ) from e
            if value is None or value == "":
                raise CredentialError(
                    f"{self.provider or 'the credential source'} gave an empty credential",
                    provider=self.provider or None,
                )
            self._cached = None if expires is None else (value, expires)
            self._last = value
            return value

    def secrets(self) -> list[str]:
        """The secret strings of the last credential got, for redaction: a
        token, or a signer's secret key and session token."""
        got = self._last
        if isinstance(got, str):
            return [got]
        found = (getattr(got, a, None) for a in _SECRET_ATTRS)
        return [v for v in found if isinstance(v, str) and v]

    def invalidate(self) -> None:
        """Forget the cached credential (the vendor refused it: a 401)."""
        with self._lock:
            self._cached = None


# One cache per source object, so tokens are reused across calls that pass
# the same callable (a bound method made afresh each time is not cached: fine,
# a source that caches itself is then called each time).
_by_source: weakref.WeakKeyDictionary[Any, Credential] = weakref.WeakKeyDictionary()
_by_name: dict[str, Credential] = {}
_registry_lock = threading.Lock()


def credential_for(source: Source, provider: str = "") -> Credential:
    """The shared `Credential` over a caller's source."""
    if isinstance(source, Credential):
        return source
    with _registry_lock:
        try:
            cred = _by_source.get(source)
        except TypeError:  # neither hashable nor weakly referable: no sharing
            return Credential(source, provider=provider)
        if cred is None:
            cred = Credential(source, provider=provider)
            with contextlib.suppress(TypeError):
                _by_source[source] = cred
        return cred


def named_source(name: str, provider: str) -> Credential:
    """The shared `Credential` over a default source named in `SOURCES`, made
    (and its SDK imported) on first use."""
    with _registry_lock:
        cred = _by_name.get(f"{name}\0{provider}")
    if cred is not None:
        return cred
    path = SOURCES.get(name)
    if path is None:
        raise CredentialError(f"{provider}: no credential source named {name!r}", provider=provider)
    module, _, fn = path.partition(":")
    make: Callable[[str], Source] = getattr(importlib.import_module(module), fn)
    made = Credential(make(provider), provider=provider)
    with _registry_lock:
        return _by_name.setdefault(f"{name}\0{provider}", made)
