/* jxta/frame.h - the JXSE 2.5 TCP binding: welcome line, message packages
 * ("frames") and whole captured stream directions (PROTOCOLS.md 4.2-4.3).
 *
 * A TCP connection starts with one welcome line per direction, then
 * carries frames back to back: a header block (name/value pairs ended by
 * a zero byte; content-type and content-length mandatory) and a body of
 * content-length bytes, normally a version-0 message.
 *
 * Decoded frames keep every header in wire order with its raw value, so a
 * frame re-encodes byte-identically; frames built from a message get
 * exactly the 63-byte header block JXSE writes.  The incremental parser
 * (jxta_frame_parser_*) accepts input in arbitrary chunks so a
 * non-blocking event loop can feed it straight from recv(); it never
 * buffers more than the header limit plus one body, and refuses a hostile
 * content-length before allocating. */
#ifndef JXTA_FRAME_H
#define JXTA_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <jxta/buf.h>
#include <jxta/id.h>
#include <jxta/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Frames (message packages) ---------------------------------------- */

#define JXTA_FRAME_HDR_CONTENT_TYPE "content-type"
#define JXTA_FRAME_HDR_CONTENT_LENGTH "content-length"
/* Size of the header block JXSE writes (content-type + 8-byte length). */
#define JXTA_FRAME_JXSE_HEADER_LEN 63

typedef struct jxta_frame_limits {
    uint64_t max_body;       /* content-length (default 16 MiB) */
    size_t max_headers;      /* headers per frame (default 16) */
    size_t max_header_bytes; /* whole header block (default 64 KiB) */
} jxta_frame_limits_t;

void jxta_frame_limits_default(jxta_frame_limits_t *lim);

typedef struct jxta_frame_hdr {
    char *name;     /* as on the wire (case kept), NUL-terminated */
    uint8_t *value; /* raw bytes, NUL-terminated for convenience (not counted) */
    size_t value_len;
} jxta_frame_hdr_t;

/* A decoded or built frame.  Fields are read-only for users; use the
 * functions below to build one. */
typedef struct jxta_frame {
    jxta_frame_hdr_t *hdrs; /* wire order */
    size_t nhdrs;
    uint8_t *body;
    size_t body_len; /* == content-length */
} jxta_frame_t;

/* Decode one frame at the start of [p, p+len).  If `consumed` is NULL the
 * frame must span the whole input (JXTA_ETRAILING otherwise); if not NULL
 * it receives the frame's size and trailing bytes are left alone.
 * Errors: JXTA_ETRUNC, JXTA_ETRAILING, JXTA_EMISSING (content-type or
 * content-length absent), JXTA_EPROTO (duplicate header, content-length
 * not 8 bytes), JXTA_EUTF8 (header name or content-type), JXTA_ETOOBIG
 * (limits), JXTA_ENOMEM. */
int jxta_frame_decode(const void *p, size_t len, const jxta_frame_limits_t *lim,
                      jxta_frame_t **out, size_t *consumed);
void jxta_frame_free(jxta_frame_t *f);

/* A frame holding a copy of `body`, with JXSE's two headers. */
int jxta_frame_new(const char *content_type, const void *body, size_t len, jxta_frame_t **out);

/* Case-insensitive header lookup; value and length, or NULL. */
const uint8_t *jxta_frame_header(const jxta_frame_t *f, const char *name, size_t *len);
/* content-type value (NUL-terminated). */
const char *jxta_frame_content_type(const jxta_frame_t *f);

/* Re-encode (headers in their order with their raw values, then body).
 * JXTA_EINVAL if content-length does not match body_len. */
int jxta_frame_encode(const jxta_frame_t *f, jxta_buf_t *out);
/* JXSE's 63-byte header block for a body of `body_len` bytes. */
void jxta_frame_encode_header(jxta_buf_t *out, uint64_t body_len);
/* A whole frame for `m` exactly as JXSE's TCP messenger sends it
 * (version-0 body). */
int jxta_frame_encode_msg(const jxta_msg_t *m, jxta_buf_t *out);
/* Decode the body as a message.  JXTA_EPROTO if the content-type is not
 * application/x-jxta-msg; otherwise as jxta_msg_decode. */
int jxta_frame_decode_msg(const jxta_frame_t *f, const jxta_msg_limits_t *lim, jxta_msg_t **out);
/* Same result, but consumes `f` (freed in every case) and lets the message
 * keep the frame's body instead of copying each element body out of it
 * (see jxta_msg_decode_owned). */
int jxta_frame_take_msg(jxta_frame_t *f, const jxta_msg_limits_t *lim, jxta_msg_t **out);

/* Incremental parser.  Feed bytes as they arrive:
 *   rc = jxta_frame_parser_feed(p, data, len, &used, &frame);
 * rc 0: every byte was used, more are needed; rc 1: *frame holds a complete
 * frame (caller frees) and `used` (<= len) bytes were taken, so feed the
 * rest again; rc < 0: the stream is broken (error is sticky; close the
 * connection).  jxta_frame_parser_idle() says whether the parser sits on a
 * frame boundary (EOF there is clean). */
