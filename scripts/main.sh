#!/usr/bin/env bash
# The main job: an example that needs no PBX. `quickstart` (linkus-core):
# two Cores in one process call each other over loopback; the callee
# auto-answers, the caller plays speech through G.722 with SRTP, the callee
# records it. It prints the call states and the quality summary and exits 0
# when the recording carries the speech.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/toolchain.sh
source ./scripts/toolchain.sh
# The sys crates build C code (libopus with CMake, SQLite, bcg729 is not used).
./scripts/apt-install.sh gcc cmake
exec cargo run --release --locked -p linkus-core --example quickstart -- "$@"
