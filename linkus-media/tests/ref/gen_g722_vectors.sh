#!/usr/bin/env bash
# Regenerates linkus-media/tests/data/g722_* with spandsp (Debian 12: libspandsp-dev
# 0.0.6), the bit-exact C reference the Rust G.722 codec is tested against.
# Not run by the tests or CI: the tests use the committed files.
#
#   ./gen_g722_vectors.sh [SPEECH_16K_RAW]
#   (default input: ../../../../shared/tools/codec-ref/speech_16k.raw)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/../data
SPEECH=${1:-$HERE/../../../../shared/tools/codec-ref/speech_16k.raw}
[[ -s $SPEECH ]] || { echo "no input $SPEECH" >&2; exit 1; }
for p in gcc pkg-config libspandsp-dev; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    { echo "missing Debian package $p (apt-get install $p)" >&2; exit 1; }
done
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
gcc -O2 -Wall -Wextra -Werror -o "$BUILD/g722_ref" "$HERE/g722_ref.c" $(pkg-config --cflags --libs spandsp)
REF=$BUILD/g722_ref
mkdir -p "$DATA"
# 1. speech: the first 150 frames (3 s) of the codec-ref test speech.
head -c $((150 * 320 * 2)) "$SPEECH" >"$DATA/g722_speech.in.raw"
"$REF" encode "$DATA/g722_speech.in.raw" 150 "$DATA/g722_speech.g722"
"$REF" decode "$DATA/g722_speech.g722" "$DATA/g722_speech.dec.raw"
# 2. full-scale white noise, 1 s: drives saturation and the predictor limits.
"$REF" noise 16000 0x2545F491 "$BUILD/noise.raw"
"$REF" encode "$BUILD/noise.raw" 50 "$DATA/g722_noise.g722"
"$REF" decode "$DATA/g722_noise.g722" "$DATA/g722_noise.dec.raw"
# 3. random bytes decoded as G.722: every code, including 0..3 that no encoder sends.
"$REF" bytes 8000 0x9E3779B9 "$DATA/g722_random.g722"
"$REF" decode "$DATA/g722_random.g722" "$DATA/g722_random.dec.raw"
{
  echo "spandsp $(pkg-config --modversion spandsp) ($(dpkg-query -W -f '${Package} ${Version}' libspandsp2))"
  echo "gcc $(gcc -dumpfullversion)"
  echo "input $(basename "$SPEECH") sha256 $(sha256sum "$SPEECH" | cut -d' ' -f1)"
  (cd "$DATA" && sha256sum g722_*.g722 g722_*.raw)
} >"$DATA/g722_vectors.txt"
cat "$DATA/g722_vectors.txt"
