# llmkit tasks; every recipe goes through uv so the locked environment is used.

default:
    @just --list

# the test suite (what CI runs)
test *args:
    uv run pytest {{args}}

# ruff (lint + format check) and mypy --strict on llmkit/
lint:
    uv run ruff check
    uv run ruff format --check
    uv run mypy

# format the code
fmt:
    uv run ruff format
    uv run ruff check --fix

# llmkit against the floor and the official SDKs (the `bench` group; `--quick`, `--json`)
bench *args:
    uv run --group bench python benchmarks/bench.py {{args}}

# the attack harness: a misbehaving loopback vendor and hostile clients, bounded (~15 s)
reliability *args:
    uv run --extra server python benchmarks/reliability.py {{args}}

# the offline demo (recorded fixtures when no keys are set)
demo *args:
    uv run llmkit demo {{args}}

# the HTTP server on port 8100
serve *args:
    uv run --extra server llmkit serve {{args}}

# what CI runs, on this checkout
ci:
    bash .ci/run
