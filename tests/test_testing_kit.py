"""llmkit.testing: record through a loopback fake vendor, replay offline,
no credential on disk, clear errors for unmatched requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

import llmkit
from llmkit import registry as r
from llmkit import testing
from llmkit.types import Done
from tests import toy_wire as toy
from tests.test_transport import OK_BODY, STREAM

# Shaped like real keys so the scrubber's shape rules are exercised too.
FAKE_KEY = "sk-ant-api03-" + "Q" * 40
FAKE_GOOGLE_KEY = "AIza" + "x" * 35


@pytest.fixture
def vendor() -> Iterator[str]:
    """A fake vendor on loopback: SSE for streaming requests, JSON otherwise,
    echoing nothing secret but a body that mentions the key (some do)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            out = STREAM if body.get("stream") else OK_BODY
            kind = "text/event-stream" if body.get("stream") else "application/json"
            leaky = body.get("model") == "leaky"
            if leaky:
                out = b'{"error":{"type":"auth","message":"bad key ' + FAKE_KEY.encode() + b'"}}'
                kind = "application/json"
            self.send_response(401 if leaky else 200)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(out)))
            self.send_header("request-id", "req_loop")
            self.send_header("set-cookie", "session=abc")
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def reg(base: str) -> r.Registry:
    ep = r.Endpoint(name="toy", wire="tests.toy_wire", base_url=base, key_env=("TOY_API_KEY",))
    return r.Registry(endpoints={"toy": ep}, prefixes={"toy-": "toy"})


def record(folder: Path, base: str) -> tuple[llmkit.Response, list[llmkit.StreamEvent]]:
    with httpx.Client(transport=testing.recording_transport(folder)) as client:
        kw = {"registry": reg(base), "api_key": FAKE_KEY, "http_client": client}
        resp = llmkit.chat_sync("toy-1", "hi", **kw)  # type: ignore[arg-type]
        events = list(llmkit.stream_sync("toy-1", "hi", **kw))  # type: ignore[arg-type]
    return resp, events


def test_record_then_replay_gives_the_same_answers(tmp_path: Path, vendor: str) -> None:
    live_resp, live_events = record(tmp_path, vendor)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["0001.body.json", "0001.json", "0002.json", "0002.sse"]
    assert (tmp_path / "0001.body.json").read_bytes() == OK_BODY
    assert (tmp_path / "0002.sse").read_bytes() == STREAM
    meta = json.loads((tmp_path / "0002.json").read_text())
    assert meta["request"]["path"] == "/toy" and meta["request"]["body"]["stream"] is True
    assert meta["response"] == {
        "status": 200,
        "headers": {"content-type": "text/event-stream", "request-id": "req_loop"},
        "body_file": "0002.sse",
    }

    with httpx.Client(transport=testing.replay_transport(tmp_path)) as client:
        kw = {"registry": reg(vendor), "api_key": "other", "http_client": client}
        assert llmkit.chat_sync("toy-1", "hi", **kw) == live_resp  # type: ignore[arg-type]
        assert list(llmkit.stream_sync("toy-1", "hi", **kw)) == live_events  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_replay_serves_async_clients(tmp_path: Path, vendor: str) -> None:
    _, live_events = record(tmp_path, vendor)
    async with httpx.AsyncClient(transport=testing.replay_transport(tmp_path)) as client:
        events = [
            ev
            async for ev in llmkit.stream(
                "toy-1", "hi", registry=reg(vendor), api_key="k", http_client=client
            )
        ]
    assert events == live_events


def test_recordings_hold_no_credentials(tmp_path: Path, vendor: str) -> None:
    record(tmp_path, vendor)
    url = f"{vendor}/toy?key={FAKE_GOOGLE_KEY}&alt=sse"
    with httpx.Client(transport=testing.recording_transport(tmp_path)) as client:
        client.post(url, headers={"x-goog-api-key": FAKE_GOOGLE_KEY}, json={"model": "toy-1"})
        with pytest.raises(llmkit.AuthenticationError):
            llmkit.chat_sync(
                "toy-1", "hi", registry=reg(vendor), api_key=FAKE_KEY, http_client=client,
                extra={"model": "leaky"},
            )  # fmt: skip
    blob = b"".join(p.read_bytes() for p in sorted(tmp_path.iterdir()))
    for secret in (FAKE_KEY, FAKE_GOOGLE_KEY, "session=abc"):
        assert secret.encode() not in blob
    for header in (b"authorization", b"x-api-key", b"x-goog-api-key", b"set-cookie"):
        assert header not in blob.lower()
    meta = json.loads((tmp_path / "0003.json").read_text())
    assert meta["request"]["query"] == "alt=sse"
    assert b"bad key ***" in (tmp_path / "0004.body.json").read_bytes()


