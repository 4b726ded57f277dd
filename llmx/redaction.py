"""Keep API keys and URL credentials out of everything llmx writes or prints.

Text reaches llmx's output from places it does not control -- an error body that quotes the
request's ``Authorization`` header, an exception that prints a URL with ``user:key@`` in it --
so redaction is applied to the text, whatever its source:

- every secret registered with :func:`register_secret` (the API key in use, the password of a
  credentialed base URL, their Basic-auth encoding) is replaced wherever it appears;
- whatever looks like a credential is masked even if unregistered: ``Bearer``/``Basic``
  tokens, ``sk-...`` keys, ``user:password@`` in URLs, ``key=``/``token=`` query parameters.

    from llmx.redaction import redact, redact_url
    message = redact(str(exc))           # any text bound for output, stderr or a report
    shown = redact_url(settings.base_url)  # a URL fit to print: no credentials
"""

from __future__ import annotations

import base64
import re
import threading
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
_MIN_SECRET = 6  # shorter strings would mask ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()
_registered: re.Pattern[str] | None = None

_PATTERNS = re.compile(
    # A credential after an auth scheme has a digit (keys, base64); "Basic authentication"
    # and other prose stay as they are.
    r"(?P<scheme>(?-i:\b(?:Bearer|Basic|Token))\s+)(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}"
    r"|\bsk-[A-Za-z0-9_-]{8,}"
    r"|(?P<url>[a-z][a-z0-9+.-]*://)[^/\s:@]*:[^/\s@]*@"
    r"|(?P<param>[?&](?:api[_-]?key|key|token|access_token|secret)=)[^&\s\"']+",
    re.IGNORECASE,
)
_SECRET_PARAMS = {"api_key", "api-key", "apikey", "key", "token", "access_token", "secret"}


def register_secret(value: str | None) -> None:
    """Mask ``value`` from now on in every :func:`redact` call of this process."""
    global _registered
    if not value or len(value) < _MIN_SECRET:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        ordered = sorted(_secrets, key=len, reverse=True)  # longest first: no partial masks
        _registered = re.compile("|".join(re.escape(s) for s in ordered))


def register_url_credentials(url: str | None) -> None:
    """Register the password (and its Basic-auth form) of a ``scheme://user:password@`` URL."""
    if not url:
        return
    parts = _split(url)
    if parts is None:
        return
    password = parts.password or ""
    register_secret(password)
    if parts.username is not None:
        pair = f"{parts.username}:{password}".encode()
        register_secret(base64.b64encode(pair).decode())
    for name, value in parse_qsl(parts.query):
        if name.lower() in _SECRET_PARAMS:
            register_secret(value)


def _mask_pattern(match: re.Match[str]) -> str:
    for group in ("scheme", "url", "param"):
        if match.group(group):
            return match.group(group) + MASK + ("@" if group == "url" else "")
    return MASK


def redact(text: str) -> str:
    """``text`` with every registered secret and anything credential-shaped masked."""
    pattern = _registered
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _PATTERNS.sub(_mask_pattern, text)


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:
        return None


def strip_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(the URL without ``user:password@``, user, password) -- for sending, not for showing."""
    parts = _split(url)
    if parts is None or (parts.username is None and parts.password is None):
        return url, None, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), parts.username, parts.password


def redact_url(url: str | None) -> str | None:
    """A URL fit to print or record: no ``user:password@``, secret query parameters masked."""
    if url is None:
        return None
    clean, _user, _password = strip_credentials(url)
    parts = _split(clean)
    if parts is not None and parts.query:
        query = [
            (k, MASK if k.lower() in _SECRET_PARAMS else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        clean = urlunsplit(parts._replace(query=urlencode(query, safe="*")))
    return redact(clean)
