"""The issue's two curl commands, as written, against `llmkit serve --replay`
on the demo recordings: a real Claude stream through the real provider, with
no keys and no network."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

pytest.importorskip("uvicorn")

from llmkit.server import ServerConfig, replay_config
from tests.replay import FIXTURES
from tests.server_helpers import running

CURL = shutil.which("curl")
BODY = '{"messages":[{"role":"user","content":"Hello"}],"model":"claude-sonnet-4-20250514"}'


def frames(raw: str) -> list[tuple[str, dict[str, object]]]:
    out = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            out.append((lines["event"], json.loads(lines["data"])))
    return out


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_the_two_curl_commands_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert CURL is not None
    with running(replay_config(FIXTURES / "demo", ServerConfig(token=None))) as url:
        streamed = subprocess.run(
            [CURL, "-sS", "-X", "POST", f"{url}/api/chat/stream",
             "-H", "Content-Type: application/json", "-d", BODY],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout  # fmt: skip
        models = subprocess.run(
            [CURL, "-sS", f"{url}/api/chat/models"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout  # fmt: skip
    events = frames(streamed)
    names = [name for name, _ in events]
    assert names[0] == "usage" and names[-2:] == ["finish", "done"]
    assert names.count("text_delta") == 3 and "tool_call_end" in names
    done = events[-1][1]
    assert done["text"] == "I'll check the current weather in Paris for you."
    assert done["response"]["provider"] == "anthropic"  # type: ignore[index]
    listed = {m["id"]: m for m in json.loads(models)["models"]}
    assert listed["claude-sonnet-4-20250514"]["provider"] == "anthropic"
