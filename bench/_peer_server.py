"""A cheap OpenAI-compatible server for bench_peers.py, run in its own process.

aiohttp.web on one event loop (a thread per connection, as in ``ScriptedServer``, costs more
CPU than the clients being measured at concurrency 128). Every reply is *scripted*: the first
quantity-like expression of the request's article text and its clause, copied from the
request -- never model output. ``GET /stats`` reports requests served and this process's CPU
seconds, so the bench can say whether the server was the bottleneck.

    python bench/_peer_server.py --latency 0.15    # prints the base URL, serves until killed
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import time
from typing import Any

from aiohttp import web

_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(余|多)?(人次|名|个|万元|人|所|家|项|亩|次)")
_CLAUSE = re.compile(r"[^，。；！？\n]+")


def _article(request: dict[str, Any]) -> str:
    user = next((m["content"] for m in reversed(request["messages"]) if m["role"] == "user"), "")
    return str(user).split("【新闻正文】", 1)[-1]


def _records(text: str) -> dict[str, Any]:
    metrics = []
    for m in _QUANTITY.finditer(text):
        clause = next((c.group() for c in _CLAUSE.finditer(text, max(0, m.start() - 40))
                       if c.start() <= m.start() < c.end()), m.group())  # fmt: skip
        metrics.append(
            {
                "subject": "培训",
                "value": float(m.group(1)),
                "value_max": None,
                "unit": m.group(3),
                "qualifier": "more_than" if m.group(2) else "exact",
                "value_text": m.group(0),
                "evidence": clause,
                "programme": None,
            }
        )
        if len(metrics) == 2:
            break
    return {"programmes": [], "metrics": metrics}


def _langextract(text: str) -> dict[str, Any]:
    """LangExtract's own output format: a list of extractions with attributes."""
    found = [
        {"metric": m.group(0), "metric_attributes": {"unit": m.group(3)}}
        for m in list(_QUANTITY.finditer(text))[:2]
    ]
    return {"extractions": found}


def _completion(request: dict[str, Any]) -> dict[str, Any]:
    text = _article(request)
    fmt = (request.get("response_format") or {}).get("type")
    content = json.dumps(
        _records(text) if fmt == "json_schema" or request.get("tools") else _langextract(text),
        ensure_ascii=False,
    )
    message: dict[str, Any] = {"role": "assistant", "content": content}
    finish = "stop"
    if request.get("tools"):
        name = request["tools"][0]["function"]["name"]
        call = {"id": "c0", "type": "function", "function": {"name": name, "arguments": content}}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish = "tool_calls"
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "bench"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }


def make_app(latency: float) -> web.Application:
    served = 0

    async def chat(request: web.Request) -> web.Response:
        nonlocal served
        body = json.loads(await request.read())
        served += 1
        if latency:
            await asyncio.sleep(latency)
        data = json.dumps(_completion(body), ensure_ascii=False)
        return web.Response(text=data, content_type="application/json")

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response({"requests": served, "cpu_s": time.process_time()})

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/stats", stats)
    return app


async def _serve(latency: float, port: int) -> None:
    runner = web.AppRunner(make_app(latency), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=2048)
    await site.start()
    sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
    print(f"http://127.0.0.1:{sockets[0].getsockname()[1]}/v1", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.latency, args.port))


if __name__ == "__main__":
    main()
