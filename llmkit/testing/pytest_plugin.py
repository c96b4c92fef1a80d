"""pytest plugin: the `llmkit_replay` fixture and the `--llmkit-record` switch.

    def test_answer(llmkit_replay):
        llmkit_replay("fixtures/my_case")
        assert llmkit.chat_sync("claude-sonnet-4-20250514", "Hi").text

Offline by default: llmkit's default clients replay the folder (relative to
the pytest rootdir), and providers without a key get a placeholder one so no
real key is needed. `pytest --llmkit-record` instead sends the requests to the
real vendors with your keys and re-records the folder (emptied once per run,
so tests sharing a folder add to it).

A request no recording answers fails the test, even when the code under test
catches the `ReplayMismatch` (it is an `LlmkitError`): at teardown at the latest.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from llmkit import registry
from llmkit.testing import Match, ReplayMismatch, recording, replaying

PLACEHOLDER_KEY = "llmkit-replay-placeholder"
_HOW_TO_RECORD = "record it with `pytest --llmkit-record` (real API keys needed)"
# Folders emptied by --llmkit-record in this run.
_emptied = pytest.StashKey[set[Path]]()
# Whether a test's own call failed (then its teardown need not fail it again).
_call_failed = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_call_failed] = report.failed
    return report


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("llmkit").addoption(
        "--llmkit-record",
        action="store_true",
        help="re-record llmkit_replay folders against the real vendors (needs keys)",
    )


def _forget(folder: Path, config: pytest.Config) -> None:
    """Empty `folder` the first time this run records into it."""
    done = config.stash.setdefault(_emptied, set())
    if folder.resolve() in done:
        return
    done.add(folder.resolve())
    for old in folder.glob("[0-9][0-9][0-9][0-9].*"):
        old.unlink()


def _no_recordings(folder: Path) -> bool:
    return not any(folder.glob("[0-9][0-9][0-9][0-9].json"))


@pytest.fixture
def llmkit_replay(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Path]]:
    record = bool(request.config.getoption("--llmkit-record"))
    missed: list[ReplayMismatch] = []
    with contextlib.ExitStack() as stack:

        def use(folder: str | Path, *, match: Match = "body") -> Path:
            path = Path(folder)
            if not path.is_absolute():
                path = request.config.rootpath / path
            if record:
                _forget(path, request.config)
                stack.enter_context(recording(path))
                return path
            if not path.is_dir() or _no_recordings(path):
                pytest.fail(f"no recordings in {path} yet: {_HOW_TO_RECORD}", pytrace=False)
            for ep in registry.current().endpoints.values():
                if ep.key_env and not any(os.environ.get(v) for v in ep.key_env):
                    monkeypatch.setenv(ep.key_env[0], PLACEHOLDER_KEY)
            stack.enter_context(replaying(path, match=match, on_mismatch=missed.append))
            return path

        yield use
    if missed and not request.node.stash.get(_call_failed, False):
        more = f" (and {len(missed) - 1} more)" if len(missed) > 1 else ""
        pytest.fail(f"llmkit replay: {missed[0]}{more}\nIf the request is right, "
                    f"{_HOW_TO_RECORD}.", pytrace=False)  # fmt: skip
