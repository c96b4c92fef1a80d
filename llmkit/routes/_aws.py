"""AWS credentials and SigV4 signing, through botocore (the `bedrock` extra).

Imported only when a SigV4 route is used: `import llmkit` never imports
botocore. Credentials come from botocore's standard chain (env vars, shared
config and credentials files with profiles, SSO, web identity, container and
instance roles), refreshed by botocore when they are temporary. The signer is
botocore's `SigV4Auth`, driven step by step rather than through `add_auth`:
`add_auth` logs the canonical request at DEBUG, and that holds the session
token (`X-Amz-Security-Token` is a signed header). Keys never leave here except
inside the `Authorization` signature and that token header.
"""

from __future__ import annotations

import datetime
import functools
import importlib
import os
import re
import sys
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from msgspec.structs import replace

from llmkit.errors import MissingApiKey, MissingConfig, MissingExtra
from llmkit.protocols import HttpRequest

# What a user sets so the chain finds credentials (the message of a miss).
CREDENTIAL_ENV = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE")


def botocore() -> ModuleType:
    """botocore, or a typed error saying which extra to install."""
    try:
        for name in ("botocore.auth", "botocore.awsrequest", "botocore.session"):
            importlib.import_module(name)
    except ImportError:
        raise MissingExtra("bedrock", "botocore", provider="bedrock") from None
    return sys.modules["botocore"]


_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _session(profile: str | None) -> Any:
    return botocore().session.Session(profile=profile)


def session(profile: str | None = None) -> Any:
    """One botocore session per profile (making one reads the config files)."""
    with _lock:
        return _session(profile)


def credentials(profile: str | None = None, provider: str = "bedrock") -> Any:
    """botocore's credentials from the standard chain (a `Credentials` or
    `RefreshableCredentials`; its repr holds no key), or MissingApiKey."""
    found = session(profile).get_credentials()
    if found is None:
        raise MissingApiKey(provider, CREDENTIAL_ENV)
    return found


def has_credentials(profile: str | None = None) -> bool:
    """Whether the chain finds credentials (for the catalog); never raises
    for a missing extra or a broken profile."""
    try:
        return session(profile).get_credentials() is not None
    except Exception:  # any failure means: not usable now
        return False


def region(
    profile: str | None = None, env: Mapping[str, str] | None = None, names: tuple[str, ...] = ()
) -> str | None:
    """The region: the first of `names` set in `env`, else the profile's."""
    env = os.environ if env is None else env
    for name in names:
        if env.get(name, "").strip():
            return env[name].strip()
    value = session(profile).get_config_variable("region")
    return str(value) if value else None


def profile_region() -> str | None:
    """The region of the current AWS profile (`AWS_PROFILE` or default), from
    the shared config file; None without one, or without botocore."""
    try:
        return region()
    except MissingExtra:
        return None


def aws_source(provider: str) -> Callable[[], Any]:
    """The credential source `llmkit.auth` calls before each signed request:
    botocore's frozen credentials, refreshed by botocore itself when they are
    temporary (hence no expiry here: botocore's own refresh windows decide).
    A pair, so `llmkit.auth` takes it whole (not the session token alone)."""
    # Resolved on first use (the chain may ask an instance or container for
    # them: I/O the transport runs in a worker thread); the session caches it.
    return lambda: (credentials(provider=provider).get_frozen_credentials(), None)


def sign(
    hr: HttpRequest,
    creds: Any,
    *,
    region: str,
    service: str,
    now: datetime.datetime | None = None,
) -> HttpRequest:
    """`hr` signed with SigV4 for `service` in `region`: its final method,
    URL, headers and body; adds `X-Amz-Date`, `Authorization` and, with
    temporary credentials, `X-Amz-Security-Token`. `now` (UTC) is for tests."""
    bc = botocore()
    # botocore Credentials refresh when due; a source already gives frozen ones
    freeze = getattr(creds, "get_frozen_credentials", None)
    frozen = creds if freeze is None else freeze()
    req = bc.awsrequest.AWSRequest(
        method=hr.method, url=hr.url, data=hr.body or b"", headers=dict(hr.headers)
    )
    auth = bc.auth.SigV4Auth(frozen, service, region)
    when = now or datetime.datetime.now(datetime.timezone.utc)
    req.context["timestamp"] = when.strftime(bc.auth.SIGV4_TIMESTAMP)
    auth._modify_request_before_signing(req)  # date and token headers
    signature = auth.signature(auth.string_to_sign(req, auth.canonical_request(req)), req)
    auth._inject_signature_to_request(req, signature)
    return replace(hr, headers=dict(req.headers.items()))


# The SigV4 signers of `llmkit.registry.SIGNERS`: the region is the one in the
# host name (`bedrock-runtime.{region}.amazonaws.com`, `bedrock-mantle.{region}.api.aws`,
# a VPC endpoint `vpce-….bedrock-runtime.{region}.vpce.amazonaws.com`), else the
# environment's; the service name is fixed per host family
# (https://docs.aws.amazon.com/general/latest/gr/bedrock.html).
_REGION_IN_HOST = re.compile(
    r"(?:^|\.)(?:bedrock-runtime|bedrock-mantle|aws-external-anthropic)(?:-fips)?\.([a-z0-9-]+)\."
)
REGION_ENV = ("AWS_REGION", "AWS_DEFAULT_REGION")


def _host_region(url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname or ""
    hit = _REGION_IN_HOST.search(host)
    found = hit.group(1) if hit else region(names=REGION_ENV)
    if not found:
        raise MissingConfig("bedrock", "AWS region", REGION_ENV)
    return found


def sign_bedrock(hr: HttpRequest, creds: Any) -> HttpRequest:
    return sign(hr, creds, region=_host_region(hr.url), service="bedrock")


def sign_mantle(hr: HttpRequest, creds: Any) -> HttpRequest:
    return sign(hr, creds, region=_host_region(hr.url), service="bedrock-mantle")


def sign_claude_platform(hr: HttpRequest, creds: Any) -> HttpRequest:
    return sign(hr, creds, region=_host_region(hr.url), service="aws-external-anthropic")
