"""What the Vertex AI routes share: hosts, project and location from the env.

Hosts (PROTOCOLS 9.1): `global` is `aiplatform.googleapis.com`, the `us` and
`eu` multi-regions `aiplatform.{us,eu}.rep.googleapis.com`, any other region
`{region}-aiplatform.googleapis.com`. Env vars as Google's SDKs and gcloud
read them; `CLOUD_ML_REGION` is the Anthropic SDK's and Claude Code's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from llmkit.errors import MissingConfig
from llmkit.protocols import HttpRequest

PROJECT_ENV = ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT")
LOCATION_ENV = ("GOOGLE_CLOUD_LOCATION", "GOOGLE_CLOUD_REGION", "CLOUD_ML_REGION")
DEFAULT_LOCATION = "global"  # google-genai's default, and every model's


def first(env: Mapping[str, str], names: tuple[str, ...]) -> str:
    return next((env[n].strip() for n in names if env.get(n, "").strip()), "")


def host(location: str) -> str:
    if location == "global":
        return "https://aiplatform.googleapis.com"
    if location in ("us", "eu"):
        return f"https://aiplatform.{location}.rep.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


def project_url(env: Mapping[str, str], provider: str) -> str:
    """`{host}/v1/projects/{project}/locations/{location}`."""
    project = first(env, PROJECT_ENV)
    if not project:
        raise MissingConfig(provider, "Google Cloud project", PROJECT_ENV)
    location = first(env, LOCATION_ENV) or DEFAULT_LOCATION
    where = f"projects/{quote(project, safe='')}/locations/{quote(location, safe='')}"
    return f"{host(location)}/v1/{where}"


def model_url(base: str, publisher: str, model: str, verb: str) -> str:
    # The model id is one path segment; Claude's older ids carry '@' (claude-x@20250929).
    return f"{base}/publishers/{publisher}/models/{quote(model, safe='@.')}:{verb}"


def adc_found(env: Mapping[str, str]) -> bool:
    """Whether Application Default Credentials are there to find, without
    google-auth: the file GOOGLE_APPLICATION_CREDENTIALS names, or gcloud's
    well-known file. (On Google Cloud the metadata server also serves them;
    it cannot be seen without I/O, so there set GOOGLE_APPLICATION_CREDENTIALS
    or call the model anyway: it works, the catalog just does not know.)"""
    named = env.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    if named:
        return Path(named).is_file()
    config = env.get("CLOUDSDK_CONFIG") or (
        os.path.join(env["APPDATA"], "gcloud")
        if env.get("APPDATA")
        else os.path.expanduser("~/.config/gcloud")
    )
    return Path(config, "application_default_credentials.json").is_file()


def retarget(hr: HttpRequest, url: str) -> HttpRequest:
    return HttpRequest(method=hr.method, url=url, headers=hr.headers, body=hr.body)
