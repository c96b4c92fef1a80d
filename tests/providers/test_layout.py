"""Every provider package is laid out the same way, with the same names for
the same jobs, so the next wire format has one shape to copy."""

from __future__ import annotations

import re

import pytest

from tests.replay import ROOT

PROVIDERS = ROOT / "llmkit" / "providers"
PACKAGES = sorted(  # wire-format packages; `_schema` is shared by them all
    p.parent.name for p in PROVIDERS.glob("*/__init__.py") if not p.parent.name.startswith("_")
)
FILES = ["_wire", "_history", "_request", "_response", "_stream", "_errors", "_models"]
# Other spellings of one job; the shared ones are `_map_finish`, `_map_usage`,
# `_to_wire_messages`/`_from_wire_messages`, `_to_wire_tool`, `_to_wire_tool_choice`.
OTHER_SPELLINGS = re.compile(
    r"^def (map_stop_reason|to_usage|map_finish|map_usage|_map_tool|_map_tool_choice"
    r"|_tool|_tool_choice|to_wire|from_wire_messages)\(",
    re.M,
)


def test_the_provider_packages_are_the_known_ones() -> None:
    assert PACKAGES == ["anthropic", "google", "openai", "responses"]


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_has_the_same_files(package: str) -> None:
    for name in FILES:
        assert (PROVIDERS / package / f"{name}.py").exists(), f"{package}/{name}.py"


@pytest.mark.parametrize("package", PACKAGES)
def test_the_same_job_has_the_same_name(package: str) -> None:
    for path in (PROVIDERS / package).glob("*.py"):
        assert not OTHER_SPELLINGS.findall(path.read_text()), path
    history = (PROVIDERS / package / "_history.py").read_text()
    assert "def _to_wire_messages(" in history


def test_handoff_sits_beside_the_providers() -> None:
    assert (PROVIDERS / "handoff.py").exists()
    assert "carry" in (ROOT / "llmkit" / "handoff.py").read_text()  # the old path, re-exported


def test_comments_cite_vendor_docs_not_files_outside_the_repository() -> None:
    cites = ("PROTOCOLS" + ".md", "PROTOCOLS" + " ")  # not this file itself
    outside = "../" + "shared"  # the tests read the corpus there: a place, not a citation
    for top in ("llmkit", "tests", "benchmarks"):
        words = cites if top == "tests" else (*cites, outside)
        for path in (ROOT / top).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            text = path.read_text()
            assert not [w for w in words if w in text], rel
