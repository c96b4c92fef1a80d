"""`list_models`: the built-in catalog (route models included), each marked
available when its credentials are found, and the vendors' live listings merged
in. Re-exported by `llmkit.api`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import msgspec

from llmkit import registry as _registry
from llmkit.api import _route_parts
from llmkit.types import ModelInfo

if TYPE_CHECKING:
    import httpx

    from llmkit.transport import Call


def _catalog(reg: _registry.Registry, env: Mapping[str, str] | None) -> list[ModelInfo]:
    """Every built-in catalog model, marked available when its key is set (a
    cloud route's, when its settings and credentials are found)."""
    ready = set(_registry.available(reg, env))
    out: list[ModelInfo] = []
    for name, ep in reg.endpoints.items():
        p = _registry.wire(ep)
        # A compatible endpoint does not serve OpenAI's catalog; a cloud route
        # that takes the vendor's ids (Vertex) does.
        rows = list(p.MODELS) if name == p.NAME or ep.catalog else []
        rows += _route_models(ep, p.MODELS)
        out += [msgspec.structs.replace(m, provider=name, available=name in ready) for m in rows]
    return out


def _route_models(ep: _registry.Endpoint, first: Sequence[ModelInfo]) -> list[ModelInfo]:
    """A cloud route's own ids (its `CATALOG`: Bedrock's, Claude's on Vertex),
    each with the facts of the first-party model it names."""
    listed: Mapping[str, str] = getattr(_registry.route_shape(ep), "CATALOG", {})
    facts = {m.id: m for m in first}
    return [msgspec.structs.replace(facts[f], id=i) for i, f in listed.items() if f in facts]


def _merge(catalog: list[ModelInfo], live: list[ModelInfo]) -> list[ModelInfo]:
    """Live entries add to the catalog; a catalog entry keeps its richer facts."""
    seen = {(m.provider, m.id) for m in catalog}
    return catalog + [
        msgspec.structs.replace(m, available=True) for m in live if (m.provider, m.id) not in seen
    ]


def _live_calls(reg: _registry.Registry, deadline: float | None) -> list[Call]:
    from llmkit.transport import Call

    calls = []
    for name in _registry.available(reg):
        ep = reg.endpoints[name]
        # a cloud route lists through its cloud's own API, where it has one (Vertex)
        if ep.route and not hasattr(_registry.route_shape(ep), "list_request"):
            continue
        key, credential = _registry.credentials(ep)  # checked as chat checks it
        calls.append(
            Call(
                provider=_registry.wire(ep),
                name=name,
                base_url=_registry.base_url(ep, keyed=key is not None),
                key=key,
                deadline=deadline,
                **_route_parts(ep, credential),
            )
        )
    return calls


def _named(call: Call, models: list[ModelInfo]) -> list[ModelInfo]:
    return [msgspec.structs.replace(m, provider=call.name) for m in models]


def _listed(call: Call, client: httpx.Client) -> list[ModelInfo]:
    """The live listing: the wire's, or a cloud route's (`list_request`,
    `parse_list`), page by page, each page retried and bounded as any call."""
    from llmkit import transport

    if call.route is None:
        return transport.list_models(call, client)
    models: list[ModelInfo] = []
    page: str | None = None
    while True:
        hr = call.route.list_request(call.base_url, page)
        batch, page = transport.fetch(call, client, hr, call.route.parse_list)
        models += batch
        if not page:
            return models


async def _alisted(call: Call, client: httpx.AsyncClient) -> list[ModelInfo]:
    from llmkit import transport

    if call.route is None:
        return await transport.alist_models(call, client)
    models: list[ModelInfo] = []
    page: str | None = None
    while True:
        hr = call.route.list_request(call.base_url, page)
        batch, page = await transport.afetch(call, client, hr, call.route.parse_list)
        models += batch
        if not page:
            return models


async def list_models(
    *,
    live: bool = False,
    registry: _registry.Registry | None = None,
    http_client: httpx.AsyncClient | None = None,
    deadline: float | None = None,
) -> list[ModelInfo]:
    """The catalog, each model marked available when its provider's key is set.
    With `live`, each available provider's own listing is merged in (of the
    cloud routes, Vertex AI's Model Garden listing of Google's models)."""
    from llmkit import transport

    reg = registry or _registry.current()
    models = _catalog(reg, None)
    if live:
        client = http_client or transport.default_async_client()
        for call in _live_calls(reg, deadline):
            models = _merge(models, _named(call, await _alisted(call, client)))
    return models


def list_models_sync(
    *,
    live: bool = False,
    registry: _registry.Registry | None = None,
    http_client: httpx.Client | None = None,
    deadline: float | None = None,
) -> list[ModelInfo]:
    """The sync twin of `list_models`."""
    from llmkit import transport

    reg = registry or _registry.current()
    models = _catalog(reg, None)
    if live:
        client = http_client or transport.default_client()
        for call in _live_calls(reg, deadline):
            models = _merge(models, _named(call, _listed(call, client)))
    return models