typedef struct jxta_frame_parser jxta_frame_parser_t;

int jxta_frame_parser_new(const jxta_frame_limits_t *lim, jxta_frame_parser_t **out);
void jxta_frame_parser_free(jxta_frame_parser_t *p);
int jxta_frame_parser_feed(jxta_frame_parser_t *p, const void *data, size_t len, size_t *used,
                           jxta_frame_t **frame);
int jxta_frame_parser_idle(const jxta_frame_parser_t *p);
/* Total bytes taken since creation (stream offset, for error messages). */
uint64_t jxta_frame_parser_offset(const jxta_frame_parser_t *p);

/* Reading a body in place.  While the parser is inside a frame body,
 * jxta_frame_parser_body_space() returns 1 and sets *ptr and *len to where the
 * rest of that body goes (*len > 0: exactly the bytes still missing, never
 * more), so a caller may recv() straight into it; otherwise it returns 0
 * with *ptr NULL and *len 0 (use jxta_frame_parser_feed), or the sticky
 * error.  After writing n <= *len bytes there, jxta_frame_parser_body_commit
 * takes them exactly as jxta_frame_parser_feed would have: rc 1 and *frame
 * when the body is complete, rc 0 when more is needed (or n == 0), the
 * sticky error, or JXTA_EINVAL (not sticky) if n exceeds the space.  The
 * space is valid until the next call on the parser other than _body_space,
 * _idle and _offset. */
int jxta_frame_parser_body_space(jxta_frame_parser_t *p, void **ptr, size_t *len);
int jxta_frame_parser_body_commit(jxta_frame_parser_t *p, size_t n, jxta_frame_t **frame);

/* ---- Welcome line ---------------------------------------------------- */

/* Longest welcome line JXSE reads, CRLF included. */
#define JXTA_WELCOME_MAX 4096

typedef struct jxta_welcome {
    const char *dest;     /* address the sender believes it talks to */
    const char *pub;      /* sender's public (return) address */
    const char *peer_str; /* peer ID as written (may be NULL when formatting) */
    jxta_id_t peer;       /* parsed peer ID */
    int noprop;           /* 1 = do not send me propagated messages */
    int msg_version;      /* preferred message version (3.0 form), else -1 */
    const char *version;  /* "1.1", "3.0" or another accepted string */
    const char *extra;    /* other versions only: the tokens between peer ID
                             and version, as written (NULL if none) */
    char store_[JXTA_WELCOME_MAX + 1]; /* backs the strings after parsing */
} jxta_welcome_t;

/* Parse a welcome line at the start of [p, p+len).  JXTA_ETRUNC if no CRLF
 * yet (and fewer than JXTA_WELCOME_MAX bytes), JXTA_ETOOBIG if none within
 * JXTA_WELCOME_MAX bytes, JXTA_EMAGIC if it does not start with
 * "JXTAHELLO ", JXTA_EPROTO for a bad token count, empty token, control
 * character, bad address, noprop or message version, JXTA_EBADID for the
 * peer ID, JXTA_EUTF8.  *consumed = line length including CRLF. */
int jxta_welcome_parse(const void *p, size_t len, jxta_welcome_t *w, size_t *consumed);
/* Fill a 1.1 welcome (the form JXSE sends). */
void jxta_welcome_init(jxta_welcome_t *w, const char *dest, const char *pub,
                       const jxta_id_t *peer, int noprop);
/* Append the line with CRLF.  Uses peer_str if set, else the canonical
 * text of `peer`; "1.1" and "3.0" write noprop (and, for 3.0, msg_version),
 * other versions write `extra` (if set) between peer ID and version.
 * JXTA_EINVAL for missing/bad fields or a line over JXTA_WELCOME_MAX. */
int jxta_welcome_format(const jxta_welcome_t *w, jxta_buf_t *out);

/* ---- Whole stream direction ------------------------------------------ */

/* One direction of a TCP connection as captured: a welcome line, then
 * frames until EOF. */
typedef struct jxta_stream {
    jxta_welcome_t welcome;
    size_t welcome_len;
    jxta_frame_t **frames;
    size_t *offsets; /* stream offset of each frame */
    size_t nframes;
} jxta_stream_t;

/* Parse a complete direction; the input must end exactly on a frame
 * boundary (JXTA_ETRUNC otherwise).  *err_offset (optional) gets the stream
 * offset of the failing frame or welcome on error. */
int jxta_stream_parse(const void *p, size_t len, const jxta_frame_limits_t *lim,
                      jxta_stream_t **out, size_t *err_offset);
void jxta_stream_free(jxta_stream_t *s);
/* Welcome line then every frame, re-encoded. */
int jxta_stream_encode(const jxta_stream_t *s, jxta_buf_t *out);

#ifdef __cplusplus
}
#endif
#endif
