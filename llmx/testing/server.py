"""A real HTTP server on 127.0.0.1 that speaks OpenAI chat-completions, for tests and benches.

Nothing is mocked: the real ``openai`` client talks HTTP to it. Replies are *scripted* (queued
``Reply`` objects, or a responder function) and faults are injected on purpose -- no reply
from this server is ever model output.

    with ScriptedServer() as server:
        server.enqueue(Reply.status(429, headers={"Retry-After": "0"}), Reply.data({...}))
        ... point llmx at server.base_url ...

Run it standalone (e.g. for the README demo or a kill test): ``python -m llmx.testing.server``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], "Reply"]


@dataclass
class Reply:
    """One scripted reply. Build with the class methods."""

    kind: str  # data | text | status | reset | empty_choices | truncated | trickle | huge
    payload: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str = "stop"
    usage: tuple[int, int] = (100, 50)

    @classmethod
    def data(cls, obj: Any, *, delay: float = 0.0, usage: tuple[int, int] = (100, 50)) -> Reply:
        """Structured output, shaped for the request's mode (tool call or JSON content)."""
        return cls("data", obj, delay=delay, usage=usage)

    @classmethod
    def text(cls, content: str, *, delay: float = 0.0) -> Reply:
        """Raw content, e.g. malformed JSON (put in the tool arguments in tools mode)."""
        return cls("text", content, delay=delay)

    @classmethod
    def error(
        cls, status: int, *, headers: dict[str, str] | None = None, message: str = "scripted"
    ) -> Reply:
        """An HTTP error with an OpenAI-style error body."""
        return cls("status", message, status=status, headers=headers or {})

    @classmethod
    def reset(cls) -> Reply:
        """Close the connection without answering (TCP RST)."""
        return cls("reset")

    @classmethod
    def empty_choices(cls) -> Reply:
        return cls("empty_choices")

    @classmethod
    def truncated(cls, obj: Any) -> Reply:
        """Half of the JSON, with finish_reason=length, as when max_tokens cuts the output."""
        return cls("truncated", obj, finish_reason="length")

    @classmethod
    def filtered(cls) -> Reply:
        """No content, ``finish_reason: content_filter`` (the provider's moderation refused)."""
        return cls("text", "", finish_reason="content_filter")

    @classmethod
    def trickle(cls, *, every: float = 2.0, size: int = 10_000) -> Reply:
        """Headers at once, then one body byte every ``every`` seconds (a per-read timeout
        never fires; only a total deadline ends it)."""
        return cls("trickle", size, delay=every)

    @classmethod
    def huge(cls, size: int, *, declared: bool = True) -> Reply:
        """A well-formed completion of about ``size`` bytes (an endless or hostile reply);
        ``declared=False`` sends no Content-Length (the body ends when the connection closes)."""
        return cls("huge", size, headers={} if declared else {"Connection": "close"})

    @classmethod
    def echo_auth(cls, status: int) -> Reply:
        """An error whose body quotes the request's Authorization header (as some proxies do)."""
        return cls("echo_auth", status=status)

    def after(self, seconds: float) -> Reply:
        """The same reply, sent ``seconds`` later (to outlast a client timeout)."""
        self.delay = seconds
        return self


def empty_extraction(_request: dict[str, Any]) -> Reply:
    """Default responder: an empty object (every record list of a task defaults to empty)."""
    return Reply.data({})


def request_text(request: dict[str, Any]) -> str:
    """The article text of a llmx request (the user message after 【新闻正文】)."""
    user = next((m["content"] for m in request["messages"] if m["role"] == "user"), "")
    return str(user).split("【新闻正文】", 1)[-1].strip()


