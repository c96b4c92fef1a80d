"""The Bedrock route's pure parts: model ids, URLs, bodies, errors, and SigV4
signatures identical to botocore's (its client, and its `add_auth`) for the
same request and a frozen clock."""

from __future__ import annotations

import datetime
import json
import logging
import subprocess
import sys
from typing import Any
from unittest import mock

import botocore.auth
import botocore.session
import msgspec
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given
from hypothesis import strategies as st

from llmkit.errors import (
    ApiError,
    AuthenticationError,
    ContextTooLong,
    InvalidRequest,
    LlmkitError,
    NotFound,
    Overloaded,
    PermissionDenied,
    RateLimited,
    ServerError,
)
from llmkit.messages import user
from llmkit.protocols import HttpRequest
from llmkit.providers import anthropic
from llmkit.routes import _aws, bedrock
from llmkit.types import ChatRequest

ACCESS = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE-session-token//+=="
NOW = datetime.datetime(2026, 11, 25, 21, 30, 5)
BASE = bedrock.host("us-east-1")

# ---- model ids and URLs --------------------------------------------------------


@pytest.mark.parametrize(
    ("bedrock_id", "name"),
    [
        ("anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5-20251001"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5-20250929"),
        ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet-20250219"),
        ("apac.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-20250514"),
        ("global.anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),
        ("global.anthropic.claude-sonnet-5-5", "claude-sonnet-5-5"),
        ("anthropic.claude-opus-4-7", "claude-opus-4-7"),
        ("anthropic.claude-3-haiku-20240307-v1:0:200k", "claude-3-haiku-20240307"),
        (
            "arn:aws:bedrock:us-east-1:123:inference-profile/x",
            "arn:aws:bedrock:us-east-1:123:inference-profile/x",
        ),
    ],
)
def test_bedrock_ids_map_to_the_anthropic_names_the_catalog_knows(
    bedrock_id: str, name: str
) -> None:
    assert bedrock.anthropic_model(bedrock_id) == name


@pytest.mark.parametrize(
    ("model", "stream", "url"),
    [
        (
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            False,
            f"{BASE}/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke",
        ),
        (
            "anthropic.claude-opus-4-7",
            True,
            f"{BASE}/model/anthropic.claude-opus-4-7/invoke-with-response-stream",
        ),
        (
            "arn:aws:bedrock:us-east-1:1:inference-profile/p",
            False,
            f"{BASE}/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fp/invoke",
        ),
    ],
)
def test_invoke_urls(model: str, stream: bool, url: str) -> None:
    assert bedrock.invoke_url(BASE, model, stream) == url


def _anthropic(model: str, stream: bool, **options: Any) -> HttpRequest:
    req = ChatRequest(
        model=bedrock.anthropic_model(model),
        messages=[user("Hi")],
        stream=stream,
    )
    return anthropic.build_request(req, "https://api.anthropic.com")


def test_the_body_is_the_messages_body_without_model_and_stream() -> None:
    model = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    hr = _anthropic(model, True)
    hr = msgspec.structs.replace(
        hr, headers={**hr.headers, "anthropic-beta": "context-1m-2025-08-07,foo"}
    )
    out = bedrock.to_bedrock(hr, model, BASE)
    body = json.loads(out.body or b"")
    first = json.loads(hr.body or b"")
    assert next(iter(body)) == "anthropic_version"
    assert body == {
        "anthropic_version": "bedrock-2023-05-31",
        **{k: v for k, v in first.items() if k not in ("model", "stream")},
        "anthropic_beta": ["context-1m-2025-08-07", "foo"],
    }
    assert body["max_tokens"] == 64000  # the catalog's figure for Haiku 4.5: the id was mapped
    assert out.method == "POST"
    assert out.url.endswith("/invoke-with-response-stream")
    assert out.headers == {
        "content-type": "application/json",
        "accept": "application/vnd.amazon.eventstream",
        "x-amzn-bedrock-accept": "application/json",
    }
    plain = bedrock.to_bedrock(_anthropic(model, False), model, BASE)
    assert plain.url.endswith("%3A0/invoke")
    assert plain.headers == {"content-type": "application/json", "accept": "application/json"}
    assert "anthropic_beta" not in json.loads(plain.body or b"")


def test_the_region_comes_from_the_aws_env_vars() -> None:
    assert bedrock.region_from_env({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "x"}) == (
        "eu-west-1"
    )
    assert bedrock.region_from_env({"AWS_DEFAULT_REGION": " us-west-2 "}) == "us-west-2"
    assert bedrock.region_from_env({}) is None


# ---- errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "cls", "retryable"),
    [
        (429, "ThrottlingException", RateLimited, True),
        (400, "ValidationException", InvalidRequest, False),
        (403, "AccessDeniedException", PermissionDenied, False),
        (403, "UnrecognizedClientException", AuthenticationError, False),
        (403, "ExpiredTokenException", AuthenticationError, False),
        (404, "ResourceNotFoundException", NotFound, False),
        (424, "ModelErrorException", ServerError, False),
        (408, "ModelTimeoutException", ServerError, True),
        (429, "ModelNotReadyException", Overloaded, True),
        (400, "ServiceQuotaExceededException", RateLimited, True),
        (500, "InternalServerException", ServerError, True),
        (503, "ServiceUnavailableException", Overloaded, True),
        (502, None, ServerError, True),
    ],
)
def test_errors_follow_x_amzn_errortype(
    status: int, kind: str | None, cls: type[ApiError], retryable: bool
) -> None:
    headers = {"X-Amzn-RequestId": "req-1", "content-type": "application/json"}
    if kind:
        headers["x-amzn-ErrorType"] = f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
    err = bedrock.parse_error(status, headers, b'{"message":"Something went wrong."}')
    assert type(err) is cls
    assert (err.status, err.error_type, err.message, err.request_id, err.retryable) == (
        status,
        kind,
        "Something went wrong.",
        "req-1",
        retryable,
    )


def test_a_prompt_too_long_is_context_too_long() -> None:
    err = bedrock.parse_error(
        400,
        {"x-amzn-ErrorType": "ValidationException"},
        b'{"message":"prompt is too long: 215000 tokens > 200000 maximum"}',
    )
    assert type(err) is ContextTooLong


def test_the_corpus_error_body_parses() -> None:
    from tests.replay import CORPUS

    path = CORPUS / "bedrock-anthropic" / "pai_count_tokens_error_400_unsupported_model.json"
    err = bedrock.parse_error(400, {}, path.read_bytes())
    assert type(err) is InvalidRequest
    assert err.message == "The provided model doesn't support counting tokens."


def test_an_html_error_page_keeps_its_text() -> None:
    err = bedrock.parse_error(502, {}, b"<html>Bad Gateway</html>")
    assert type(err) is ServerError and "Bad Gateway" in err.message


def test_an_api_key_goes_as_a_bearer_token() -> None:
    assert bedrock.auth_headers("ABSKabc") == {"authorization": "Bearer ABSKabc"}


# ---- SigV4 ------------------------------------------------------------------------


def _creds(token: str | None = TOKEN) -> Credentials:
    return Credentials(ACCESS, SECRET, token)


def _botocore_client_request(op: str, token: str | None, **kwargs: Any) -> Any:
    """What botocore's own bedrock-runtime client sends (captured, not sent)."""
    client = botocore.session.get_session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        aws_session_token=token,
    )
    seen: list[Any] = []

    def capture(request: Any, **_: Any) -> None:
        seen.append(request)
        raise _Captured

    client.meta.events.register("before-send.bedrock-runtime.*", capture)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=NOW):
        with pytest.raises(_Captured):
            getattr(client, op)(**kwargs)
    return seen[0]


