"""pytest plugin: the `llmkit_replay` fixture and the `--llmkit-record` switch.

    def test_answer(llmkit_replay):
        llmkit_replay("fixtures/my_case")
        assert llmkit.chat_sync("claude-sonnet-4-20250514", "Hi").text

Offline by default: llmkit's default clients replay the folder (relative to
the pytest rootdir), and providers without a key get a placeholder one so no
real key is needed. `pytest --llmkit-record` instead sends the requests to the
real vendors with your keys and re-records the folder.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from llmkit import registry
from llmkit.testing import Match, recording, replaying

PLACEHOLDER_KEY = "llmkit-replay-placeholder"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("llmkit").addoption(
        "--llmkit-record",
        action="store_true",
        help="re-record llmkit_replay folders against the real vendors (needs keys)",
    )


def _forget(folder: Path) -> None:
    for old in folder.glob("[0-9][0-9][0-9][0-9].*"):
        old.unlink()


@pytest.fixture
def llmkit_replay(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Path]]:
    record = bool(request.config.getoption("--llmkit-record"))
    with contextlib.ExitStack() as stack:

        def use(folder: str | Path, *, match: Match = "body") -> Path:
            path = Path(folder)
            if not path.is_absolute():
                path = request.config.rootpath / path
            if record:
                _forget(path)
                stack.enter_context(recording(path))
                return path
            for ep in registry.current().endpoints.values():
                if ep.key_env and not any(os.environ.get(v) for v in ep.key_env):
                    monkeypatch.setenv(ep.key_env[0], PLACEHOLDER_KEY)
            stack.enter_context(replaying(path, match=match))
            return path

        yield use
