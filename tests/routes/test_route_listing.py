"""The live model listing through the cloud routes, over the real transport:
Vertex AI's Model Garden listing (exact URL, paging, bearer and billing
project), merged into the catalog; errors typed; the routes without a list
API reachable the same way (Bedrock, Azure, Claude on Vertex) add nothing
and send nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

import httpx
import pytest

import llmkit
from llmkit import auth, registry
from llmkit.errors import PermissionDenied
from llmkit.providers import google
from llmkit.routes import _google_auth, vertex
from llmkit.types import ModelInfo
from tests.routes import helpers as h

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "vertex-gemini"
LIST = "https://us-east5-aiplatform.googleapis.com/v1beta1/publishers/google/models"
PAGES = {
    f"{LIST}?pageSize=100": (FIX / "publisher_models_page1.json").read_bytes(),
    f"{LIST}?pageSize=100&pageToken=CgVwYWdlMg%3D%3D": (
        FIX / "publisher_models_page2.json"
    ).read_bytes(),
}


def only(*names: str) -> registry.Registry:
    return registry.Registry(
        endpoints=MappingProxyType({n: registry.DEFAULT.endpoints[n] for n in names}),
        prefixes=MappingProxyType({}),
    )


@pytest.fixture(autouse=True)
def adc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """ADC found (a credentials file) and its token source a stand-in."""
    creds = tmp_path / "adc.json"
    creds.write_text("{}")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(creds))
    monkeypatch.setattr(_google_auth, "adc_source", lambda provider: h.token)
    monkeypatch.setattr(auth, "_by_name", {})
    yield


def garden(seen: list[httpx.Request], status: int = 200, body: bytes = b"") -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = body or PAGES[str(request.url)]
        return httpx.Response(status, content=answer, headers={"content-type": "application/json"})

    return httpx.MockTransport(handler)


def live(reg: registry.Registry, seen: list[httpx.Request]) -> list[ModelInfo]:
    with httpx.Client(transport=garden(seen)) as client:
        return llmkit.list_models_sync(live=True, registry=reg, http_client=client)


def test_vertex_lists_model_gardens_gemini_models_page_by_page() -> None:
    seen: list[httpx.Request] = []
    models = live(only("vertex"), seen)
    assert [str(r.url) for r in seen] == list(PAGES)
    for r in seen:
        assert r.method == "GET"
        assert r.headers["authorization"] == f"Bearer {h.TOKEN}"
        assert r.headers["x-goog-user-project"] == "my-proj"
    catalog = [m.id for m in google.MODELS]
    ids = [m.id for m in models]
    # the catalog first, then what the listing adds: only models the Gemini wire serves
    assert ids == [*catalog, "gemma-3-27b-it"]
    assert all(m.provider == "vertex" and m.available for m in models)
    flash = next(m for m in models if m.id == "gemini-2.5-flash")
    assert flash == next(
        m for m in llmkit.list_models_sync(registry=only("vertex")) if m.id == flash.id
    )
    assert flash.context_window  # a listed id the catalog knows keeps its facts


@pytest.mark.parametrize(
    ("name", "stage", "kept"),
    [
        ("publishers/google/models/gemini-3-pro", "GA", "gemini-3-pro"),
        ("publishers/google/models/gemma-3-4b-it", "PUBLIC_PREVIEW", "gemma-3-4b-it"),
        ("publishers/google/models/gemini-embedding-001", "GA", None),
        ("publishers/google/models/text-embedding-005", "GA", None),
        ("publishers/google/models/imagen-4.0-generate-001", "GA", None),
        ("publishers/google/models/gemini-live-2.5-flash", "GA", None),
        ("publishers/google/models/gemini-1.0-pro", "DEPRECATED", None),
    ],
)
def test_which_publisher_models_are_chat_models(name: str, stage: str, kept: str | None) -> None:
    body = f'{{"publisherModels":[{{"name":"{name}","launchStage":"{stage}"}}]}}'.encode()
    models, page = vertex.parse_list(body)
    assert [m.id for m in models] == ([kept] if kept else []) and page is None


def test_express_mode_lists_on_the_global_host_without_a_project(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hr = vertex.list_request("https://aiplatform.googleapis.com/v1", None)
    assert (
        hr.url == "https://aiplatform.googleapis.com/v1beta1/publishers/google/models?pageSize=100"
    )
    assert "x-goog-user-project" not in hr.headers


def test_a_refused_listing_is_a_typed_error() -> None:
    refused = (
        b'{"error":{"code":403,"message":"Permission \'aiplatform.publisherModels.list\' denied",'
        b'"status":"PERMISSION_DENIED"}}'
    )
    seen: list[httpx.Request] = []
    with httpx.Client(transport=garden(seen, 403, refused)) as client:
        with pytest.raises(PermissionDenied, match=r"publisherModels\.list"):
            llmkit.list_models_sync(live=True, registry=only("vertex"), http_client=client)


def test_routes_without_a_reachable_list_api_send_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key-0123456789")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKexample-not-real")
    reg = only("azure", "azure-chat", "bedrock", "vertex-anthropic")
    assert set(registry.available(reg)) == set(reg.endpoints)
    seen: list[httpx.Request] = []
    models = live(reg, seen)
    assert seen == []
    assert models == llmkit.list_models_sync(registry=reg)


@pytest.mark.anyio
async def test_async_twin() -> None:
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=garden(seen)) as client:
        models = await llmkit.list_models(live=True, registry=only("vertex"), http_client=client)
    assert [str(r.url) for r in seen] == list(PAGES)
    assert models[-1].id == "gemma-3-27b-it"
