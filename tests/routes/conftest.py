from __future__ import annotations

import pytest

from llmkit.routes import _gcp

CLOUD_ENV = (
    *_gcp.PROJECT_ENV,
    *_gcp.LOCATION_ENV,
    "GOOGLE_CLOUD_API_KEY",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_RESOURCE",
    "AZURE_OPENAI_API_KEY",
)


@pytest.fixture(autouse=True)
def _cloud_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every route test starts from the same env: a Vertex project in us-east5
    and an Azure resource without a key, whatever the machine has set."""
    for k in CLOUD_ENV:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-proj")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us-east5")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://my-res.openai.azure.com/")
