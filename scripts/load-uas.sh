#!/usr/bin/env bash
# SIPp load against the `uas` example (issue: >= 2,000 calls/s over UDP
# loopback with zero failed calls; <= 4 KiB per established dialog with
# 10,000 concurrent dialogs). Not part of CI: it takes about two minutes.
#
#   scripts/load-uas.sh [RATE] [SECONDS]      defaults: 2000 calls/s for 30 s
#
# Prints two JSON lines: the throughput run (SIPp's counts and our summary)
# and the memory run (live heap per dialog at a 10,000-dialog plateau,
# sampled after the INVITE transactions' 32 s linger).
set -euo pipefail
cd "$(dirname "$0")/.."
source ./scripts/toolchain.sh
./scripts/apt-install.sh sip-tester
rate="${1:-2000}"
secs="${2:-30}"
cargo build --release --locked -p linkus-sip --features tokio --example uas >&2
uas=target/release/examples/uas
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

csv_last() { # file column -> value of the column in the last row
  python3 - "$1" "$2" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
print(rows[-1][rows[0].index(sys.argv[2])])
PY
}

# 1. Throughput.
"$uas" --listen 127.0.0.1:5070 --seconds $((secs + 15)) >"$work/uas1.json" 2>/dev/null &
uas_pid=$!
sleep 1
set +e
sipp -sn uac 127.0.0.1:5070 -i 127.0.0.1 -p 5080 -r "$rate" -m $((rate * secs)) -d 0 \
  -nostdin -timeout $((secs + 10))s -trace_stat -stf "$work/stat1.csv" -fd 1 >"$work/sipp1.out" 2>&1
sipp_rc=$?
set -e
wait "$uas_pid"
printf '{"run":"throughput","target_cps":%s,"sipp_exit":%s,"elapsed":"%s","avg_cps":%s,"successful":%s,"failed":%s,"retransmissions":%s,"uas":%s}\n' \
  "$rate" "$sipp_rc" "$(csv_last "$work/stat1.csv" 'ElapsedTime(C)')" "$(csv_last "$work/stat1.csv" 'CallRate(C)')" \
  "$(csv_last "$work/stat1.csv" 'SuccessfulCall(C)')" "$(csv_last "$work/stat1.csv" 'FailedCall(C)')" \
  "$(csv_last "$work/stat1.csv" 'Retransmissions(C)')" "$(cat "$work/uas1.json")"

# 2. Memory: 10,000 calls of 60 s set up at 1,000/s; sample at t = 50 s.
"$uas" --listen 127.0.0.1:5071 --seconds 90 --stats-every 5 >"$work/uas2.json" 2>"$work/uas2.err" &
uas_pid=$!
sleep 1
set +e
sipp -sn uac 127.0.0.1:5071 -i 127.0.0.1 -p 5081 -r 1000 -m 10000 -l 10000 -d 60000 \
  -nostdin -timeout 85s -trace_stat -stf "$work/stat2.csv" -fd 5 >"$work/sipp2.out" 2>&1
sipp_rc=$?
set -e
wait "$uas_pid"
python3 - "$work/uas2.err" "$sipp_rc" "$(csv_last "$work/stat2.csv" 'SuccessfulCall(C)')" "$(csv_last "$work/stat2.csv" 'FailedCall(C)')" <<'PY'
import json, sys
samples = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
base = samples[0]['heap_kib']
plateau = [s for s in samples if s['t'] >= 45 and s['dialogs'] >= 10000][0]
print(json.dumps({"run": "memory", "sipp_exit": int(sys.argv[2]), "successful": int(sys.argv[3]),
                  "failed": int(sys.argv[4]), "dialogs": plateau['dialogs'], "t": plateau['t'],
                  "heap_kib": plateau['heap_kib'], "baseline_heap_kib": base,
                  "heap_kib_per_dialog": round((plateau['heap_kib'] - base) / plateau['dialogs'], 2),
                  "rss_kib": plateau['rss_kib']}))
PY
