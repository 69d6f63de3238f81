#!/bin/sh
# The offline demo behind `make demo`: mock exchange + host + recorders, a
# chart, and order_monitor on the mock's simulated account (demo API keys;
# an order is placed every 10 s), a progress line every 5 s, Ctrl-C stops
# everything cleanly.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export UPWS_DEMO_DATA="$PWD/demo-data"
mkdir -p "$UPWS_DEMO_DATA"
MOCKOUT=$(mktemp)

# Keys known only to this demo's mock; the host reads them from the environment.
export UPWS_DEMO_ACCESS_KEY=demo-access-key UPWS_DEMO_SECRET_KEY=demo-secret-key
"$BUILD/upws-mock" --port 0 --trade-rate 5 --log "$UPWS_DEMO_DATA/mock-requests.jsonl" \
  --access-key "$UPWS_DEMO_ACCESS_KEY" --secret-key "$UPWS_DEMO_SECRET_KEY" >"$MOCKOUT" 2>/dev/null &
MOCK=$!
i=0
until grep -q "listening on" "$MOCKOUT" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "mock exchange did not start"; kill $MOCK; exit 1; }
  sleep 0.05
done
PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$MOCKOUT")
rm -f "$MOCKOUT"
export UPWS_DEMO_URL="ws://127.0.0.1:$PORT/websocket/v1"
export UPWS_DEMO_REST="http://127.0.0.1:$PORT"
export UPWS_DEMO_PRIVATE="ws://127.0.0.1:$PORT/websocket/v1/private"
echo "mock exchange on 127.0.0.1:$PORT; CSV files under $UPWS_DEMO_DATA; Ctrl-C to stop"
echo "live chart: http://${UPWS_DEMO_CHART:-127.0.0.1:8480}/  (open it in a browser)"
echo "your (simulated) orders: $UPWS_DEMO_DATA/orders.log, balances: $UPWS_DEMO_DATA/balances"

"$BUILD/upws" run -c config/demo.yaml &
HOST=$!

stop() {
  trap - INT TERM
  echo; echo "stopping..."
  kill -TERM $HOST 2>/dev/null || true
  rc=0; wait $HOST 2>/dev/null || rc=$?
  kill -TERM $MOCK 2>/dev/null || true
  wait $MOCK 2>/dev/null || true
  echo "upws exited with status $rc; data kept in $UPWS_DEMO_DATA"
  exit 0
}
trap stop INT TERM

# One order every 10 s on the mock's account, filled in two steps.
place_order() {
  command -v curl >/dev/null 2>&1 || return 0
  curl -s -o /dev/null "$UPWS_DEMO_REST/ctl/order?market=$1&side=bid&price=$2&volume=0.01&fills=2&step_ms=2000" || true
}
n=0
while kill -0 $HOST 2>/dev/null; do
  sleep 5
  n=$((n + 1))
  [ $((n % 2)) -eq 1 ] && place_order KRW-BTC 100000000
  [ $((n % 4)) -eq 2 ] && place_order KRW-ETH 4000000
  files=$(find "$UPWS_DEMO_DATA" -name '*.csv' | wc -l)
  rows=$(find "$UPWS_DEMO_DATA" -name '*.csv' -exec cat {} + 2>/dev/null | wc -l)
  bytes=$(du -sk "$UPWS_DEMO_DATA" | cut -f1)
  reqs=$(grep -c '"ev":"request"' "$UPWS_DEMO_DATA/mock-requests.jsonl" 2>/dev/null || echo 0)
  socks=$(grep '"ev":"open"' "$UPWS_DEMO_DATA/mock-requests.jsonl" 2>/dev/null | grep -c '"path":"/websocket/v1"' || true)
  orders=$(grep -c ' order ' "$UPWS_DEMO_DATA/orders.log" 2>/dev/null || true)
  echo "demo: $files CSV files, $rows rows, ${bytes} KiB; exchange received $reqs request(s) on $socks public socket(s) + the private one; ${orders:-0} order line(s)"
done
wait $HOST
