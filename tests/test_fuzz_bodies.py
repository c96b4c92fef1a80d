"""The whole-body parsers get the fuzzing the folds get: real fixture bodies
(answers, errors, model pages) bent at the byte level, invalid UTF-8 inside
JSON strings above all, and bytes from nowhere. Every provider answers with a
result or a typed llmkit error, and an error body always maps to an ApiError
with its status (so a 503 stays retryable whatever its body holds)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from llmkit.errors import ApiError, LlmkitError
from llmkit.protocols import Provider
from llmkit.providers import anthropic, google, openai, xai
from tests.replay import FIXTURES

PROVIDERS: dict[str, Provider] = {
    "anthropic": anthropic, "openai": openai, "xai": xai, "google": google,
}  # fmt: skip
_HOME = {"xai": "openai"}  # xAI speaks OpenAI's wire format
BODIES = {
    v: [p.read_bytes() for p in sorted((FIXTURES / _HOME.get(v, v)).glob("*.json"))
        if not p.name.endswith((".headers.json", ".request.json"))]
    for v in PROVIDERS
}  # fmt: skip
BAD_UTF8 = [b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x28\x8c\x28", b"\x80"]


@st.composite
def bent_bodies(draw: st.DrawFn, vendor: str) -> bytes:
    """A real body with invalid UTF-8 put inside its strings, bytes dropped or
    changed, or its end cut off."""
    body = bytearray(draw(st.sampled_from(BODIES[vendor])))
    for _ in range(draw(st.integers(1, 3))):
        quotes = [i for i, b in enumerate(body) if b == ord('"')] or [0]
        at = draw(st.sampled_from(quotes)) + 1  # just inside a string (or just after one)
        match draw(st.sampled_from(["utf8", "utf8", "drop", "byte", "cut"])):
            case "utf8":
                body[at:at] = draw(st.sampled_from(BAD_UTF8))
            case "drop":
                del body[at : at + draw(st.integers(1, 8))]
            case "byte":
                body[min(at, len(body) - 1)] = draw(st.integers(0, 255))
            case _:
                del body[draw(st.integers(0, len(body))) :]
    return bytes(body)


def _any_body(vendor: str) -> st.SearchStrategy[bytes]:
    return bent_bodies(vendor) | st.binary(max_size=64)


@given(st.data())
def test_any_answer_body_is_a_response_or_a_typed_error(data: st.DataObject) -> None:
    vendor = data.draw(st.sampled_from(sorted(PROVIDERS)))
    with contextlib.suppress(LlmkitError):
        PROVIDERS[vendor].parse_response(data.draw(_any_body(vendor)))


@given(st.data())
def test_any_model_page_is_a_listing_or_a_typed_error(data: st.DataObject) -> None:
    vendor = data.draw(st.sampled_from(sorted(PROVIDERS)))
    with contextlib.suppress(LlmkitError):
        PROVIDERS[vendor].parse_list_models(data.draw(_any_body(vendor)))


@given(st.data(), st.integers(400, 599))
def test_any_error_body_is_an_api_error_with_its_status(data: st.DataObject, status: int) -> None:
    vendor = data.draw(st.sampled_from(sorted(PROVIDERS)))
    err = PROVIDERS[vendor].parse_error(status, {}, data.draw(_any_body(vendor)))
    assert isinstance(err, ApiError) and err.status == status
    assert err.retryable == (status in (408, 409, 429) or status >= 500)


def test_the_fixtures_are_there() -> None:
    assert all(BODIES[v] for v in PROVIDERS), Path(FIXTURES)
