"""A throwaway Ray cluster on this machine, for tests and benchmarks of ``--engine ray``.

    with local_cluster(num_cpus=2) as address:   # "127.0.0.1:PORT"
        subprocess.run([... "llmx", "extract", ..., "--engine", "ray"],
                       env={**os.environ, "RAY_ADDRESS": address, **NO_AUTH})

The head runs ``ray start --head --block`` in a session of its own, listening on loopback only,
in a short temp dir (Ray's socket paths have a length limit); leaving the block kills every
process of that session. Needs ``llmx[ray]``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from llmx.testing.server import free_port

RAY = Path(sys.executable).with_name("ray")
# No token on a loopback test cluster: a local ray.init() (llmx's CI step) leaves
# ~/.ray/auth_token behind, and from then on Ray 2.60 clients and `ray start` disagree on auth.
NO_AUTH = {"RAY_AUTH_MODE": "disabled"}


@contextlib.contextmanager
def local_cluster(num_cpus: int = 2, *, start_timeout: float = 90.0) -> Iterator[str]:
    """Start a Ray head with ``num_cpus`` CPUs; yield its address; stop it and its workers."""
    temp = Path(f"/tmp/llmx-ray-{os.getuid()}-{os.getpid()}")
    port = free_port()
    env = {**os.environ, **NO_AUTH}
    head = subprocess.Popen(
        [str(RAY), "start", "--head", "--block", "--num-cpus", str(num_cpus), "--port",
         str(port), "--temp-dir", str(temp), "--include-dashboard=false",
         "--disable-usage-stats"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env,
    )  # fmt: skip
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while subprocess.run(
            [str(RAY), "status", "--address", address], capture_output=True, env=env
        ).returncode:
            if head.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray head did not start on {address}")
            time.sleep(1)
        yield address
    finally:
        stop_session(head)
        shutil.rmtree(temp, ignore_errors=True)


def stop_session(head: subprocess.Popen[bytes]) -> None:
    """Stop the Ray head and every process it started: they share its session (it was
    started with start_new_session), whatever process group Ray gave them. SIGTERM to
    ``ray start --block`` alone takes 30 s and leaves its actors behind."""
    members = [
        int(pid)
        for pid in os.listdir("/proc")
        if pid.isdigit() and int(pid) != os.getpid() and _sid(int(pid)) == head.pid
    ]
    for pid in members:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    head.wait(10)


def _sid(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None