class _Captured(Exception):
    pass


def _text(v: str | bytes) -> str:
    return v.decode() if isinstance(v, bytes) else v


@pytest.mark.parametrize("token", [TOKEN, None])
@pytest.mark.parametrize("stream", [False, True])
def test_signatures_match_botocores_client(token: str | None, stream: bool) -> None:
    model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    ours = bedrock.to_bedrock(_anthropic(model, stream), model, BASE)
    op = "invoke_model_with_response_stream" if stream else "invoke_model"
    sent = _botocore_client_request(
        op,
        token,
        modelId=model,
        body=ours.body,
        contentType="application/json",
        accept="application/json",
    )
    assert sent.url == ours.url
    assert sent.body == ours.body
    theirs = {k.lower(): _text(v) for k, v in sent.headers.items()}
    # Sign the headers botocore signed (its user agent and sdk ids are not signed).
    signed = theirs["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    plain = {
        k: v
        for k, v in theirs.items()
        if k in signed and k not in ("host", "x-amz-date", "x-amz-security-token")
    }
    got = _aws.sign(
        msgspec.structs.replace(ours, headers=plain),
        _creds(token),
        region="us-east-1",
        service="bedrock",
        now=NOW,
    )
    mine = {k.lower(): v for k, v in got.headers.items()}
    assert mine["authorization"] == theirs["authorization"]
    assert mine["x-amz-date"] == theirs["x-amz-date"] == "20261125T213005Z"
    assert mine.get("x-amz-security-token") == theirs.get("x-amz-security-token") == token


