"""No request body makes the server answer 500: invalid JSON, invalid UTF-8
(inside strings too), nesting 1,000+ levels deep, wrong field types, garbage
options and messages are 4xx in the server's JSON error shape. Hypothesis
drives the bulk through httpx.ASGITransport; a few go over a real socket."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("starlette")

import anyio
import httpx
from hypothesis import given
from hypothesis import strategies as st

from llmkit.server import create_app
from llmkit.server._body import MAX_DEPTH
from tests.server_helpers import config, running, sse_vendor
from tests.test_transport import OK_BODY, STREAM

PATHS = ("/api/chat", "/api/chat/stream")
OK = {"model": "toy-1", "messages": [{"role": "user", "content": "Hello"}]}


@pytest.fixture(autouse=True)
def _toy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_API_KEY", "toy-key-for-tests")
    monkeypatch.delenv("LLMKIT_SERVER_TOKEN", raising=False)


def _nested(depth: int, inner: Any = "x", kind: str = "[") -> str:
    head, tail = ("[" * depth, "]" * depth) if kind == "[" else ('{"a":' * depth, "}" * depth)
    return head + json.dumps(inner) + tail


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = ("model", "messages", "tools", "tool_choice", "max_tokens", "temperature", "stop",
          "reasoning", "response_format", "extra", "api_key", "nonsense")  # fmt: skip


@st.composite
def bad_bodies(draw: st.DrawFn) -> bytes:
    """Bodies a careless or hostile client might send."""
    kind = draw(st.sampled_from(["fields", "deep", "utf8", "cut", "bytes", "types"]))
    if kind == "fields":  # the right keys, arbitrary values
        body = {k: draw(json_values) for k in draw(st.lists(st.sampled_from(FIELDS), max_size=6))}
        return json.dumps({**OK, **body}).encode()
    if kind == "deep":
        depth = draw(st.sampled_from([MAX_DEPTH, MAX_DEPTH + 1, 1_000, 5_000, 100_000]))
        where = draw(st.sampled_from(["model", "messages", "tools", "extra", "top"]))
        deep = _nested(depth, kind=draw(st.sampled_from(["[", "{"])))
        return (deep if where == "top" else json.dumps(OK)[:-1] + f', "{where}": {deep}}}').encode()
    if kind == "utf8":  # invalid UTF-8 inside a string, a key, or outside
        raw = json.dumps(OK).encode()
        at = draw(st.integers(0, len(raw)))
        bad = draw(
            st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"])
        )
        return raw[:at] + bad + raw[at:]
    if kind == "cut":
        raw = json.dumps(OK).encode()
        return raw[: draw(st.integers(0, len(raw) - 1))]
    if kind == "types":  # a JSON value that is not an object
        return json.dumps(draw(json_values.filter(lambda v: not isinstance(v, dict)))).encode()
    return draw(st.binary(max_size=200))


async def _post_all(bodies: list[bytes]) -> list[httpx.Response]:
    app = create_app(config(sse_vendor(STREAM)))
    out = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as c:
        for body in bodies:
            for path in PATHS:
                headers = {"content-type": "application/json"}
                out.append(await c.post(path, content=body, headers=headers))
    return out


def _assert_no_500(r: httpx.Response) -> None:
    assert r.status_code < 500 or r.status_code == 502, (r.status_code, r.text[:300])
    if r.status_code >= 400:
        error = r.json()["error"]
        assert error["type"] != "internal_error" and error["message"]


@given(st.lists(bad_bodies(), min_size=1, max_size=5))
def test_no_body_gets_a_500(bodies: list[bytes]) -> None:
    for r in anyio.run(_post_all, bodies):
        _assert_no_500(r)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'{"messages": ' + _nested(1_000).encode() + b"}", "too_deep"),
        (_nested(100_000, kind="{").encode(), "too_deep"),
        (
            json.dumps(OK)[:-1].encode() + b', "extra": ' + _nested(MAX_DEPTH).encode() + b"}",
            "too_deep",
        ),
        (b'{"model": "toy-1", "messages": "caf\xc3"}', "invalid_json"),
        (b'{"model": "toy-\xff", "messages": "hi"}', "invalid_json"),
        (b'{"mod\xed\xa0\x80el": "toy-1"}', "invalid_json"),
        (b"[1, 2]", "invalid_body"),
        (b'{"model": 1, "messages": "hi"}', "invalid_body"),
    ],
)
def test_the_issue_cases_are_400s(body: bytes, kind: str) -> None:
    for r in anyio.run(_post_all, [body]):
        assert r.status_code == 400 and r.json()["error"]["type"] == kind, r.text[:200]


def test_a_body_just_under_the_cap_is_served() -> None:
    body = json.dumps({**OK, "extra": json.loads(_nested(MAX_DEPTH - 2))}).encode()
    chat, _ = anyio.run(_post_all, [body])
    assert chat.status_code != 400 or chat.json()["error"]["type"] != "too_deep"


def test_bad_bodies_over_a_real_socket() -> None:
    vendor = sse_vendor(OK_BODY)
    bodies = [_nested(5_000).encode(), b'{"model": "\xff"}', b"{", b'{"model": [' * 3]
    with running(config(vendor)) as url:
        for body in bodies:
            for path in PATHS:
                r = httpx.post(url + path, content=body, timeout=10,
                               headers={"content-type": "application/json"})  # fmt: skip
                assert r.status_code == 400, (body[:40], r.text[:200])
    assert vendor.seen == []