def test_unmatched_request_names_the_closest_recording(tmp_path: Path, vendor: str) -> None:
    record(tmp_path, vendor)
    with httpx.Client(transport=testing.replay_transport(tmp_path)) as client:
        with pytest.raises(testing.ReplayMismatch) as e:
            llmkit.chat_sync("toy-1", "something else", registry=reg(vendor), api_key="k",
                             http_client=client)  # fmt: skip
    msg = str(e.value)
    assert "closest recording: 0001" in msg and "something else" in msg and '"hi"' in msg


def test_path_matching_ignores_the_body_but_not_the_model(tmp_path: Path, vendor: str) -> None:
    record(tmp_path, vendor)
    t = testing.replay_transport(tmp_path, match="path")
    with httpx.Client(transport=t) as client:
        kw = {"registry": reg(vendor), "api_key": "k", "http_client": client}
        assert llmkit.chat_sync("toy-1", "a different prompt", **kw).text == "hello"  # type: ignore[arg-type]
        with pytest.raises(testing.ReplayMismatch):
            llmkit.chat_sync("toy-2", "hi", **kw)  # type: ignore[arg-type]


def test_replaying_covers_calls_without_a_client(tmp_path: Path, vendor: str) -> None:
    record(tmp_path, vendor)
    with testing.replaying(tmp_path):
        events = list(llmkit.stream_sync("toy-1", "hi", registry=reg(vendor), api_key="k"))
    assert isinstance(events[-1], Done)
    from llmkit import _clients

    assert _clients._override.get() is None


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(testing.ReplayMismatch, match="no recording folder"):
        testing.replay_transport(tmp_path / "nope")


