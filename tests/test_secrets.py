"""Keys of any shape never leave llmkit: whatever a vendor echoes back (in an
error body, a header, a mid-stream error event, an unreadable body, the text
before a break), the exact key sent is gone from every error, the recorder's
files and the CLI's stderr. Keys are hypothesis-drawn printable strings, so
nothing relies on a key looking like a known vendor's."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import pickle
import re
import traceback
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import msgspec
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from llmkit import api, auth, cli, testing
from llmkit import registry as reg
from llmkit import transport as tr
from llmkit.errors import MIN_SECRET_LENGTH, ApiError, LlmkitError, redact_text
from llmkit.protocols import Provider
from llmkit.registry import Secret
from llmkit.types import ChatRequest, Message, Text
from tests import vendor_bodies as vb

# every vendor's own endpoint: OpenAI and xAI on Responses, and on Chat Completions
# (cloud routes' credentials: the route tests and the credential tests below)
VENDORS = tuple(name for name, ep in reg.DEFAULT.endpoints.items() if not ep.route)


def _model(vendor: str) -> str:
    return vb.MODELS[vendor.removesuffix("-chat")]


FIXED = ("type", "role", "reason")
# What `registry._checked` lets through: printable ASCII without spaces.
# Drawn keys are 12+ characters so that one cannot be, by chance, a word of the
# legitimate text around it (a 4-character key "-cha" is inside "xai-chat");
# the short ones are covered by the explicit KEY_EXAMPLES ("the_", "****").
# Not an all-lowercase word: hypothesis draws constants from the code under test,
# and a "key" equal to a header or field name ("x-request-id") is in any recording.
keys = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=12, max_size=64
).filter(lambda k: not re.fullmatch(r"[a-z_-]+", k))
KEY_EXAMPLES = ("gsk_0123456789abcdefghij", "the_", "****", 'a"b\\c/d%20', "sk-ant-api03-x")


def _provider(vendor: str) -> Provider:
    return reg.wire(reg.DEFAULT.endpoints[vendor])


def _call(vendor: str, key: str) -> tr.Call:
    return tr.Call(
        provider=_provider(vendor), name=vendor, base_url=reg.DEFAULT.endpoints[vendor].base_url,
        key=Secret(key), retry=tr.RetryPolicy(max_retries=0),
    )  # fmt: skip


def _req(vendor: str, stream: bool) -> ChatRequest:
    hello = [Message(role="user", content=[Text(text="hi")])]
    return ChatRequest(model=_model(vendor), messages=hello, stream=stream)


def _j(x: Any) -> str:
    return json.dumps(x)


def _error_body(vendor: str, message: str) -> bytes:
    if vendor == "anthropic":
        return _j({"type": "error", "error": {"type": "authentication_error", "message": message},
                   "request_id": "req_1"}).encode()  # fmt: skip
    if vendor == "google":
        err = {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}
        return _j([{"error": err}]).encode()
    return _j({"error": {"message": message, "type": "invalid_request_error",
                         "param": None, "code": "invalid_api_key"}}).encode()  # fmt: skip


def _midstream(vendor: str, key: str) -> bytes:
    """The vendor's own stream, cut by its own error event, with the key both in
    the text streamed before (a model repeating it) and in the error."""
    said = f"your key is {key}"
    full = vb.reply(vendor, said, stream=True).decode()
    if vendor == "anthropic":
        head = full[: full.index("event: content_block_stop")]
        data = {"type": "error", "error": {"type": "api_error", "message": f"bad {key}"}}
        return (head + f"event: error\ndata: {_j(data)}\n\n").encode()
    if vendor == "google":
        data = {"error": {"code": 500, "message": f"bad {key}", "status": "INTERNAL"}}
        return (full + f"data: {_j(data)}\r\n\r\n").encode()
    if vendor in ("openai", "xai"):  # Responses: up to the last text delta, then `error`
        frames = full.split("\n\n")
        upto = max(i for i, f in enumerate(frames) if "response.output_text.delta" in f)
        data = {"type": "error", "code": "server_error", "message": f"bad {key}", "param": None}
        head = "\n\n".join(frames[: upto + 1]) + "\n\n"
        return (head + f"event: error\ndata: {_j(data)}\n\n").encode()
    head = "\n\n".join(full.split("\n\n")[:2]) + "\n\n"  # the role chunk, the text chunk
    data = {"error": {"message": f"bad {key}", "type": "server_error", "param": None}}
    return (head + f"data: {_j(data)}\n\n").encode()


def _answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    kind = "text/event-stream" if body.startswith((b"event:", b"data:")) else "application/json"
    return httpx.Response(status, headers={"content-type": kind, **(headers or {})}, content=body)


def _serve(status: int, body: bytes, headers: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(lambda r: _answer(status, body, headers)))


def _chain(e: BaseException | None) -> Iterator[BaseException]:
    seen = set()  # a stream error re-raised `from` itself is its own cause
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        yield e
        e = e.__cause__ or e.__context__


def _strings(x: Any, keys: bool = True) -> list[str]:
    """The text in `x`; without a partial Response's field names and closed
    vocabularies (its part tags, roles, finish reasons are llmkit's words)."""
    if isinstance(x, str):
        return [x]
    if isinstance(x, dict):
        found = [k for k in x if keys]
        return found + [
            s for k, v in x.items() if keys or k not in FIXED for s in _strings(v, keys)
        ]
    return [s for v in x for s in _strings(v, keys)] if isinstance(x, list) else []


def assert_keyless(err: BaseException, key: str) -> None:
    """The key, in none of its forms, anywhere a user could see it."""
    seen = []
    for e in _chain(err):
        # str and repr as a traceback shows them, less the class name ("AuthenticationError"
        # holds "then"): a key that is part of a word is redacted from text, not from names.
        shown = traceback.format_exception_only(type(e), e)[-1].partition(": ")[2]
        seen += [shown, repr(e).removeprefix(type(e).__name__), repr(e.args)]
        fields = [getattr(e, n, None) for n in ("body", "message", "event", "error_type",
                                                "request_id", "headers")]  # fmt: skip
        seen += _strings(msgspec.to_builtins(fields))
        seen += _strings(msgspec.to_builtins(getattr(e, "partial", None)), keys=False)
    text = "\n".join(seen)
    for form in (key, json.dumps(key)[1:-1], repr(key)[1:-1], urllib.parse.quote(key, safe="")):
        assert form not in text, f"key form {form!r} leaked"


@pytest.mark.parametrize("vendor", VENDORS)
@given(key=keys)
@example(key=KEY_EXAMPLES[0])
@example(key=KEY_EXAMPLES[3])
def test_http_errors_echoing_the_key(vendor: str, key: str) -> None:
    body = _error_body(vendor, f"Incorrect API key provided: {key}")
    echo = {"x-echo-key": key, "request-id": f"r-{key}"}
    with _serve(401, body, echo) as client, pytest.raises(LlmkitError) as e:
        tr.chat(_call(vendor, key), client, _req(vendor, False))
    assert_keyless(e.value, key)


@pytest.mark.parametrize("vendor", VENDORS)
@given(key=keys)
@example(key=KEY_EXAMPLES[0])
@example(key=KEY_EXAMPLES[2])
def test_midstream_error_events_and_partial_text(vendor: str, key: str) -> None:
    with _serve(200, _midstream(vendor, key)) as client, pytest.raises(LlmkitError) as e:
        list(tr.stream(_call(vendor, key), client, _req(vendor, True)))
    assert e.value.partial is not None and "your key is ***" in e.value.partial.text
    assert_keyless(e.value, key)


@pytest.mark.parametrize("vendor", VENDORS)
@given(key=keys)
@example(key=KEY_EXAMPLES[1])
def test_unreadable_bodies_and_events(vendor: str, key: str) -> None:
    """DecodeError (a chat body), StreamError (not SSE; an unreadable event)."""
    garbage = f'{{"oops": "{key}'.encode()
    with _serve(200, garbage) as client, pytest.raises(LlmkitError) as e:
        tr.chat(_call(vendor, key), client, _req(vendor, False))
    assert_keyless(e.value, key)
    with _serve(200, garbage) as client, pytest.raises(LlmkitError) as e:
        list(tr.stream(_call(vendor, key), client, _req(vendor, True)))
    assert_keyless(e.value, key)
    event = b"data: " + garbage + b"\n\n"
    if vendor == "anthropic":
        event = b"event: message_start\n" + event
    with _serve(200, event) as client, pytest.raises(LlmkitError) as e:
        list(tr.stream(_call(vendor, key), client, _req(vendor, True)))
    assert_keyless(e.value, key)


@pytest.mark.anyio
@pytest.mark.parametrize("vendor", VENDORS)
async def test_async_twins_redact_too(vendor: str) -> None:
    key = KEY_EXAMPLES[0]
    handler = httpx.MockTransport(lambda r: _answer(200, _midstream(vendor, key)))
    async with httpx.AsyncClient(transport=handler) as client:
        with pytest.raises(LlmkitError) as e:
            async for _ in tr.astream(_call(vendor, key), client, _req(vendor, True)):
                pass
    assert_keyless(e.value, key)


def test_a_key_cut_by_truncation_loses_its_head_too() -> None:
    key = "gsk_" + "q" * 40
    text = "x" * (1990 - len('{"error": {"message": "')) + key  # cut mid-key, body and message
    with _serve(401, _error_body("openai", text)) as client, pytest.raises(ApiError) as e:
        tr.chat(_call("openai", key), client, _req("openai", False))
    for cut in (e.value.body, e.value.message):
        assert cut.endswith("***…") and key[:MIN_SECRET_LENGTH] not in cut


@pytest.mark.parametrize("key", ["k", "ab", "xyz"])
def test_keys_under_the_minimum_are_placeholders_not_redacted(key: str) -> None:
    assert len(key) < MIN_SECRET_LENGTH
    assert redact_text("a kind xyz", key) == "a kind xyz"
    assert redact_text("the theme", "the_") == "the theme"
    assert redact_text("then the_ end", "the_") == "then *** end"


# ---- the recorder ------------------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
@given(key=keys)
@example(key=KEY_EXAMPLES[0])
def test_recordings_never_hold_the_key(tmp_path_factory: Any, vendor: str, key: str) -> None:
    folder: Path = tmp_path_factory.mktemp("rec")
    answers = iter([
        (401, _error_body(vendor, f"bad key {key}"), {"x-request-id": key}),
        (200, vb.reply(vendor, f"streamed {key}", stream=True), {}),
        (200, vb.reply(vendor, f"echo {key}"), {"request-id": f"id-{key}"}),
    ])  # fmt: skip

    vendor_answer = httpx.MockTransport(lambda r: _answer(*next(answers)))
    rec = testing.recording_transport(folder, inner=vendor_answer)
    call = _call(vendor, key)
    prompt = [Message(role="user", content=[Text(text=f"my key is {key}")])]
    with httpx.Client(transport=rec) as client:
        for stream in (False, True, False):
            req = ChatRequest(model=_model(vendor), messages=prompt, stream=stream)
            with contextlib.suppress(LlmkitError):
                list(tr.stream(call, client, req)) if stream else tr.chat(call, client, req)
    files = sorted(folder.iterdir())
    assert len(files) == 6
    for f in files:
        text = f.read_text()
        for form in {key, json.dumps(key)[1:-1]}:
            assert form not in text, f"{f.name} holds the key"


# ---- list_models, the CLI, pickling ----------------------------------------------


def test_live_model_listing_checks_keys_like_chat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "bad key\nwith a newline inside")
    only_openai = reg.Registry(
        endpoints={"openai": reg.DEFAULT.endpoints["openai"]}, prefixes={"gpt-": "openai"}
    )
    never = httpx.MockTransport(lambda r: pytest.fail("no request with an unusable key"))
    with httpx.Client(transport=never) as client, pytest.raises(reg.InvalidApiKey):
        api.list_models_sync(live=True, registry=only_openai, http_client=client)


