#!/usr/bin/env bash
# serve_bench.sh: how fast `goalkeeper serve` takes signed GitHub deliveries on loopback, and how
# long a resolving signal takes to start the next job. A benchmark for people, not a CI test.
#
#   tests/sdk/runner/http/serve_bench.sh [BUILD_DIR]        (default build/release, else build/dev)
#
# Environment: DURATION (wrk seconds, default 10), CONNECTIONS (default 16), WRK_THREADS
# (default 1), HTTP_THREADS (serve's --http-threads, default 2), SIGNALS (signal-to-job samples,
# default 200). Installs Debian's wrk with apt-get when it is missing.
#
# 1. Deliveries: wrk posts the check_run "completed" example of @octokit/webhooks-examples
#    (tests/fixtures/github/webhooks/check_run.json, 12 KB), signed with HMAC-SHA256 (signature
#    computed once, as GitHub would), each with a new X-GitHub-Delivery id so none is a duplicate.
#    No gate watches that repository, so each delivery is verified, parsed, mapped, recorded for
#    deduplication (one SQLite transaction) and answered 202.
# 2. Signal to next job: a goal of SIGNALS pairs (a human_approval gate, then a job that writes
#    the time it started, in ns). For each pair the client waits until the gate is active, takes
#    the time, posts the resolving signal, and waits for the job's file. Reported: p50/p99/max of
#    job start - signal sent. The job start includes forking gk-supervise, sh and date.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../../../.." && pwd)"
BUILD="${1:-}"
if [[ -z "$BUILD" ]]; then
  if [[ -x "$ROOT/build/release/bin/goalkeeper" ]]; then BUILD="$ROOT/build/release"; else BUILD="$ROOT/build/dev"; fi
fi
BUILD="$(cd "$BUILD" && pwd)"
GK="$BUILD/bin/goalkeeper"
[[ -x "$GK" ]] || { echo "no goalkeeper in $BUILD/bin: build it first (cmake --preset release && cmake --build build/release -j2)" >&2; exit 2; }
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-16}"
WRK_THREADS="${WRK_THREADS:-1}"
HTTP_THREADS="${HTTP_THREADS:-2}"
SIGNALS="${SIGNALS:-200}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  if [[ $(id -u) -eq 0 ]]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi

