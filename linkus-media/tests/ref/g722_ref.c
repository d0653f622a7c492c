/*
 * Generates the G.722 (64 kbit/s) reference vectors of linkus-media's tests
 * with spandsp, a bit-exact implementation of ITU-T G.722.
 * Built and run by gen_g722_vectors.sh (this folder); see ../data/README.md.
 *
 *   g722_ref encode IN.raw FRAMES OUT.g722     first FRAMES 20 ms frames of a 16 kHz
 *                                                s16le mono file -> G.722 bitstream
 *   g722_ref decode IN.g722 OUT.raw              bitstream -> 16 kHz s16le mono PCM
 *   g722_ref noise SAMPLES SEED OUT.raw          full-scale pseudo-random PCM (xorshift32)
 *   g722_ref bytes COUNT SEED OUT.g722           pseudo-random bytes (xorshift32), a
 *                                                "bitstream" with every code, valid or not
 *
 * Files are written little-endian; encode/decode run in 20 ms frames (320 samples /
 * 160 bytes), the way an RTP endpoint calls the codec.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#define FRAME_SAMPLES 320
#define FRAME_BYTES 160

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "g722_ref: %s %s\n", msg, arg ? arg : "");
    exit(1);
}

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) die("cannot read", path);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void write_all(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) die("cannot write", path);
    fclose(f);
}

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static int16_t le16(const uint8_t *p) { return (int16_t)(uint16_t)(p[0] | (p[1] << 8)); }

static void put_le16(uint8_t *p, int16_t v)
{
    p[0] = (uint8_t)((uint16_t)v & 0xFF);
    p[1] = (uint8_t)((uint16_t)v >> 8);
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "encode")) {
        size_t n;
        uint8_t *raw = read_all(argv[2], &n);
        size_t frames = (size_t)atol(argv[3]);
        if (frames * FRAME_SAMPLES * 2 > n) die("input too short for", argv[3]);
        g722_encode_state_t *enc = g722_encode_init(NULL, 64000, 0);
        uint8_t *out = malloc(frames * FRAME_BYTES);
        int16_t pcm[FRAME_SAMPLES];
        for (size_t f = 0; f < frames; f++) {
            for (int i = 0; i < FRAME_SAMPLES; i++) pcm[i] = le16(raw + 2 * (f * FRAME_SAMPLES + i));
            if (g722_encode(enc, out + f * FRAME_BYTES, pcm, FRAME_SAMPLES) != FRAME_BYTES)
                die("g722_encode: unexpected length", NULL);
        }
        write_all(argv[4], out, frames * FRAME_BYTES);
        g722_encode_free(enc);
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "decode")) {
        size_t n;
        uint8_t *bits = read_all(argv[2], &n);
        if (n % FRAME_BYTES) die("bitstream is not whole 20 ms frames:", argv[2]);
        g722_decode_state_t *dec = g722_decode_init(NULL, 64000, 0);
        uint8_t *out = malloc(n * 4);
        int16_t pcm[FRAME_SAMPLES];
        for (size_t f = 0; f < n / FRAME_BYTES; f++) {
            if (g722_decode(dec, pcm, bits + f * FRAME_BYTES, FRAME_BYTES) != FRAME_SAMPLES)
                die("g722_decode: unexpected length", NULL);
            for (int i = 0; i < FRAME_SAMPLES; i++) put_le16(out + 2 * (f * FRAME_SAMPLES + i), pcm[i]);
        }
        write_all(argv[3], out, n * 4);
        g722_decode_free(dec);
        return 0;
    }
    if (argc == 5 && (!strcmp(argv[1], "noise") || !strcmp(argv[1], "bytes"))) {
        size_t count = (size_t)atol(argv[2]);
        uint32_t seed = (uint32_t)strtoul(argv[3], NULL, 0);
        if (!seed) die("seed must be non-zero", NULL);
        int pcm = !strcmp(argv[1], "noise");
        uint8_t *out = malloc(count * 2);
        for (size_t i = 0; i < count; i++) {
            uint32_t r = xorshift32(&seed);
            if (pcm) put_le16(out + 2 * i, (int16_t)(uint16_t)(r >> 16));
            else out[i] = (uint8_t)(r >> 24);
        }
        write_all(argv[4], out, count * (pcm ? 2 : 1));
        return 0;
    }
    fprintf(stderr, "usage: see the comment at the top of g722_ref.c\n");
    return 2;
}