@pytest.mark.parametrize("vendor", VENDORS)
def test_cli_stderr_never_shows_the_key(
    vendor: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "gsk_" + vendor + "0123456789"
    for ep in reg.DEFAULT.endpoints.values():
        for var in ep.key_env:
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(reg.DEFAULT.endpoints[vendor].key_env[0], key)
    mock = httpx.MockTransport(lambda r: _answer(200, _midstream(vendor, key), {"x-echo": key}))
    with tr.using_transport(mock):
        code = cli.main(["chat", f"{vendor}:{_model(vendor)}", "hi"])
    out, err = capsys.readouterr()
    assert code == 1 and err.startswith("llmkit: error:")
    # stdout is the model's own text, delivered as it streams (deltas are never
    # held back to be searched); the error line on stderr is llmkit's, and keyless.
    assert out.startswith("your key is") and key not in err


def test_secrets_refuse_pickling_and_copy_as_themselves() -> None:
    s = Secret("gsk_abcdefgh")
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(s)
    assert copy.copy(s) is s and copy.deepcopy(s) is s
    assert copy.deepcopy({"k": s})["k"] is s
    with pytest.raises(TypeError, match="Secret cannot be pickled"):
        pickle.dumps({"nested": [s]})


def test_server_config_refuses_pickling() -> None:
    pytest.importorskip("starlette")
    from llmkit.server import ServerConfig

    for cfg in (ServerConfig(token=Secret("tok-12345678")), ServerConfig(token=None)):
        with pytest.raises(TypeError, match="ServerConfig cannot be pickled"):
            pickle.dumps(cfg)
        assert copy.deepcopy(cfg) is cfg and copy.copy(cfg) == cfg


# ---- the server ----------------------------------------------------------------------


@given(key=keys)
@example(key=KEY_EXAMPLES[0])
@example(key=KEY_EXAMPLES[3])
def test_server_responses_never_hold_the_key(key: str) -> None:
    pytest.importorskip("starlette")
    import anyio

    from llmkit.server import create_app
    from tests import toy_wire as toy
    from tests.server_helpers import Vendor, config

    said = json.dumps({"error": {"type": "auth", "message": f"bad key {key}"}}).encode()
    vendor = Vendor(
        (401, {"x-echo": key}, [said]),
        (200, {}, [toy.sse(("error", {"type": "api_error", "message": f"bad {key}"}))]),
        (200, {"content-type": "application/json"}, [f'{{"oops": "{key}'.encode()]),
    )

    async def ask() -> list[str]:
        app = create_app(config(vendor))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
            body = {"model": "toy-1", "messages": "hi"}
            return [(await c.post(p, json=body)).text for p in ("/api/chat", "/api/chat/stream",
                                                                "/api/chat")]  # fmt: skip

    with mock.patch.dict(os.environ, {"TOY_API_KEY": key}):
        answers = anyio.run(ask)
    assert len(vendor.seen) == 3 and all('"error"' in a for a in answers)
    for text in answers:
        for form in {key, json.dumps(key)[1:-1]}:
            assert form not in text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("key sk-ant-api03-0123456789abcdef here", False),
        ("xai-0123456789abcdefABCD", False),
        ("AIza0123456789abcdefghij", False),
        ("task-0123456789abcdefghij", True),  # inside a word: not a key's shape
        ("sk-short", True),  # too short to be told from text
    ],
)
def test_one_key_shape_pattern_for_errors_and_recordings(text: str, kept: bool) -> None:
    from llmkit import testing
    from llmkit.errors import KEY_SHAPES

    assert testing.KEY_SHAPES is KEY_SHAPES  # one pattern, not two that disagree
    assert (KEY_SHAPES.sub("***", text) == text) is kept