WORK="$(mktemp -d /tmp/gk_serve_bench.XXXXXX)"
SERVE_PID=""
cleanup() {
  if [[ -n "$SERVE_PID" ]] && kill -0 "$SERVE_PID" 2>/dev/null; then
    kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export GK_WEBHOOK_SECRET="bench-secret-$RANDOM$RANDOM"
export GK_SIGNAL_TOKEN="bench-token-$RANDOM$RANDOM"
export no_proxy="127.0.0.1,localhost" NO_PROXY="127.0.0.1,localhost"

start_serve() {  # $1: goal file or ""
  local out="$WORK/serve.out"
  : >"$out"
  (cd "$WORK" && exec "$GK" serve $1 --listen 127.0.0.1:0 --http-threads "$HTTP_THREADS" \
     --config config.json >"$out" 2>"$WORK/serve.err") &
  SERVE_PID=$!
  for _ in $(seq 1 200); do
    PORT=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$out" | head -1 | cut -d: -f2 || true)
    [[ -n "$PORT" ]] && return 0
    sleep 0.05
  done
  echo "serve did not start:" >&2; cat "$WORK/serve.err" >&2; exit 1
}
stop_serve() {
  kill -TERM "$SERVE_PID"; wait "$SERVE_PID" || true; SERVE_PID=""
}

# Polling of GitHub and the bot is pointed at a closed port and made rare: only pushes count.
cat >"$WORK/config.json" <<'EOF'
{"github": {"api_url": "http://127.0.0.1:9/api/v3", "poll_s": {"gh_ci": 3600, "gh_review": 3600}},
 "centaur": {"url": "http://127.0.0.1:9", "poll_s": 3600}}
EOF

# ---- 1. deliveries per second ------------------------------------------------------------------
python3 - "$ROOT/tests/fixtures/github/webhooks/check_run.json" "$WORK/body.json" <<'EOF'
import json, sys
examples = json.load(open(sys.argv[1]))
body = next(e for e in examples if e["action"] == "completed")
open(sys.argv[2], "w").write(json.dumps(body, separators=(",", ":")))
EOF
SIG="sha256=$(openssl dgst -sha256 -hmac "$GK_WEBHOOK_SECRET" -r "$WORK/body.json" | cut -d' ' -f1)"
cat >"$WORK/deliver.lua" <<EOF
local f = io.open("$WORK/body.json", "rb")
local body = f:read("*a")
f:close()
local n = 0
tag = "0"
wrk.method = "POST"
wrk.path = "/webhooks/github"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-GitHub-Event"] = "check_run"
wrk.headers["X-Hub-Signature-256"] = "$SIG"
wrk.body = body
math.randomseed(os.time())
setup = function(thread) thread:set("tag", tostring(math.random(100000, 999999))) end
request = function()
  n = n + 1
  wrk.headers["X-GitHub-Delivery"] = "bench-" .. tag .. "-" .. n
  return wrk.format(nil, nil, nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("p50_ms %.3f\np90_ms %.3f\np99_ms %.3f\nmax_ms %.3f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("requests %d\nerrors_status %d\n", summary.requests, summary.errors.status))
end
EOF

start_serve ""
# Warm up (page cache, SQLite), then measure.
wrk -t1 -c4 -d2s -s "$WORK/deliver.lua" "http://127.0.0.1:$PORT" >/dev/null
wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/deliver.lua" \
  "http://127.0.0.1:$PORT" | tee "$WORK/wrk.txt"
ONE=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -H 'X-GitHub-Event: check_run' -H "X-GitHub-Delivery: bench-check-$RANDOM" \
  -H "X-Hub-Signature-256: $SIG" --data-binary @"$WORK/body.json" "http://127.0.0.1:$PORT/webhooks/github")
stop_serve
RPS=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
P99=$(awk '/^p99_ms/ {print $2}' "$WORK/wrk.txt")
NON2XX=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt")

# ---- 2. signal to next job ---------------------------------------------------------------------
python3 - "$SIGNALS" "$WORK/chain.yaml" <<'EOF'
import sys
n = int(sys.argv[1])
lines = ["version: 1", "goals:", "  - id: chain", "    tasks:"]
for i in range(n):
    lines += [f"      - id: gate{i}", f"        wait_for: {{type: human_approval, key: k{i}}}",
              f"      - id: job{i}",
              f"        run: [\"sh\", \"-c\", \"date +%s%N > started/{i}\"]"]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
EOF
mkdir -p "$WORK/started"
start_serve chain.yaml
python3 - "$PORT" "$SIGNALS" "$WORK/started" <<'EOF' | tee "$WORK/signal.txt"
import http.client, json, os, sys, time
port, n, started = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
token = os.environ["GK_SIGNAL_TOKEN"]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
auth = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
def get(path):
    conn.request("GET", path, headers=auth)
    r = conn.getresponse()
    return r.status, r.read()
lat = []
for i in range(n):
    deadline = time.time() + 20
    while True:
        status, body = get(f"/api/tasks/chain/gate{i}")
        if status == 200 and json.loads(body)["status"] == "active":
            break
        if time.time() > deadline:
            sys.exit(f"gate{i} never became active: {body[:200]}")
        time.sleep(0.002)
    sig = json.dumps({"type": "human_approval", "key": f"k{i}", "status": "pass"})
    t0 = time.time_ns()
    conn.request("POST", "/api/signals/resolve", body=sig, headers=auth)
    r = conn.getresponse()
    out = json.loads(r.read())
    assert r.status == 200 and out["matched"], out
    path = os.path.join(started, str(i))
    while not (os.path.exists(path) and os.path.getsize(path) > 0):
        if time.time_ns() - t0 > 20e9:
            sys.exit(f"job{i} never started")
        time.sleep(0.0005)
    lat.append((int(open(path).read().strip()) - t0) / 1e6)
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]
print(f"signal_to_job_samples {len(lat)}")
print(f"signal_to_job_p50_ms {pct(50):.2f}")
print(f"signal_to_job_p99_ms {pct(99):.2f}")
print(f"signal_to_job_max_ms {lat[-1]:.2f}")
EOF
stop_serve

echo
echo "deliveries/s: $RPS  p99: ${P99} ms  non-2xx: ${NON2XX:-0}  (a single delivery answered $ONE)"
echo "signal -> next job: p50 $(awk '/p50/ {print $2}' "$WORK/signal.txt") ms, p99 $(awk '/p99/ {print $2}' "$WORK/signal.txt") ms"
echo "(targets on 2 cores: >= 5000 deliveries/s with p99 <= 10 ms; signal to next job p99 <= 50 ms)"
