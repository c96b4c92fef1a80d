"""llmkit.server for the benchmark: every built-in endpoint pointed at the
fake vendor, keyless, no token, quiet.

    python benchmarks/serve_llmkit.py PORT FAKE_VENDOR_URL
"""

from __future__ import annotations

import sys
from types import MappingProxyType

import msgspec

from llmkit import registry
from llmkit.server import ServerConfig, serve


def main() -> None:
    port, upstream = int(sys.argv[1]), sys.argv[2]
    reg = registry.DEFAULT
    fake = registry.Registry(
        endpoints=MappingProxyType({
            name: msgspec.structs.replace(ep, base_url=upstream, key_required=False)
            for name, ep in reg.endpoints.items()
        }),
        prefixes=reg.prefixes,
    )  # fmt: skip
    serve("127.0.0.1", port, ServerConfig(registry=fake, token=None), log_level="warning")


if __name__ == "__main__":
    main()