_header_values = (
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)


@given(
    model=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60),
    body=st.binary(max_size=300),
    extra=st.dictionaries(
        st.sampled_from(["x-amzn-bedrock-trace", "anthropic-beta", "x-custom"]), _header_values
    ),
    token=st.one_of(st.none(), _header_values),
    region=st.sampled_from(["us-east-1", "eu-central-1", "ap-northeast-1"]),
)
def test_signatures_equal_botocores_add_auth_for_any_request(
    model: str, body: bytes, extra: dict[str, str], token: str | None, region: str
) -> None:
    hr = HttpRequest(
        method="POST",
        url=bedrock.invoke_url(bedrock.host(region), model, False),
        headers={"content-type": "application/json", **extra},
        body=body,
    )
    got = _aws.sign(hr, _creds(token), region=region, service="bedrock", now=NOW)
    ref = AWSRequest(method="POST", url=hr.url, data=body, headers=dict(hr.headers))
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=NOW):
        botocore.auth.SigV4Auth(_creds(token), "bedrock", region).add_auth(ref)
    assert got.headers == dict(ref.headers.items())
    assert (got.method, got.url, got.body) == (hr.method, hr.url, hr.body)


def test_refreshable_credentials_are_read_at_signing() -> None:
    creds = mock.Mock()
    creds.get_frozen_credentials.return_value = _creds()
    hr = HttpRequest(method="POST", url=f"{BASE}/model/m/invoke", body=b"{}")
    _aws.sign(hr, creds, region="us-east-1", service="bedrock", now=NOW)
    creds.get_frozen_credentials.assert_called_once_with()


def test_signing_logs_no_secret_and_no_token(caplog: pytest.LogCaptureFixture) -> None:
    hr = HttpRequest(method="POST", url=f"{BASE}/model/m/invoke", body=b"{}")
    with caplog.at_level(logging.DEBUG):
        got = _aws.sign(hr, _creds(), region="us-east-1", service="bedrock", now=NOW)
    text = caplog.text + repr(got.method) + got.url
    assert SECRET not in text and TOKEN not in text
    assert SECRET not in repr(got)  # the token is a header; the secret never is
    assert SECRET not in repr(_creds())


def test_the_chain_reads_env_credentials_and_region(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    _aws._session.cache_clear()
    try:
        frozen = _aws.credentials().get_frozen_credentials()
        assert (frozen.access_key, frozen.secret_key, frozen.token) == (ACCESS, SECRET, TOKEN)
        assert _aws.has_credentials()
        assert _aws.region(env={"AWS_REGION": "eu-west-3"}, names=bedrock.REGION_ENV) == (
            "eu-west-3"
        )
    finally:
        _aws._session.cache_clear()


def test_no_credentials_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    session = mock.Mock()
    session.get_credentials.return_value = None
    monkeypatch.setattr(_aws, "session", lambda profile=None: session)
    with pytest.raises(LlmkitError, match="AWS_ACCESS_KEY_ID"):
        _aws.credentials()
    assert not _aws.has_credentials()


def test_a_missing_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "botocore" or m.startswith("botocore.")]:
        monkeypatch.setitem(sys.modules, name, None)  # type: ignore[arg-type]
    with pytest.raises(LlmkitError, match=r"pip install 'llmkit\[bedrock\]'"):
        _aws.botocore()


def test_import_llmkit_does_not_import_botocore() -> None:
    code = (
        "import sys, llmkit, llmkit.routes.bedrock, llmkit.routes._eventstream, llmkit.routes._aws;"
        "print(any(m.split('.')[0] == 'botocore' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
