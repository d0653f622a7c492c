#!/usr/bin/env bash
# The main job: an example that needs no PBX. Today it is `sipcheck` run over
# the RFC 4475 torture-test corpus: one JSON line per message, a summary on
# stderr, exit 0 when every verdict matches the RFC's.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/toolchain.sh
source ./scripts/toolchain.sh
corpus="${LINKUS_RFC4475_DIR:-../shared/testdata/rfc4475}"
exec cargo run --release --locked -p linkus-sip --example sipcheck -- --manifest "$corpus/MANIFEST.tsv"