def test_pytest_fixture(pytester: pytest.Pytester, tmp_path: Path, vendor: str) -> None:
    record(tmp_path, vendor)
    pytester.makepyfile(
        f"""
        import llmkit
        from tests.test_testing_kit import reg

        def test_offline(llmkit_replay, monkeypatch):
            monkeypatch.delenv("TOY_API_KEY", raising=False)
            llmkit_replay({str(tmp_path)!r})
            r = llmkit.chat_sync("toy-1", "hi", registry=reg({vendor!r}), api_key="k")
            assert r.text == "hello"
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)
    assert toy.NAME == "toy"


def test_pytest_record_switch(pytester: pytest.Pytester, tmp_path: Path, vendor: str) -> None:
    folder = tmp_path / "case"
    pytester.makepyfile(
        f"""
        import llmkit
        from tests.test_testing_kit import reg

        def test_recorded(llmkit_replay):
            llmkit_replay({str(folder)!r})
            r = llmkit.chat_sync("toy-1", "hi", registry=reg({vendor!r}), api_key="k")
            assert r.text == "hello"
        """
    )
    pytester.runpytest_inprocess("--llmkit-record").assert_outcomes(passed=1)
    assert sorted(p.name for p in folder.iterdir()) == ["0001.body.json", "0001.json"]
    pytester.runpytest_inprocess().assert_outcomes(passed=1)  # and now offline


# ---- streamed or not: path matching (llmkit serve/chat --replay) ------------------

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
DEMO_MODELS = ["claude-sonnet-4-20250514", "gemini-2.5-flash", "grok-4-fast-non-reasoning"]


@pytest.mark.parametrize("model", DEMO_MODELS)
def test_a_plain_request_is_answered_from_a_streamed_recording(model: str) -> None:
    """The demo holds streamed recordings only (Anthropic, Gemini's
    :streamGenerateContent path, xAI); a non-streamed call gets the Response
    the stream folds to."""
    with httpx.Client(transport=testing.replay_transport(DEMO, match="path")) as client:
        plain = llmkit.chat_sync(model, "hi", api_key="k", http_client=client)
        *_, done = llmkit.stream_sync(model, "hi", api_key="k", http_client=client)
    assert isinstance(done, Done) and plain == done.response and plain.text


def test_each_kind_of_request_gets_its_own_kind_of_recording(tmp_path: Path, vendor: str) -> None:
    live_resp, live_events = record(tmp_path, vendor)  # 0001 plain, 0002 streamed
    with httpx.Client(transport=testing.replay_transport(tmp_path, match="path")) as client:
        kw = {"registry": reg(vendor), "api_key": "k", "http_client": client}
        assert list(llmkit.stream_sync("toy-1", "hi", **kw)) == live_events  # type: ignore[arg-type]
        assert llmkit.chat_sync("toy-1", "hi", **kw) == live_resp  # type: ignore[arg-type]


def test_a_streamed_request_with_only_a_plain_recording_says_so(
    tmp_path: Path, vendor: str
) -> None:
    record(tmp_path, vendor)
    for f in tmp_path.glob("0002.*"):
        f.unlink()
    with httpx.Client(transport=testing.replay_transport(tmp_path, match="path")) as client:
        with pytest.raises(testing.ReplayMismatch) as e:
            list(llmkit.stream_sync("toy-1", "hi", registry=reg(vendor), api_key="k",
                                    http_client=client))  # fmt: skip
    assert "streams, but only a non-streamed recording (0001.body.json)" in str(e.value)


# ---- the pytest fixture: shared folders, swallowed mismatches, no recordings yet ---


def test_record_keeps_what_earlier_tests_put_in_a_shared_folder(
    pytester: pytest.Pytester, tmp_path: Path, vendor: str
) -> None:
    folder = tmp_path / "shared"
    pytester.makepyfile(
        f"""
        import llmkit
        from tests.test_testing_kit import reg

        def test_first(llmkit_replay):
            llmkit_replay({str(folder)!r})
            assert llmkit.chat_sync("toy-1", "one", registry=reg({vendor!r}), api_key="k").text

        def test_second(llmkit_replay):
            llmkit_replay({str(folder)!r})
            assert llmkit.chat_sync("toy-1", "two", registry=reg({vendor!r}), api_key="k").text
        """
    )
    (folder / "0009.json").parent.mkdir()
    (folder / "0009.json").write_text("stale")  # an old recording goes, once
    pytester.runpytest_inprocess("--llmkit-record").assert_outcomes(passed=2)
    assert sorted(p.name for p in folder.glob("*.json")) == [
        "0001.body.json", "0001.json", "0002.body.json", "0002.json",
    ]  # fmt: skip
    pytester.runpytest_inprocess().assert_outcomes(passed=2)  # and both replay offline


def test_a_swallowed_mismatch_still_fails_the_test(
    pytester: pytest.Pytester, tmp_path: Path, vendor: str
) -> None:
    record(tmp_path, vendor)
    pytester.makepyfile(
        f"""
        import llmkit
        from tests.test_testing_kit import reg

        def test_app_catches_llmkit_errors(llmkit_replay):
            llmkit_replay({str(tmp_path)!r})
            try:
                llmkit.chat_sync("toy-1", "not what was recorded", registry=reg({vendor!r}),
                                 api_key="k")
            except llmkit.LlmkitError:
                pass  # what an app does: show a friendly message and carry on
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1, errors=1)  # the call passed; teardown fails it
    out = result.stdout.str()
    assert "POST 127.0.0.1/toy (model 'toy-1')" in out
    assert "closest recording: 0001" in out and "not what was recorded" in out
    assert "pytest --llmkit-record" in out


def test_an_uncaught_mismatch_fails_the_test_once(
    pytester: pytest.Pytester, tmp_path: Path, vendor: str
) -> None:
    record(tmp_path, vendor)
    pytester.makepyfile(
        f"""
        import llmkit
        from tests.test_testing_kit import reg

        def test_uncaught(llmkit_replay):
            llmkit_replay({str(tmp_path)!r})
            llmkit.chat_sync("toy-2", "hi", registry=reg({vendor!r}), api_key="k")
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(failed=1)


def test_no_recordings_yet_says_how_to_make_them(pytester: pytest.Pytester, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    pytester.makepyfile(
        f"""
        def test_missing(llmkit_replay):
            llmkit_replay({str(tmp_path / "nope")!r})

        def test_empty(llmkit_replay):
            llmkit_replay({str(tmp_path / "empty")!r})
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=2)
    # once per test in its failure (and again in the short summary, which pytest
    # prints untruncated when CI is set)
    assert result.stdout.str().count("yet: record it with `pytest --llmkit-record`") >= 2
    for name in ("nope", "empty"):
        assert f"{name} yet: record it with" in result.stdout.str()
