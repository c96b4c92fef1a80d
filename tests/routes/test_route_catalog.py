"""Route models in the catalog: Bedrock's and Claude-on-Vertex's own ids, each
with its first-party twin's facts (derived, never copied), listed as
available only when the route's settings and credentials are found; and any
id of the route's shape (a profile prefix the catalog does not list, a dated
Vertex id) is built with the same facts when called."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

import llmkit
from llmkit import auth, registry
from llmkit.providers import anthropic
from llmkit.routes import _aws, bedrock, vertex_anthropic
from llmkit.types import ModelInfo
from tests import replay
from tests.routes import helpers as h

FIRST = {m.id: m for m in anthropic.MODELS}
ROUTES = {"bedrock": bedrock.CATALOG, "vertex-anthropic": vertex_anthropic.CATALOG}
BEDROCK_JSON = h.read("bedrock-anthropic/fan_haiku45_simple.json")
VERTEX_JSON = h.read("vertex-anthropic/fan_sonnet37_simple.json")


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    """No AWS credentials or region, no gcloud ADC file, whatever the machine has."""
    for var in (*bedrock.REGION_ENV, *bedrock._CREDENTIAL_ENV, *bedrock.API_KEY_ENV):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setattr(auth, "_by_name", {})
    _aws._session.cache_clear()
    yield
    _aws._session.cache_clear()


def listed(provider: str) -> list[ModelInfo]:
    return [m for m in llmkit.list_models_sync() if m.provider == provider]


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_listed_id_names_a_first_party_catalog_model(route: str) -> None:
    catalog = ROUTES[route]
    assert catalog and set(catalog.values()) <= set(FIRST)
    assert [m.id for m in listed(route)] == list(catalog)


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_route_model_carries_its_first_party_twins_facts(route: str) -> None:
    for m in listed(route):
        twin = FIRST[ROUTES[route][m.id]]
        assert msgspec.structs.replace(m, id=twin.id, provider="anthropic", available=False) == twin
        assert m.context_window and m.max_output and m.sampling is not None


def test_bedrock_lists_the_documented_inference_profiles_of_each_model() -> None:
    ids = set(bedrock.CATALOG)
    assert "global.anthropic.claude-opus-4-6-v1" in ids
    assert "apac.anthropic.claude-opus-4-6-v1" in ids
    assert "apac.anthropic.claude-sonnet-4-5-20250929-v1:0" not in ids  # not in the docs' table
    for rid in ids:  # a profile is its base id behind a geography, mapped alike
        base = rid.partition(".")[2] if not rid.startswith("anthropic.") else rid
        assert bedrock.CATALOG[rid] == bedrock.CATALOG[base]


def test_route_models_are_available_only_with_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-proj")
    assert not any(m.available for r in ROUTES for m in listed(r))
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    assert not any(m.available for m in listed("bedrock"))  # a region, no credentials
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKexample-not-real")
    assert all(m.available for m in listed("bedrock"))
    assert not any(m.available for m in listed("vertex-anthropic"))
    (tmp_path / "gcloud").mkdir()
    (tmp_path / "gcloud" / "application_default_credentials.json").write_text("{}")
    assert all(m.available for m in listed("vertex-anthropic"))


def _sent_body(model: str, answer: bytes, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    seen: list[httpx.Request] = []
    with httpx.Client(transport=replay.transport(answer, seen=seen)) as client:
        llmkit.chat_sync(model, "hi", api_key="test-token", http_client=client, max_retries=0)
    (request,) = seen
    body: dict[str, Any] = json.loads(request.content)
    return body


# Listed ids, profiles the catalog does not list (any geography is taken by
# rule) and an id of the route's shape for a model llmkit lists no route id of.
@pytest.mark.parametrize(
    ("model", "first"),
    [
        *((f"bedrock:{i}", f) for i, f in bedrock.CATALOG.items()),
        ("bedrock:au.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
        ("bedrock:jp.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
        ("bedrock:us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("bedrock:global.anthropic.claude-opus-4-8", "claude-opus-4-8"),
    ],
)
def test_any_bedrock_id_is_built_with_the_first_party_facts(
    model: str, first: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = _sent_body(model, BEDROCK_JSON, monkeypatch)
    assert body["max_tokens"] == FIRST[first].max_output


@pytest.mark.parametrize(
    ("model", "first"),
    [(f"vertex:{i}", f) for i, f in vertex_anthropic.CATALOG.items()],
)
def test_any_vertex_claude_id_is_built_with_the_first_party_facts(
    model: str, first: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-proj")
    body = _sent_body(model, VERTEX_JSON, monkeypatch)
    assert body["max_tokens"] == FIRST[first].max_output
    assert "model" not in body  # the Vertex id stays in the URL


def test_an_endpoint_moved_by_with_endpoint_keeps_its_route_models() -> None:
    reg = registry.with_endpoint(registry.DEFAULT, "bedrock", base_url="https://vpce.example")
    ids = [m.id for m in llmkit.list_models_sync(registry=reg) if m.provider == "bedrock"]
    assert ids == list(bedrock.CATALOG)
