"""HTTP for chat completions: one shared aiohttp pool, a total deadline, a cap on reply size.

Why not the openai SDK's own client: per request it rebuilds and transforms the request
options, scans httpx's connection pool and wraps the reply in typed objects -- most of llmx's
CPU per request at high concurrency (issue 13). llmx sends a body it serialised itself and
reads the reply bytes; the SDK stays in use for what it is good at (the default endpoint, and
typed replies on the rare re-ask path, in ``structured.py``).

Every failure is one of the exceptions below; none carries the API key (messages are redacted).
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import TYPE_CHECKING, Any

import aiohttp

from llmx.redaction import (
    redact,
    redact_url,
    register_secret,
    register_url_credentials,
    strip_credentials,
)

if TYPE_CHECKING:
    from llmx.config import Settings

# What the openai library sends to when no base URL is given (openai._client.AsyncOpenAI).
OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
_ERROR_BODY_LIMIT = 64 * 1024  # enough of an error body to say what went wrong


class TransportError(Exception):
    """The request got no usable HTTP answer."""


class DeadlineExceeded(TransportError):
    """The whole request (connect, send, headers, body) took longer than its deadline."""


class ConnectFailed(TransportError):
    """No connection: nothing listening, an unknown host, or the connection was refused."""


class Disconnected(TransportError):
    """The connection broke mid-request (reset, closed early, a malformed HTTP reply)."""


class ReplyTooLarge(Exception):
    """The reply is larger than any answer within ``max_tokens`` can be; not read further."""


class HTTPStatusError(Exception):
    """An HTTP error status; ``message`` is the server's explanation, redacted."""

    def __init__(self, status: int, message: str, headers: dict[str, str]) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.headers = headers


def endpoint_base_url(settings: Settings) -> str:
    return settings.base_url or OPENAI_DEFAULT_BASE_URL


def describe_endpoint(settings: Settings) -> str:
    """One line saying where the documents go (printed before the first request)."""
    where = redact_url(endpoint_base_url(settings))
    line = f"llmx: sending documents to {where} (model {settings.model})"
    if not settings.base_url:
        line += " -- the openai library's default host, since no base URL is set"
    return line


def reply_cap(max_tokens: int) -> int:
    """Bytes a reply may have: generous for ``max_tokens`` of JSON-escaped CJK in a tool call
    (≤ 64 bytes a token) plus the envelope, and never below 256 KiB."""
    return 256 * 1024 + 64 * max_tokens


def _env_proxy(url: str) -> tuple[str | None, aiohttp.BasicAuth | None]:
    """The proxy HTTP(S)_PROXY / NO_PROXY name for ``url``, as the openai client would use."""
    from aiohttp.helpers import get_env_proxy_for_url
    from yarl import URL

    try:
        proxy, auth = get_env_proxy_for_url(URL(url))
    except LookupError:
        return None, None
    return str(proxy), auth


class Transport:
    """POSTs JSON bodies to ``<base_url>/chat/completions`` over a pool sized to concurrency."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        concurrency: int,
        deadline: float,
        max_reply_bytes: int,
    ) -> None:
        register_secret(api_key)
        register_url_credentials(base_url)
        url, user, password = strip_credentials(base_url)
        self.url = url.rstrip("/") + "/chat/completions"
        self.shown_url = redact_url(url) or url
        self.deadline = deadline
        self.max_reply_bytes = max_reply_bytes
        self._concurrency = concurrency
        if api_key:
            auth = f"Bearer {api_key}"
        elif user is not None:  # credentials in the URL: what an HTTP client would send
            auth = "Basic " + base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        else:
            auth = "Bearer not-needed"  # local servers ignore it; some insist on the header
        self._headers = {
            "Authorization": auth,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._session: aiohttp.ClientSession | None = None
        self._proxy, self._proxy_auth = _env_proxy(self.url)

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._concurrency + 8, limit_per_host=0, keepalive_timeout=30.0
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=None),  # the deadline below bounds it all
                # Not trust_env: it costs two thread hops per request (netrc, proxy lookup) and
                # netrc credentials would clash with the Authorization header. The proxy from
                # HTTP(S)_PROXY / NO_PROXY is looked up once instead (``_proxy``).
                raise_for_status=False,
            )
        return self._session

    async def post(self, body: bytes) -> bytes:
        """The 2xx reply body; raises one of this module's exceptions otherwise."""
        session = self._open()
        try:
            async with asyncio.timeout(self.deadline):
                async with session.post(
                    self.url, data=body, proxy=self._proxy, proxy_auth=self._proxy_auth
                ) as resp:
                    if resp.status >= 400:
                        raise await self._status_error(resp)
                    return await self._read_capped(resp)
        except TimeoutError:
            raise DeadlineExceeded(
                f"no complete reply within {self.deadline:g} s from {self.shown_url}"
            ) from None
        except aiohttp.ClientConnectorError as exc:
            raise ConnectFailed(redact(f"cannot connect to {self.shown_url}: {exc}")) from None
        except aiohttp.ClientError as exc:
            raise Disconnected(redact(f"{type(exc).__name__}: {exc}")) from None

    async def _read_capped(self, resp: aiohttp.ClientResponse) -> bytes:
        cap = self.max_reply_bytes
        declared = resp.content_length
        if declared is not None and declared > cap:
            resp.close()  # drop the connection rather than drain it
            raise ReplyTooLarge(f"reply declares {declared} bytes, over the {cap}-byte cap")
        if declared is not None:
            return await resp.read()
        parts: list[bytes] = []
        size = 0
        async for piece in resp.content.iter_chunked(65536):
            size += len(piece)
            if size > cap:
                resp.close()
                raise ReplyTooLarge(f"reply exceeded the {cap}-byte cap; not read further")
            parts.append(piece)
        return b"".join(parts)

    async def _status_error(self, resp: aiohttp.ClientResponse) -> HTTPStatusError:
        raw = await resp.content.read(_ERROR_BODY_LIMIT)
        text = raw.decode("utf-8", "replace")
        try:
            data: Any = json.loads(text)
            err = data.get("error", data) if isinstance(data, dict) else data
            message = err.get("message", text) if isinstance(err, dict) else str(err)
        except ValueError:
            message = text
        headers = {k.lower(): v for k, v in resp.headers.items()}
        return HTTPStatusError(resp.status, redact(str(message).strip()[:300]), headers)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
