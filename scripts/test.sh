#!/usr/bin/env bash
# Runs every check and test of the workspace, installing first what they need.
# This is the command README.md names and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. Toolchain.
# shellcheck source=scripts/toolchain.sh
source ./scripts/toolchain.sh

# 2. System packages the tests use (C compiler for -sys crates; CMake for
# the libopus that the `opus` crate's sys crate builds; bcg729 for the
# opt-in `g729` feature of linkus-media).
./scripts/apt-install.sh gcc cmake libbcg729-dev
# Real peers of the interop tests (linkus-testkit): Kamailio (+ TLS module),
# SIPp, baresip, coturn (TURN relay), openssl for the test CA, procps for
# `kill` by PID.
./scripts/apt-install.sh kamailio kamailio-tls-modules sip-tester baresip-core coturn openssl procps

# 3. Checks and tests. Tests are built once, then run.
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo doc -D warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "== cargo test"
cargo test --workspace --locked --no-run
cargo test --workspace --locked
# G.729 is an opt-in feature (bcg729, GPL-3+), never in the default build
# above: check and test linkus-media with it on its own.
echo "== linkus-media --features g729: clippy and tests"
cargo clippy -p linkus-media --all-targets --features g729 --locked -- -D warnings
cargo test -p linkus-media --features g729 --locked
