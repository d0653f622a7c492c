#!/usr/bin/env bash
# Regenerates linkus-media/tests/data/ilbc*: 3 s of the codec-ref test speech,
# our iLBC encoder's bitstreams of it in 20 and 30 ms mode (RFC 3951 storage
# files, `#!iLBC20\n` / `#!iLBC30\n` then the frames), 50 random valid frames
# per mode (ilbc_random_frames.py, needs python3), and FFmpeg's decoding of all
# of them with its own iLBC decoder (Debian 12: ffmpeg 5.1).
# Not run by the tests or CI: the tests use the committed files.
#
#   ./gen_ilbc_vectors.sh [SPEECH_8K_RAW]
#   (default input: ../../../../shared/tools/codec-ref/speech_8k.raw)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/../data
SPEECH=${1:-$HERE/../../../../shared/tools/codec-ref/speech_8k.raw}
[[ -s $SPEECH ]] || { echo "no input $SPEECH" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "missing ffmpeg (apt-get install ffmpeg)" >&2; exit 1; }
[[ $(ffmpeg -hide_banner -formats 2>/dev/null) == *" ilbc "* ]] || { echo "this ffmpeg has no ilbc demuxer" >&2; exit 1; }
mkdir -p "$DATA"
# 1. input: the first 3 s (24000 samples: 150 frames of 20 ms, 100 of 30 ms).
head -c $((24000 * 2)) "$SPEECH" >"$DATA/ilbc_speech.in.raw"
# 2. our encoder's bitstreams (the ignored test `write_bitstreams` writes them).
(cd "$HERE/../.." && ILBC_VECTORS_DIR="$DATA" cargo test -q --release --test ilbc_ffmpeg_vectors -- --ignored --exact write_bitstreams)
# 3. 50 random valid frames per mode: parameters our encoder would not choose.
for m in 20 30; do
  python3 "$HERE/ilbc_random_frames.py" "$m" 50 $((1000 + m)) "$DATA/ilbc${m}_random.lbc"
done
# 4. FFmpeg's decoding of them all.
for m in 20 30; do
  for what in speech random; do
    ffmpeg -hide_banner -loglevel error -y -f ilbc -i "$DATA/ilbc${m}_${what}.lbc" \
      -f s16le -ar 8000 -ac 1 "$DATA/ilbc${m}_${what}.ffmpeg.raw"
  done
done
{
  echo "$(ffmpeg -hide_banner -version | head -1) ($(dpkg-query -W -f '${Package} ${Version}' ffmpeg 2>/dev/null || echo 'not a Debian package'))"
  echo "input $(basename "$SPEECH") sha256 $(sha256sum "$SPEECH" | cut -d' ' -f1)"
  (cd "$DATA" && sha256sum ilbc_speech.in.raw ilbc*_speech.lbc ilbc*_random.lbc ilbc*.ffmpeg.raw)
} >"$DATA/ilbc_vectors.txt"
cat "$DATA/ilbc_vectors.txt"
