/* gzip.c - RFC 1952 gzip streams for SRDI elements (PROTOCOLS.md 7.1, 7.4).
 *
 * JXSE gzips every SRDI element with java.util.zip.GZIPOutputStream: a
 * fixed ten-byte header (no name, mtime 0, XFL 0, OS 0xff on the JDK used
 * for the captures), raw deflate at the default level with zlib's default
 * window and memory level, then CRC-32 and length.  jxta_gzip writes
 * exactly that, so our elements match JXSE's byte for byte.
 *
 * jxta_gunzip parses the header itself (zlib's gzip mode would hide which
 * rule was broken) and inflates raw deflate in fixed-size chunks, checking
 * the running total against the caller's cap before anything is appended:
 * memory use is bounded by the cap whatever the compression ratio. */
#include <zlib.h>

#include <jxta/srdi.h>

#include "../util/internal.h"

#define MOD "gzip"

/* Header as written by GZIPOutputStream (captured JXSE SRDI elements). */
static const uint8_t java_header[10] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff};

#define FTEXT 0x01
#define FHCRC 0x02
#define FEXTRA 0x04
#define FNAME 0x08
#define FCOMMENT 0x10

static void put_le32(jxta_buf_t *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    jxta_buf_append(b, x, 4);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int jxta_gzip(const void *p, size_t n, jxta_buf_t *out)
{
    if (!out || (!p && n))
        return JXTA_EINVAL;
    size_t start = out->len;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return JXTA_ENOMEM;
    jxta_buf_append(out, java_header, sizeof java_header);
    const uint8_t *in = p;
    size_t left = n;
    uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);
    int zrc = Z_OK;
    for (;;) {
        uInt feed = left > (1u << 30) ? (1u << 30) : (uInt)left;
        z.next_in = (Bytef *)(uintptr_t)in;
        z.avail_in = feed;
        crc = (uint32_t)crc32(crc, in, feed);
        int flush = feed == left ? Z_FINISH : Z_NO_FLUSH;
        do {
            uint8_t chunk[16384];
            z.next_out = chunk;
            z.avail_out = sizeof chunk;
            zrc = deflate(&z, flush);
            if (zrc == Z_STREAM_ERROR)
                break;
            jxta_buf_append(out, chunk, sizeof chunk - z.avail_out);
        } while (z.avail_out == 0 || (flush == Z_FINISH && zrc != Z_STREAM_END));
        in += feed;
        left -= feed;
        if (flush == Z_FINISH || zrc == Z_STREAM_ERROR || jxta_buf_error(out))
            break;
    }
    deflateEnd(&z);
    put_le32(out, crc);
    put_le32(out, (uint32_t)n); /* ISIZE is the length modulo 2^32 */
    int rc = jxta_buf_error(out);
    if (rc == 0 && zrc != Z_STREAM_END)
        rc = jxta__reject(JXTA_ENOMEM, MOD, "deflate failed (%d)", zrc);
    if (rc < 0 && out->len > start)
        out->len = start;
    return rc;
}

/* Skip the optional header fields; returns 0 with r positioned at the
 * deflate data, or a logged error.  `m` is the member number (0-based). */
static int read_header(jxta_reader_t *r, unsigned m)
{
    size_t hstart = r->pos;
    const uint8_t *h = jxta_reader_bytes(r, 10);
    if (!h) {
        size_t have = r->len - hstart;
        if ((have >= 1 && r->p[hstart] != 0x1f) || (have >= 2 && r->p[hstart + 1] != 0x8b))
            return jxta__reject(JXTA_EMAGIC, MOD, "member %u: not a gzip stream (magic %02x...)", m,
                                r->p[hstart]);
        return jxta__reject(JXTA_ETRUNC, MOD, "member %u: header truncated (%zu of 10 bytes)", m,
                            r->len - hstart);
    }
    if (h[0] != 0x1f || h[1] != 0x8b)
        return jxta__reject(JXTA_EMAGIC, MOD, "member %u: not a gzip stream (magic %02x %02x)", m,
                            h[0], h[1]);
    if (h[2] != 8)
        return jxta__reject(JXTA_EPROTO, MOD, "member %u: compression method %u is not deflate", m,
                            h[2]);
    uint8_t flg = h[3];
    if (flg & 0xe0)
        return jxta__reject(JXTA_EPROTO, MOD, "member %u: reserved header flags 0x%02x set", m,
                            flg);
    if (flg & FEXTRA) {
        uint16_t xlen = jxta_reader_u8(r);
        xlen |= (uint16_t)(jxta_reader_u8(r) << 8);
        if (!r->err)
            (void)jxta_reader_bytes(r, xlen);
    }
    for (int f = FNAME; f <= FCOMMENT && !r->err; f <<= 1) {
        if (!(flg & f))
            continue;
        const uint8_t *z = r->pos < r->len ? memchr(r->p + r->pos, 0, r->len - r->pos) : NULL;
        if (!z)
            r->err = JXTA_ETRUNC;
        else
            r->pos = (size_t)(z - r->p) + 1;
    }
    if (!r->err && (flg & FHCRC)) {
        uint32_t want = (uint32_t)crc32(0L, r->p + hstart, (uInt)(r->pos - hstart)) & 0xffffu;
        uint16_t got = jxta_reader_u8(r);
        got |= (uint16_t)(jxta_reader_u8(r) << 8);
        if (!r->err && got != want)
            return jxta__reject(JXTA_EPROTO, MOD, "member %u: header CRC %04x, computed %04x", m,
                                got, (unsigned)want);
    }
    if (r->err)
        return jxta__reject(JXTA_ETRUNC, MOD, "member %u: optional header fields truncated", m);
    return 0;
}

