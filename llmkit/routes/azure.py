"""OpenAI on Azure, the v1 API
(https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle): OpenAI's paths under
`https://{resource}.openai.azure.com/openai/v1/` (no `api-version`), the
deployment name as `model`, over Responses (`azure:`) and Chat Completions
(`azure-chat:`). The key goes in an `api-key` header; a Microsoft Entra ID
token comes from a callable passed as `api_key=` and goes as a bearer:

    from azure.identity import DefaultAzureCredential, get_bearer_token_provider
    token = get_bearer_token_provider(
        DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default")
    llmkit.chat_sync("azure:my-deployment", "Hi", api_key=token)

The bodies are OpenAI's, so nothing is rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping

from llmkit.errors import ApiError, MissingConfig
from llmkit.protocols import HttpRequest
from llmkit.types import ChatRequest

ENDPOINT_ENV = ("AZURE_OPENAI_ENDPOINT",)
RESOURCE_ENV = ("AZURE_OPENAI_RESOURCE",)
KEY_ENV = ("AZURE_OPENAI_API_KEY",)


def base_url(env: Mapping[str, str], keyed: bool) -> str:
    """`AZURE_OPENAI_ENDPOINT` (`https://{resource}.openai.azure.com/`, as the
    portal and the OpenAI SDK's AzureOpenAI give it) plus `/openai/v1`, or
    the resource name in `AZURE_OPENAI_RESOURCE`."""
    endpoint = env.get("AZURE_OPENAI_ENDPOINT", "").strip().rstrip("/")
    if not endpoint and env.get("AZURE_OPENAI_RESOURCE", "").strip():
        endpoint = f"https://{env['AZURE_OPENAI_RESOURCE'].strip()}.openai.azure.com"
    if not endpoint:
        raise MissingConfig("azure", "Azure OpenAI endpoint", ENDPOINT_ENV + RESOURCE_ENV)
    return endpoint if endpoint.endswith("/openai/v1") else f"{endpoint}/openai/v1"


def ready(env: Mapping[str, str]) -> bool:
    where = any(env.get(k, "").strip() for k in ENDPOINT_ENV + RESOURCE_ENV)
    return where and any(env.get(k) for k in KEY_ENV)


def rewrite(hr: HttpRequest, req: ChatRequest, base_url: str) -> HttpRequest:
    return hr


# Why `count_tokens` is Unsupported here: OpenAI's `responses/input_tokens` is
# not among the v1 API's paths (https://learn.microsoft.com/azure/ai-foundry/openai/latest;
# it answers 404 "Unknown request URL: POST /v1/responses/input_tokens",
# https://learn.microsoft.com/en-us/answers/questions/5889782), and Chat
# Completions has no counting endpoint anywhere.
NO_COUNT = "Azure OpenAI's v1 API has no token-counting endpoint (no responses/input_tokens)"


def refine_error(err: ApiError, status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    return err  # Azure answers errors in OpenAI's shape