# ---- refreshing credentials: bearer tokens, a signer's AWS secret key and session token


class _AwsCreds:
    """The shape of botocore's ReadOnlyCredentials."""

    def __init__(self, access_key: str, secret_key: str, token: str) -> None:
        self.access_key, self.secret_key, self.token = access_key, secret_key, token


def _fake_sigv4(hr: Any, creds: _AwsCreds) -> Any:
    """Stands for SigV4: puts the session token in a header, as it does."""
    headers = {**hr.headers, "authorization": f"AWS4-HMAC-SHA256 Credential={creds.access_key}/x",
               "x-amz-security-token": creds.token}  # fmt: skip
    return msgspec.structs.replace(hr, headers=headers)


def _credential_call(vendor: str, source: Any, signer: Any = None) -> tr.Call:
    return msgspec.structs.replace(
        _call(vendor, "unused-key-xxxxxxxx"), key=None, credential=auth.Credential(source),
        signer=signer,
    )  # fmt: skip


@pytest.mark.parametrize("vendor", ["anthropic", "google"])
@given(token=keys)
@example(token="ya29.a0AfH6SMBx-0123456789")
def test_bearer_tokens_echoed_anywhere_are_redacted(vendor: str, token: str) -> None:
    call = _credential_call(vendor, lambda: (token, None))
    body = _error_body(vendor, f"Invalid token: {token}")
    with _serve(401, body, {"x-echo-key": token}) as client, pytest.raises(LlmkitError) as e:
        tr.chat(call, client, _req(vendor, False))
    assert_keyless(e.value, token)
    with _serve(200, _midstream(vendor, token)) as client, pytest.raises(LlmkitError) as e:
        list(tr.stream(call, client, _req(vendor, True)))
    assert_keyless(e.value, token)


