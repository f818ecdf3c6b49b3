/* stream.c - one captured direction of a JXTA TCP connection: the welcome
 * line, then frames back to back until EOF.  Used by jxta-msg to dump and
 * round-trip capture files and by the tests to check that every byte of a
 * real JXSE conversation is accounted for.  The input must end exactly on
 * a frame boundary: a capture that stops mid-frame is reported as
 * truncated rather than silently shortened. */
#include <jxta/frame.h>

#include "../util/internal.h"

void jxta_stream_free(jxta_stream_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nframes; i++)
        jxta_frame_free(s->frames[i]);
    free(s->frames);
    free(s->offsets);
    free(s);
}

static int push_frame(jxta_stream_t *s, size_t *cap, jxta_frame_t *f, size_t off)
{
    if (s->nframes == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        jxta_frame_t **fv = realloc(s->frames, nc * sizeof *fv);
        if (!fv)
            return JXTA_ENOMEM;
        s->frames = fv;
        size_t *ov = realloc(s->offsets, nc * sizeof *ov);
        if (!ov)
            return JXTA_ENOMEM;
        s->offsets = ov;
        *cap = nc;
    }
    s->frames[s->nframes] = f;
    s->offsets[s->nframes] = off;
    s->nframes++;
    return 0;
}

int jxta_stream_parse(const void *p, size_t len, const jxta_frame_limits_t *lim,
                      jxta_stream_t **out, size_t *err_offset)
{
    const uint8_t *in = p;
    size_t pos = 0, cap = 0;
    int rc;
    if (!out || (!p && len))
        return JXTA_EINVAL;
    *out = NULL;
    jxta_stream_t *s = calloc(1, sizeof *s);
    if (!s)
        return JXTA_ENOMEM;
    if ((rc = jxta_welcome_parse(in, len, &s->welcome, &s->welcome_len)) < 0)
        goto fail;
    pos = s->welcome_len;
    while (pos < len) {
        jxta_frame_t *f;
        size_t used;
        if ((rc = jxta_frame_decode(in + pos, len - pos, lim, &f, &used)) < 0) {
            jxta__reject(rc, "stream", "frame %zu at stream offset %zu: %s", s->nframes + 1, pos,
                         jxta_strerror(rc));
            goto fail;
        }
        if ((rc = push_frame(s, &cap, f, pos)) < 0) {
            jxta_frame_free(f);
            goto fail;
        }
        pos += used;
    }
    *out = s;
    return 0;
fail:
    if (err_offset)
        *err_offset = pos;
    jxta_stream_free(s);
    return rc;
}

int jxta_stream_encode(const jxta_stream_t *s, jxta_buf_t *out)
{
    int rc = jxta_welcome_format(&s->welcome, out);
    for (size_t i = 0; i < s->nframes && rc == 0; i++)
        rc = jxta_frame_encode(s->frames[i], out);
    return rc;
}