def free_port() -> int:
    """A loopback port nothing listens on (for a server about to start, or a refused one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unused_base_url() -> str:
    """A loopback URL with nothing listening (connection refused)."""
    return f"http://127.0.0.1:{free_port()}/v1"


def request_mode(request: dict[str, Any]) -> str:
    if request.get("tools"):
        return "tools"
    fmt = (request.get("response_format") or {}).get("type")
    return {"json_schema": "json_schema", "json_object": "json"}.get(str(fmt), "md_json")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every reply.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *_args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})
        else:
            self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        owner = self.server.owner
        owner._record(body, dict(self.headers))
        owner._gauge(+1)  # requests being answered right now (a shared budget must bound it)
        try:
            self._answer(owner, body)
        finally:
            owner._gauge(-1)

    def _answer(self, owner: ScriptedServer, body: dict[str, Any]) -> None:
        if self.path.split("?")[0].rstrip("/") != "/v1/chat/completions":
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        mode = request_mode(body)
        if mode in owner.reject_modes:
            self._send(400, {"error": {"message": f"response_format/{mode} not supported"}})
            return
        reply = owner._next_reply(body)
        if reply.kind == "trickle":
            self._trickle(int(reply.payload), reply.delay)
            return
        if reply.delay or owner.latency:
            time.sleep(reply.delay + owner.latency)
        if reply.kind == "echo_auth":
            auth = self.headers.get("Authorization", "")
            self._send(reply.status, {"error": {"message": f"invalid credentials: {auth}"}})
            return
        if reply.kind == "huge":
            self._send_huge(int(reply.payload), declared=not reply.headers)
            return
        if reply.kind == "reset":
            # SO_LINGER 0 makes close() send RST: a connection reset as the client sees it.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if reply.kind == "status":
            self._send(
                reply.status,
                {"error": {"message": reply.payload, "type": "scripted", "code": reply.status}},
                reply.headers,
            )
            return
        self._send(200, _completion(body, reply, mode))

    def _trickle(self, size: int, every: float) -> None:
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.wfile.flush()
            for _ in range(size):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(every)
        except OSError:
            pass  # the client gave up, as it should
        self.close_connection = True

    def _send_huge(self, size: int, *, declared: bool) -> None:
        """Stream a completion whose content is ``size`` bytes of padding, in 64 KiB writes."""
        head = b'{"id":"x","object":"chat.completion","choices":[{"index":0,"finish_reason":"stop",'
        head += b'"message":{"role":"assistant","content":"'
        tail = b'"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if declared:
                self.send_header("Content-Length", str(len(head) + size + len(tail)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(head)
            block = b"x" * 65536
            left = size
            while left > 0:
                self.wfile.write(block[: min(left, len(block))])
                left -= len(block)
            self.wfile.write(tail)
        except OSError:
            self.close_connection = True  # the client stopped reading, as it should

    def _send(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test); nothing to do


def _completion(request: dict[str, Any], reply: Reply, mode: str) -> dict[str, Any]:
    prompt_tokens, completion_tokens = reply.usage
    if reply.kind == "empty_choices":
        choices: list[dict[str, Any]] = []
    else:
        if reply.kind == "text":
            content = str(reply.payload)
        else:
            content = json.dumps(reply.payload, ensure_ascii=False)
            if reply.kind == "truncated":
                content = content[: max(1, len(content) // 2)]
            elif mode == "md_json":
                content = f"```json\n{content}\n```"
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if mode == "tools":
            tool = request["tools"][0]["function"]["name"]
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_0",
                        "type": "function",
                        "function": {"name": tool, "arguments": content},
                    }
                ],
            }
        finish = reply.finish_reason
        if mode == "tools" and finish == "stop":
            finish = "tool_calls"
        choices = [{"index": 0, "message": message, "finish_reason": finish}]
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "scripted"),
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    owner: ScriptedServer


class ScriptedServer:
    """An OpenAI-compatible chat-completions server with scripted replies and faults.

    Attributes:
        base_url: ``http://127.0.0.1:<port>/v1``.
        requests: Every request body received, in order.
        headers: The headers of every request (tests check the API key never leaks elsewhere).
        latency: Seconds added to every reply (benchmarks).
        reject_modes: Modes answered with HTTP 400 (``tools``, ``json_schema``, ``json``...).
        in_flight / max_in_flight: POSTs being answered now / the most at any one time.
    """

    def __init__(
        self,
        responder: Responder = empty_extraction,
        *,
        latency: float = 0.0,
        reject_modes: set[str] | None = None,
        port: int = 0,
    ) -> None:
        self.responder = responder
        self.latency = latency
        self.reject_modes = set(reject_modes or ())
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self._httpd = _HTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def enqueue(self, *replies: Reply) -> None:
        """Queue replies; they are used in order before falling back to the responder."""
        with self._lock:
            self._queue.extend(replies)

    def _next_reply(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return self.responder(request)

    def _record(self, body: dict[str, Any], headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)

    def _gauge(self, step: int) -> None:
        with self._lock:
            self.in_flight += step
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def start(self) -> ScriptedServer:
        # stop() waits for serve_forever's next poll: 0.5 s by default, on every test's teardown
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Scripted OpenAI-compatible test server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per reply")
    args = parser.parse_args()
    server = ScriptedServer(latency=args.latency, port=args.port)
    print(server.base_url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server._httpd.serve_forever()


if __name__ == "__main__":
    main()