@given(secret=keys, session=keys)
@example(
    secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    session="IQoJb3JpZ2luX2VjEPr//////////wEaCXVzLWVhc3QtMSJH",
)
def test_aws_secret_keys_and_session_tokens_are_redacted(secret: str, session: str) -> None:
    creds = _AwsCreds("AKIDEXAMPLE", secret, session)
    call = _credential_call("anthropic", lambda: creds, _fake_sigv4)
    body = _error_body("anthropic", f"signature for {secret} with token {session}")
    with _serve(403, body, {"x-echo": session}) as client, pytest.raises(LlmkitError) as e:
        tr.chat(call, client, _req("anthropic", False))
    assert_keyless(e.value, secret)
    assert_keyless(e.value, session)


def test_recordings_never_hold_a_token_or_session_token(tmp_path: Path) -> None:
    creds = _AwsCreds(
        "AKIDEXAMPLE", "secret-key-0123456789abcdef", "session-token-0123456789abcdef"
    )
    vendor_answer = httpx.MockTransport(lambda r: _answer(200, vb.reply("anthropic", "hello")))
    rec = testing.recording_transport(tmp_path, inner=vendor_answer)
    with httpx.Client(transport=rec) as client:
        tr.chat(
            _credential_call("anthropic", lambda: creds, _fake_sigv4),
            client,
            _req("anthropic", False),
        )
        tr.chat(_credential_call("anthropic", lambda: ("tok-0123456789abcdef", None)), client,
                _req("anthropic", False))  # fmt: skip
    text = "".join(f.read_text() for f in tmp_path.iterdir())
    for secret in (
        "secret-key-0123456789abcdef",
        "session-token-0123456789abcdef",
        "tok-0123456789abcdef",
    ):
        assert secret not in text


def test_credentials_never_show_in_reprs_or_pickles() -> None:
    cred = auth.Credential(lambda: ("tok-0123456789abcdef", None))
    cred.get()
    assert "tok-" not in repr(cred) and "tok-" not in str(cred)
    with pytest.raises(TypeError):
        pickle.dumps(cred)
