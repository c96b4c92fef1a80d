"""The seam between the public calls, the registry and the wire modules:
one frozen CallSpec, the endpoint's name and dialect on every request."""

from __future__ import annotations

import inspect

import pytest

import llmkit
from llmkit import api
from llmkit.registry import DEFAULT, with_endpoint


def test_every_public_call_argument_is_a_callspec_field() -> None:
    # (__struct_fields__, not msgspec.structs.fields: the hints name httpx, imported lazily)
    names = api.CallSpec.__struct_fields__
    defaults = api.CallSpec.__struct_defaults__
    fields = dict(zip(names[len(names) - len(defaults) :], defaults, strict=True))
    for fn in (llmkit.chat, llmkit.chat_sync, llmkit.stream, llmkit.stream_sync):
        params = inspect.signature(fn).parameters
        # (a fallback chain is above the spec: each hop is one call with its own spec)
        above = {"http_client", "fallbacks", "fallback_on"}
        named = {n for n, p in params.items() if p.kind is not p.VAR_KEYWORD} - above
        assert named <= set(names) and "options" in names, (fn.__name__, named - set(names))
        for name in named & fields.keys():  # same defaults: the spec never changes a call
            assert fields[name] == params[name].default, (fn.__name__, name)


def test_prepare_takes_one_frozen_spec() -> None:
    reg = with_endpoint(DEFAULT, "ollama", base_url="http://localhost:11434/v1/")
    spec = api.CallSpec(
        model="ollama:llama3.2", messages="hi", registry=reg, options={"max_tokens": 5}
    )
    with pytest.raises(AttributeError):
        spec.model = "other"  # type: ignore[misc]
    call, req, target = api._prepare(spec)
    assert (call.name, call.base_url) == ("ollama", "http://localhost:11434/v1")
    assert (req.model, req.endpoint, req.dialect) == ("llama3.2", "ollama", "compatible")
    assert req.options.max_tokens == 5 and not req.stream and target is None
    _, req, _ = api._prepare(
        api.CallSpec(model="openai-chat:gpt-4o", messages="hi", api_key="k", stream=True)
    )
    assert (req.endpoint, req.dialect, req.stream) == ("openai-chat", "openai", True)
