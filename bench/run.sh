#!/usr/bin/env bash
# Start a throwaway Tổng đài server, run both benchmarks with their default
# arguments against it, and stop it again.
#
#   bench/run.sh                          # tongdai and python3 from PATH
#   TONGDAI=/tmp/v/bin/tongdai PYTHON=/tmp/v/bin/python bench/run.sh
#
# The server's own output goes to server.log in the temporary data directory,
# which is shown if the server fails to come up and removed on exit.
set -euo pipefail

TONGDAI=${TONGDAI:-tongdai}
PYTHON=${PYTHON:-python3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

DATA=$(mktemp -d "${TMPDIR:-/tmp}/tongdai-bench.XXXXXX")
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$DATA"
}
trap cleanup EXIT

# A port nobody is listening on right now (the kernel picks it).
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"

# Every request comes from 127.0.0.1, over up to 256 connections: the public endpoints' rate
# limits and the per-address connection cap are lifted for the benchmarks.
TONGDAI_PUBLIC_RATE_LIMITS=off TONGDAI_MAX_CONNECTIONS_PER_ADDRESS=0 "$TONGDAI" serve --data-dir "$DATA" --host 127.0.0.1 --port "$PORT" >"$DATA/server.log" 2>&1 &
SERVER_PID=$!

ready() {
    "$PYTHON" - "$URL/readyz" <<'PY'
import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=1).status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}
for _ in $(seq 1 100); do
    ready && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "tongdai serve exited early:" >&2; cat "$DATA/server.log" >&2; exit 1
    fi
    sleep 0.2
done
if ! ready; then
    echo "tongdai serve not ready at $URL/readyz after 20 s:" >&2; cat "$DATA/server.log" >&2; exit 1
fi

TONGDAI_BENCH_KEY=$("$TONGDAI" apikey create --name bench --data-dir "$DATA" 2>/dev/null)
export TONGDAI_BENCH_KEY

echo "== server $URL (data $DATA)"
echo "== ingest"
"$PYTHON" "$HERE/ingest.py" --url "$URL"
echo
echo "== lookup"
"$PYTHON" "$HERE/lookup.py" --url "$URL"
echo
echo "== lookup floor: bare aiohttp answering a constant on the same route (machine + client, no Tổng đài)"
FLOOR_PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PYTHON" "$HERE/floor_server.py" "$FLOOR_PORT" &
FLOOR_PID=$!
trap 'kill $FLOOR_PID 2>/dev/null; cleanup' EXIT
sleep 1
"$PYTHON" "$HERE/lookup.py" --url "http://127.0.0.1:$FLOOR_PORT" --key floor
echo
echo "== notify (in-process, its own data directory)"
"$PYTHON" "$HERE/notify.py"
echo
echo "== email: our SMTP adapter vs Apprise, same local server (Apprise comes with the dev extra)"
"${DEV_PYTHON:-$PYTHON}" "$HERE/email_send.py"
echo
echo "== assistant: built-in engine vs a Rasa 3.6.21 server on the held-out set (Rasa built and trained if not cached)"
"$PYTHON" "$HERE/assistant.py"
echo
echo "== guard: the lookup's brute-force guard per call, and wrong digits vs unknown code (in-process)"
"$PYTHON" "$HERE/guard.py"
echo
echo "== startup"
"$PYTHON" "$HERE/startup.py" --tongdai "$TONGDAI"
