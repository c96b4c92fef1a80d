"""The README works offline from the top: its keyless snippets run as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

from tests.replay import ROOT
from tests.test_cli import KEYS

README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    return subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def test_the_offline_snippet_runs_without_keys() -> None:
    (block,) = [b for b in BLOCKS if 'replaying("fixtures/demo"' in b]
    r = _run("-c", "import llmkit\n" + block)
    assert r.returncode == 0, r.stderr
    assert "get_weather" in r.stdout and "Done(response=" in r.stdout


def test_the_offline_cli_line_runs_without_keys() -> None:
    (line,) = [ln for ln in README.splitlines() if ln.startswith("uv run llmkit chat")
               and "--replay" in ln]  # fmt: skip
    argv = shlex.split(line.split("#")[0])[3:]  # after `uv run llmkit`
    r = _run("-m", "llmkit.cli", *argv)
    assert r.returncode == 0, r.stderr
    assert "[tool call] get_weather" in r.stdout
