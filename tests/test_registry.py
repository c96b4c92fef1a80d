"""The dispatch table: prefixes, explicit providers, keys from the environment."""

import pytest

from llmkit import registry as r
from llmkit.errors import MissingApiKey, UnknownModel


@pytest.mark.parametrize(
    ("model", "provider", "vendor_model"),
    [
        ("claude-sonnet-4-20250514", "anthropic", "claude-sonnet-4-20250514"),
        ("claude-opus-5-5", "anthropic", "claude-opus-5-5"),
        ("gpt-6-astra", "openai", "gpt-6-astra"),
        ("o3-mini", "openai", "o3-mini"),
        ("o4-mini", "openai", "o4-mini"),
        ("o1", "openai", "o1"),
        ("chatgpt-4o-latest", "openai", "chatgpt-4o-latest"),
        ("grok-4.7", "xai", "grok-4.7"),
        ("gemini-3.8-flash", "google", "gemini-3.8-flash"),
        ("models/gemini-2.5-pro", "google", "models/gemini-2.5-pro"),
        ("openai:my-finetune", "openai", "my-finetune"),
        ("anthropic:claude-x", "anthropic", "claude-x"),
        ("google:learnlm-2.0", "google", "learnlm-2.0"),
    ],
)
def test_routing(model: str, provider: str, vendor_model: str) -> None:
    route = r.resolve(model)
    assert (route.endpoint.name, route.model) == (provider, vendor_model)


def test_longest_prefix_wins() -> None:
    reg = r.Registry(
        endpoints=r.DEFAULT.endpoints,
        prefixes={"gpt-": "openai", "gpt-oss-": "google"},
    )
    assert r.resolve("gpt-oss-120b", reg).endpoint.name == "google"
    assert r.resolve("gpt-4o", reg).endpoint.name == "openai"


def test_unknown_model_lists_known_prefixes() -> None:
    with pytest.raises(UnknownModel) as e:
        r.resolve("llama-3")
    msg = str(e.value)
    assert "llama-3" in msg and "claude-" in msg and "gemini-" in msg and "provider:model" in msg


def test_unknown_provider_prefix_is_not_an_endpoint() -> None:
    # "mistral:" is no endpoint, so the whole string is looked up as a model id
    with pytest.raises(UnknownModel):
        r.resolve("mistral:large")


def test_with_endpoint_adds_a_compatible_server_without_touching_the_default() -> None:
    reg = r.with_endpoint(
        r.DEFAULT, "ollama", base_url="http://localhost:11434/v1/", prefixes=("llama",)
    )
    route = r.resolve("ollama:llama3.2", reg)
    assert route.model == "llama3.2"
    assert route.endpoint.wire == "llmkit.providers.openai"
    assert route.endpoint.base_url == "http://localhost:11434/v1"
    assert not route.endpoint.key_required
    assert r.resolve("llama3.2", reg).endpoint.name == "ollama"
    assert "ollama" not in r.DEFAULT.endpoints
    with pytest.raises(UnknownModel):
        r.resolve("ollama:llama3.2", r.DEFAULT)


def test_register_replaces_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(r, "_current", r.DEFAULT)
    r.register("groq", base_url="https://api.groq.com/openai/v1", key_env="GROQ_API_KEY")
    ep = r.resolve("groq:llama-3.3-70b").endpoint
    assert ep.key_env == ("GROQ_API_KEY",) and ep.key_required
    assert r.current() is not r.DEFAULT


def test_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "XAI_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GOOGLE_API_KEY", "g-key")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "a-key")
    assert sorted(r.available(r.DEFAULT)) == ["anthropic", "google"]
    google = r.DEFAULT.endpoints["google"]
    assert r.api_key(google) == r.Secret("g-key")
    monkeypatch.setenv("GEMINI_API_KEY", "gem-key")
    assert r.api_key(google) == r.Secret("gem-key")  # GEMINI_API_KEY first


def test_missing_key_names_the_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    with pytest.raises(MissingApiKey, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        r.api_key(r.DEFAULT.endpoints["google"])


def test_explicit_key_wins_and_never_shows() -> None:
    key = r.api_key(r.DEFAULT.endpoints["xai"], "xai-secret-value")
    assert key is not None and key.reveal() == "xai-secret-value"
    assert "secret" not in repr(key) and "secret" not in str(key) and "secret" not in f"{key!r}"


@pytest.mark.parametrize("raw", ["sk-test\n", " sk-test ", "sk-test\r\n"])
def test_keys_lose_surrounding_whitespace(raw: str) -> None:
    key = r.api_key(r.DEFAULT.endpoints["openai"], raw)
    assert key is not None and key.reveal() == "sk-test"


@pytest.mark.parametrize("raw", ["", "  ", "sk-te st", "sk-\x00x", "sk-é"])
def test_unsendable_keys_are_refused_without_showing_them(raw: str) -> None:
    from llmkit.errors import InvalidApiKey

    with pytest.raises(InvalidApiKey) as e:
        r.api_key(r.DEFAULT.endpoints["openai"], raw)
    assert "openai" in str(e.value) and (not raw.strip() or raw.strip() not in str(e.value))


# ---- moving a built-in vendor (a proxy, a gateway) -------------------------------


@pytest.mark.parametrize("name", sorted(r.DEFAULT.endpoints))
def test_reregistering_a_builtin_keeps_its_wire_and_keys(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(r, "_current", r.DEFAULT)
    before = r.DEFAULT.endpoints[name]
    r.register(name, base_url="https://gateway.corp.example/llm/")
    ep = r.current().endpoints[name]
    assert (ep.wire, ep.key_env, ep.key_required) == (
        before.wire, before.key_env, before.key_required,
    )  # fmt: skip
    assert ep.base_url == "https://gateway.corp.example/llm"


def test_reregistering_a_builtin_can_still_change_wire_and_keys() -> None:
    reg = r.with_endpoint(
        r.DEFAULT, "anthropic", base_url="http://x", wire="openai", key_env="PROXY_KEY"
    )
    ep = reg.endpoints["anthropic"]
    assert (ep.wire, ep.key_env) == ("llmkit.providers.openai", ("PROXY_KEY",))


# The variables the vendors' own SDKs read (see registry._BASE_URL_ENV).
BASE_URL_VARS = [
    ("anthropic", "ANTHROPIC_BASE_URL"),
    ("openai", "OPENAI_BASE_URL"),
    ("google", "GOOGLE_GEMINI_BASE_URL"),
]


@pytest.mark.parametrize(("name", "var"), BASE_URL_VARS)
def test_base_url_env_vars_move_a_builtin(name: str, var: str) -> None:
    ep = r.DEFAULT.endpoints[name]
    assert r.base_url(ep, {}) == ep.base_url
    assert r.base_url(ep, {var: " https://proxy.example/v9/ \n"}) == "https://proxy.example/v9"
    assert r.base_url(ep, {var: ""}) == ep.base_url
    # a base URL given in code wins over the environment
    moved = r.with_endpoint(r.DEFAULT, name, base_url="https://code.example").endpoints[name]
    assert r.base_url(moved, {var: "https://env.example"}) == "https://code.example"
