import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

# Deterministic on a noisy 2-core machine: no deadlines, bounded examples.
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=60,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
# Local runs explore (a new seed each run); CI sets HYPOTHESIS_PROFILE=ci.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def corpus() -> Path:
    """The shared recorded corpus; every test that reads it asks for this, so
    without it they all skip for this one reason."""
    from tests.replay import CORPUS

    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"no recorded corpus at {CORPUS} (../shared/corpus beside the checkout)")
    return CORPUS


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("-m") and "live" in config.getoption("-m"):
        return
    skip = pytest.mark.skip(reason="live vendor call: run with `pytest -m live` and API keys")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
