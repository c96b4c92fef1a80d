"""The `llmkit` command: chat, models, serve, demo.

Errors are one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from llmkit._render import Style, render, style_for, usage_line
from llmkit.errors import LlmkitError

if TYPE_CHECKING:
    import httpx

_encode = msgspec.json.Encoder().encode

__all__ = ["Style", "main", "parser", "render", "style_for", "usage_line"]


# ---- commands ------------------------------------------------------------------


@contextlib.contextmanager
def _client(replay: str | None) -> Iterator[httpx.Client | None]:
    if replay is None:
        yield None
        return
    import httpx

    from llmkit.testing import replay_transport

    with httpx.Client(transport=replay_transport(replay, match="path")) as client:
        yield client


def cmd_chat(args: argparse.Namespace) -> int:
    from llmkit import api

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    messages: list[dict[str, str]] = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": prompt})
    options: dict[str, Any] = {}
    if args.max_tokens is not None:
        options["max_tokens"] = args.max_tokens
    if args.temperature is not None:
        options["temperature"] = args.temperature
    if args.reasoning:
        options["reasoning"] = {"effort": args.reasoning}
    key = "replay" if args.replay else None
    with _client(args.replay) as client:
        events = api.stream_sync(
            args.model, messages, http_client=client, api_key=key, deadline=args.timeout, **options
        )
        if args.json:
            for ev in events:
                sys.stdout.write(_encode(ev).decode() + "\n")
                sys.stdout.flush()
            return 0
        resp = render(events, sys.stdout, style_for(sys.stdout))
    if resp is not None:
        sys.stderr.write(usage_line(resp) + "\n")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from llmkit import api

    with _client(args.replay) as client:
        models = api.list_models_sync(live=args.live, http_client=client, deadline=args.timeout)
    if args.json:
        sys.stdout.write(_encode(models).decode() + "\n")
        return 0
    rows = [
        (
            m.id,
            m.provider,
            f"{m.context_window:,}" if m.context_window else "-",
            f"{m.max_output:,}" if m.max_output else "-",
            "yes" if m.available else "no",
            ",".join(m.capabilities),
        )
        for m in models
    ]
    head = ("model", "provider", "context", "max out", "available", "capabilities")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
    for r in [head, *rows]:
        cells = [c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)]
        sys.stdout.write("  ".join([*cells, r[-1]]) + "\n")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from llmkit import server
        from llmkit.server import _config as server_config
    except ImportError as e:
        raise LlmkitError(
            f"the server needs the `server` extra (pip install 'llmkit[server]'): {e}"
        ) from e
    try:
        aliases = ",".join(args.alias) if args.alias else None
        if aliases is not None:
            server_config.parse_aliases(aliases)  # a typo fails before anything starts
    except ValueError as e:
        raise LlmkitError(str(e)) from e
    return server.main(
        host=args.host,
        port=args.port,
        replay=args.replay,
        workers=args.workers,
        aliases=aliases,
        allow_no_token=args.allow_no_token,
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from llmkit import demo

    return demo.run(live=args.live, out=sys.stdout)


_TIMEOUT_HELP = "give up a call after this many seconds, retries included (default: no limit)"


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds above 0: {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="llmkit", description="Talk to many LLM vendors.")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("chat", help="stream one answer to the terminal")
    c.add_argument("model", help="e.g. claude-sonnet-4-20250514, gpt-4o, gemini-2.5-flash")
    c.add_argument("prompt", help="the prompt, or - to read it from stdin")
    c.add_argument("--system", help="a system prompt")
    c.add_argument("--json", action="store_true", help="print stream events as JSON lines")
    c.add_argument("--max-tokens", type=int)
    c.add_argument("--temperature", type=float)
    c.add_argument("--reasoning", choices=["minimal", "low", "medium", "high", "xhigh", "max"])
    c.add_argument("--replay", metavar="DIR", help="answer from a recording instead")
    c.add_argument("--timeout", type=_seconds, metavar="SECONDS", help=_TIMEOUT_HELP)
    c.set_defaults(run=cmd_chat)

    m = sub.add_parser("models", help="the model catalog and which models are available")
    m.add_argument("--live", action="store_true", help="merge each vendor's live list")
    m.add_argument("--json", action="store_true")
    m.add_argument("--replay", metavar="DIR", help="serve live listings from a recording")
    m.add_argument("--timeout", type=_seconds, metavar="SECONDS", help=_TIMEOUT_HELP)
    m.set_defaults(run=cmd_models)

    s = sub.add_parser("serve", help="the HTTP server: /api/chat*, /v1/chat/completions, ...")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8100)
    s.add_argument("--replay", metavar="DIR", help="serve vendors from recordings in DIR")
    s.add_argument("--workers", type=int, default=1, help="processes to run (default 1)")
    s.add_argument(
        "--alias",
        action="append",
        metavar="NAME=MODEL",
        help="serve MODEL under a client's model name, e.g. gpt-4o=anthropic:claude-sonnet-4-5 "
        "(repeatable; also LLMKIT_SERVER_ALIASES)",
    )
    s.add_argument(
        "--allow-no-token",
        action="store_true",
        help="serve beyond loopback without LLMKIT_SERVER_TOKEN (also LLMKIT_ALLOW_NO_TOKEN=1)",
    )
    s.set_defaults(run=cmd_serve)

    d = sub.add_parser("demo", help="a tour: Claude, a local tool, then Gemini and Grok")
    d.add_argument("--live", action="store_true", help="use the real APIs (needs keys)")
    d.set_defaults(run=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except LlmkitError as e:
        sys.stdout.flush()
        sys.stderr.write(f"llmkit: error: {e}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `llmkit chat ... --json | head` closed our stdout
        _silence_stdout()
        return 141  # 128 + SIGPIPE, as a shell reports it
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so flushing it at exit does not raise again
    (the Python docs' recipe for SIGPIPE)."""
    import os

    with contextlib.suppress(OSError, ValueError):  # not a real file (a test's StringIO)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
