/*
 * The C reference of the rss fuzz target: tests/MiniVmm.Benchmarks/reference/toeplitz_ref.c,
 * included unchanged, answering requests on stdin with results on stdout, so the managed side
 * runs it as a small process (no P/Invoke outside the interop projects) and one process serves
 * a whole fuzzing session. All integers little-endian.
 *
 * request 1 (classify and hash a frame):
 *   u8 1, u32 hash_types, u8 key_len, key[key_len], u16 table_len (1..128, a power of two),
 *   u16 table[table_len], u16 unclassified, u16 frame_len, frame[frame_len]
 *   answer: u32 hash, u8 report, u8 0, u16 queue
 * request 2 (Toeplitz of raw input bytes):
 *   u8 2, u8 key_len, key[key_len], u8 input_len (at most 36), input[input_len]
 *   answer: u32 hash, u32 0
 * A malformed request ends the process with status 2.
 */
#define main toeplitz_ref_main
#include "../../MiniVmm.Benchmarks/reference/toeplitz_ref.c"
#undef main

static uint8_t current_key[256];
static int current_key_len = -1;

static void take(void *buffer, size_t bytes)
{
    if (bytes != 0 && fread(buffer, 1, bytes, stdin) != bytes)
        exit(2);
}

static unsigned u8(void) { uint8_t v; take(&v, 1); return v; }
static unsigned u16(void) { uint8_t b[2]; take(b, 2); return b[0] | (b[1] << 8); }
static uint32_t u32(void) { uint8_t b[4]; take(b, 4); return b[0] | (b[1] << 8) | (b[2] << 16) | ((uint32_t)b[3] << 24); }

/* build_tables is the reference's; only rebuild when the key changes (it costs 9,216 steps). */
static void use_key(void)
{
    uint8_t key[256];
    int len = (int)u8();
    take(key, len);
    if (len != current_key_len || memcmp(key, current_key, len) != 0) {
        memcpy(current_key, key, len);
        current_key_len = len;
        build_tables(current_key, len);
    }
}

static void answer(uint32_t hash, uint8_t report, uint16_t queue)
{
    uint8_t out[8] = {
        hash, hash >> 8, hash >> 16, hash >> 24, report, 0, queue, queue >> 8,
    };
    fwrite(out, 1, sizeof(out), stdout);
    fflush(stdout);
}

int main(void)
{
    static uint8_t frame[65536];
    uint16_t table[128];
    int op;
    while ((op = getchar()) != EOF) {
        if (op == 1) {
            uint32_t types = u32();
            use_key();
            unsigned table_len = u16();
            if (table_len == 0 || table_len > 128 || (table_len & (table_len - 1)))
                return 2;
            for (unsigned i = 0; i < table_len; i++)
                table[i] = (uint16_t)u16();
            uint16_t unclassified = (uint16_t)u16();
            unsigned len = u16();
            take(frame, len);
            struct result r = compute(frame, (int)len, types, table, table_len, unclassified);
            answer(r.hash, (uint8_t)r.report, r.queue);
        } else if (op == 2) {
            use_key();
            unsigned len = u8();
            if (len > MAX_INPUT)
                return 2;
            uint8_t input[MAX_INPUT];
            take(input, len);
            uint32_t hash = 0;
            for (unsigned i = 0; i < len; i++)
                hash ^= toeplitz_table[i][input[i]];
            answer(hash, 0, 0);
        } else {
            return 2;
        }
    }
    return 0;
}