/* Inflate one member's deflate data from r into out, at most `room` bytes.
 * On success r is positioned after the deflate data, *crc / *size are the
 * checksum and length of what was produced. */
static int inflate_member(jxta_reader_t *r, unsigned m, size_t room, size_t max_out,
                          jxta_buf_t *out, uint32_t *crc, size_t *size)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
        return jxta__reject(JXTA_ENOMEM, MOD, "inflateInit2 failed");
    *crc = (uint32_t)crc32(0L, Z_NULL, 0);
    *size = 0;
    int rc = 0;
    for (;;) {
        size_t avail = r->len - r->pos;
        uInt feed = avail > (1u << 30) ? (1u << 30) : (uInt)avail;
        z.next_in = (Bytef *)(uintptr_t)(r->p + r->pos);
        z.avail_in = feed;
        uint8_t chunk[16384];
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        int zrc = inflate(&z, Z_NO_FLUSH);
        r->pos += feed - z.avail_in;
        size_t got = sizeof chunk - z.avail_out;
        if (got > room - *size) {
            rc = jxta__reject(JXTA_ETOOBIG, MOD,
                              "member %u: inflates past the %zu-byte cap (%zu bytes from the "
                              "first %zu input bytes)",
                              m, max_out, (max_out - room) + *size + got, r->pos);
            break;
        }
        if (got) {
            *crc = (uint32_t)crc32(*crc, chunk, (uInt)got);
            *size += got;
            jxta_buf_append(out, chunk, got);
            if ((rc = jxta_buf_error(out)) < 0)
                break;
        }
        if (zrc == Z_STREAM_END)
            break;
        if (zrc == Z_MEM_ERROR) {
            rc = jxta__reject(JXTA_ENOMEM, MOD, "member %u: inflate out of memory", m);
            break;
        }
        if (zrc == Z_DATA_ERROR || zrc == Z_NEED_DICT || zrc == Z_STREAM_ERROR) {
            rc = jxta__reject(JXTA_EPROTO, MOD, "member %u: corrupt deflate data near byte %zu: %s",
                              m, r->pos, z.msg ? z.msg : "error");
            break;
        }
        if (got == 0 && z.avail_in == 0 && r->pos == r->len) {
            /* No progress possible: the deflate data stops before its end. */
            rc = jxta__reject(JXTA_ETRUNC, MOD, "member %u: deflate data truncated at byte %zu", m,
                              r->pos);
            break;
        }
    }
    inflateEnd(&z);
    return rc;
}

int jxta_gunzip(const void *p, size_t n, size_t max_out, jxta_buf_t *out)
{
    if (!out || (!p && n))
        return JXTA_EINVAL;
    if (max_out == 0)
        max_out = JXTA_GZIP_DEFAULT_MAX;
    size_t start = out->len;
    jxta_reader_t r;
    jxta_reader_init(&r, p, n);
    size_t total = 0;
    int rc = 0;
    for (unsigned m = 0;; m++) {
        if (m > 0 && jxta_reader_left(&r) == 0)
            break;
        if (m > 0 && (jxta_reader_left(&r) < 2 || r.p[r.pos] != 0x1f || r.p[r.pos + 1] != 0x8b)) {
            rc = jxta__reject(JXTA_ETRAILING, MOD, "%zu bytes of garbage after gzip member %u",
                              jxta_reader_left(&r), m - 1);
            break;
        }
        if ((rc = read_header(&r, m)) < 0)
            break;
        uint32_t crc;
        size_t size;
        if ((rc = inflate_member(&r, m, max_out - total, max_out, out, &crc, &size)) < 0)
            break;
        total += size;
        const uint8_t *t = jxta_reader_bytes(&r, 8);
        if (!t) {
            rc = jxta__reject(JXTA_ETRUNC, MOD, "member %u: trailer truncated (%zu of 8 bytes)", m,
                              jxta_reader_left(&r));
            break;
        }
        if (get_le32(t) != crc) {
            rc = jxta__reject(JXTA_EPROTO, MOD, "member %u: CRC-32 %08x, data has %08x", m,
                              get_le32(t), crc);
            break;
        }
        if (get_le32(t + 4) != (uint32_t)size) {
            rc = jxta__reject(JXTA_EPROTO, MOD, "member %u: size field %u, data has %zu bytes", m,
                              get_le32(t + 4), size);
            break;
        }
    }
    if (rc < 0 && out->len > start)
        out->len = start;
    return rc;
}
