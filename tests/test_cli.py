"""The `llmkit` command, run as a subprocess against recorded exchanges."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmkit.registry import DEFAULT, route_shape, wire
from tests.replay import FIXTURES

DEMO = FIXTURES / "demo"
KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "XAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")


def llmkit(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
           ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if k not in KEYS}
    return subprocess.run(
        [sys.executable, "-m", "llmkit.cli", *args],
        input=stdin, capture_output=True, text=True, timeout=60, env={**clean, **(env or {})},
    )  # fmt: skip


def test_demo_runs_offline_to_completion() -> None:
    r = llmkit("demo")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "offline: replaying recordings" in out
    for model in ("claude-sonnet-4-20250514", "gemini-2.5-flash", "grok-4-fast-non-reasoning"):
        assert f"── {model} ──" in out
    assert '[tool call] get_weather({"city":"Paris"})' in out
    assert "[tool result, run locally] 14°C, light rain" in out
    assert "take an umbrella." in out and "Musée d'Orsay" in out
    assert "\033[" not in out  # no colour codes when not on a terminal


def test_demo_live_without_keys_is_one_clear_line() -> None:
    r = llmkit("demo", "--live")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "llmkit: error: [anthropic] no API key for anthropic: set ANTHROPIC_API_KEY"
    ]


def test_chat_streams_text_tool_calls_and_usage() -> None:
    r = llmkit("chat", "claude-sonnet-4-20250514", "Weather in Paris?", "--replay", str(DEMO))
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "I'll check the current weather in Paris for you.\n"
        '[tool call] get_weather({"city":"Paris"})\n'
    )
    assert r.stderr.strip() == (
        "anthropic/claude-sonnet-4-20250514: 412 in, 66 out; finish: tool_calls [tool_use]"
        "; $0.002226"  # 412 x $3 + 66 x $15 per million
    )


def test_chat_json_lines_and_prompt_from_stdin() -> None:
    r = llmkit("chat", "gemini-2.5-flash", "-", "--json", "--system", "Be brief.",
               "--replay", str(DEMO), stdin="Weather?")  # fmt: skip
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert [e["type"] for e in events] == [
        "text_start", "text_delta", "usage", "text_delta", "usage", "text_end", "finish", "done",
    ]  # fmt: skip
    assert events[-1]["response"]["message"]["content"][0]["text"].endswith("umbrella.")


def test_unknown_model_lists_prefixes() -> None:
    r = llmkit("chat", "llama-3", "hi")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("llmkit: error: no provider for model 'llama-3'; known prefixes:")
    assert "claude-" in r.stderr


def test_vendor_error_is_one_line_with_status(tmp_path: Path) -> None:
    (tmp_path / "0001.json").write_text(json.dumps({
        "request": {"method": "POST", "host": "api.anthropic.com", "path": "/v1/messages",
                    "body": {"model": "claude-sonnet-4-20250514"}},
        "response": {"status": 429, "headers": {"content-type": "application/json",
                                                "retry-after": "0"},
                     "body_file": "0001.body.json"},
    }))  # fmt: skip
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down"},
            "request_id": "req_011"}  # fmt: skip
    (tmp_path / "0001.body.json").write_text(json.dumps(body))
    r = llmkit("chat", "claude-sonnet-4-20250514", "hi", "--replay", str(tmp_path))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == (
        "llmkit: error: [anthropic] Slow down (429, rate_limit_error, req_011)"
    )


def test_unmatched_replay_names_the_closest_recording() -> None:
    r = llmkit("chat", "gpt-4o", "hi", "--replay", str(DEMO))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "no recorded exchange for POST api.openai.com/v1/responses" in r.stderr


def test_models_table_and_json() -> None:
    r = llmkit("models", env={"ANTHROPIC_API_KEY": "k"})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:5] == ["model", "provider", "context", "max", "out"]
    sonnet = next(line for line in lines if line.startswith("claude-sonnet-4-20250514 "))
    assert "anthropic" in sonnet and " yes " in sonnet
    r = llmkit("models", "--json")
    models = json.loads(r.stdout)
    providers = {m["provider"] for m in models}
    # every wire's own catalog, the routes that serve a wire's catalog (Vertex)
    # and those that list ids of their own (Bedrock, Claude on Vertex)
    served = {wire(ep).NAME for ep in DEFAULT.endpoints.values()}
    routed = {n for n, ep in DEFAULT.endpoints.items() if getattr(route_shape(ep), "CATALOG", 0)}
    assert routed == {"bedrock", "vertex-anthropic"}
    assert providers == served | routed | {n for n, ep in DEFAULT.endpoints.items() if ep.catalog}
    assert not any(m.get("available") for m in models)


@pytest.mark.parametrize("args", [[], ["chat"], ["frobnicate"]])
def test_usage_errors(args: list[str]) -> None:
    r = llmkit(*args)
    assert r.returncode == 2 and "usage: llmkit" in r.stderr


@pytest.mark.parametrize("flag", ["--json", None])
def test_a_closed_pipe_ends_quietly(flag: str | None) -> None:
    """`llmkit chat ... --json | head -1`: the reader goes away mid-stream."""
    clean = {k: v for k, v in os.environ.items() if k not in KEYS}
    args = ["chat", "claude-sonnet-4-20250514", "hi", "--replay", str(DEMO)]
    args += [flag] if flag else []
    p = subprocess.Popen([sys.executable, "-m", "llmkit.cli", *args], env=clean,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert p.stdout is not None and p.stderr is not None
    p.stdout.read(1)
    p.stdout.close()  # like `head -c 1` exiting
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) in (0, 141)
    assert (
        "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err
    )
