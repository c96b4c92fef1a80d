"""`Provider` is generic in its fold state: a provider module whose `step`
takes another type than `start` makes is a mypy error, not a runtime surprise."""

from __future__ import annotations

from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def test_a_fold_whose_step_takes_another_state_is_no_provider() -> None:
    out, err, status = mypy_api.run(
        ["--strict", "--no-error-summary", "--show-error-codes", str(HERE / "provider_state.py")]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    bad_line = next(
        i
        for i, line in enumerate((HERE / "provider_state.py").read_text().splitlines(), 1)
        if line.startswith("bad:")
    )
    # Exactly one error, on the `bad` line; the toy wire (a consistent fold) passes.
    assert status == 1, (out, err)
    assert len(errors) == 1 and f"provider_state.py:{bad_line}:" in errors[0], out
    assert "[assignment]" in errors[0] and "def step(" in out, out
