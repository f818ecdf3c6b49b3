/* jxta/pipe_doc.h - the Pipe Binding Protocol documents (PROTOCOLS.md 9.2,
 * 9.5): jxta:PipeResolver, the query and answer that bind a unicast pipe,
 * carried as the text of a ResolverQuery `Query` / ResolverResponse
 * `Response` for handler JxtaPipeResolver; and the JxtaWire header that
 * travels in element jxta:JxtaWireHeader of every propagate-pipe message.
 *
 * Both are plain C values with parse/write functions, usable on captured
 * traffic without a running pipe service.  Writing reproduces JXSE 2.5's
 * tab-indented layout (root with xmlns:jxta only, each field on its own
 * lines), checked byte for byte against the captured answers and queries.
 * A jxta:PipeResolver is written without a trailing newline (the text as it
 * sits, trimmed, in the resolver document); a JxtaWire header is a whole
 * message element body and ends with the newline JXSE puts there.
 *
 * Parsing treats the text as hostile: a bounded element tree (depth, size,
 * nodes) and every rule below checked, each rejection logged (module
 * "pipe") with a specific code:
 *   JXTA_EADVTYPE  root is not jxta:PipeResolver / JxtaWire (or type="JxtaWire")
 *   JXTA_EMISSING  MsgType, PipeId or Type absent or empty; an Answer
 *                  without Peer; an empty PeerAdv; wire MsgId/PipeId/TTL absent
 *   JXTA_EBADID    PipeId not a pipe ID, a Peer / SrcPeer not a peer ID, or
 *                  malformed (JXTA_ENONCANON for non-canonical spellings:
 *                  JXSE's SRDI index compares pipe IDs as strings)
 *   JXTA_EPROTO    MsgType neither Query nor Answer, a repeated single
 *                  field, a PeerAdv whose PID is none of the Peers,
 *                  a TTL that is not a decimal number
 *   JXTA_ERANGE    TTL below 1 or beyond int
 *   JXTA_ETOOBIG   more than JXTA_PIPE_RES_MAX_PEERS Peer elements, a MsgId
 *                  longer than the 63 bytes we keep
 *   (plus the PeerAdv's own advertisement errors, and the XML layer's
 *   JXTA_EXML, JXTA_EUTF8, JXTA_EDEPTH, JXTA_ETOOBIG).
 * As in JXSE: Found reads true only for "true" (any case), Cached and
 * unknown children are ignored, and so are VisitedPeer in a wire header.
 * Repeated Peer IDs are kept once (JXSE holds them in a set).  Found and
 * PeerAdv are answer fields: they are ignored in a query. */
#ifndef JXTA_PIPE_DOC_H
#define JXTA_PIPE_DOC_H

#include <stddef.h>

#include <jxta/buf.h>
#include <jxta/id.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JXTA_PIPE_RESOLVER_HANDLER "JxtaPipeResolver"

/* Pipe types (PROTOCOLS.md 9.1); any other text is kept as it is. */
#define JXTA_PIPE_UNICAST "JxtaUnicast"
#define JXTA_PIPE_UNICAST_SECURE "JxtaUnicastSecure"
#define JXTA_PIPE_PROPAGATE "JxtaPropagate"

#define JXTA_PIPE_RES_QUERY 0
#define JXTA_PIPE_RES_ANSWER 1
/* Peer elements accepted in one document (JXSE answers name one peer). */
#define JXTA_PIPE_RES_MAX_PEERS 256
/* Nesting allowed in either document (the real ones have depth 2). */
#define JXTA_PIPE_DOC_MAX_DEPTH 8u

typedef struct jxta_pipe_res {
    int answer;        /* JXTA_PIPE_RES_QUERY / JXTA_PIPE_RES_ANSWER */
    jxta_id_t pipe_id; /* a pipe ID */
    char *type;        /* pipe type, trimmed, never empty */
    jxta_id_t *peers;  /* query: peers asked (0 = anybody); answer: >= 1 */
    size_t npeers;
    int found;         /* answer: 1 / 0, -1 = no Found element; query: -1 */
    char *peer_adv;    /* answer: the PA document (unescaped text), or NULL */
} jxta_pipe_res_t;

/* A query for pipe_id of `type` (NULL = JxtaUnicast), directed at
 * peers[0..npeers) (npeers 0: anybody).  JXTA_EBADID for a pipe ID or peer
 * of the wrong kind, JXTA_ETOOBIG past the peer limit, JXTA_EINVAL for a
 * type that is empty or not XML text. */
int jxta_pipe_res_new_query(const jxta_id_t *pipe_id, const char *type, const jxta_id_t *peers,
                            size_t npeers, jxta_pipe_res_t **out);
/* An answer about `peer` (found 0/1).  peer_adv (may be NULL) is the
 * complete PA document of that peer: it must parse as a jxta:PA whose PID
 * is `peer` (else its parse error, or JXTA_EPROTO). */
int jxta_pipe_res_new_answer(const jxta_id_t *pipe_id, const char *type, const jxta_id_t *peer,
                             int found, const char *peer_adv, jxta_pipe_res_t **out);
/* Parse the jxta:PipeResolver document in text[0..len). */
int jxta_pipe_res_parse(const void *text, size_t len, jxta_pipe_res_t **out);
/* Append the document as JXSE writes it to `out`.  JXTA_EINVAL (logged)
 * for a value that could not be read back the same (untrimmed or empty
 * type, wrong ID kinds, an answer without peers...). */
int jxta_pipe_res_write(const jxta_pipe_res_t *r, jxta_buf_t *out);
/* Same, as a malloc'd NUL-terminated string. */
int jxta_pipe_res_to_string(const jxta_pipe_res_t *r, char **out);
/* Free the members and zero the struct (for one the caller holds). */
void jxta_pipe_res_clear(jxta_pipe_res_t *r);
/* Clear and free what the constructors and the parser return. */
void jxta_pipe_res_free(jxta_pipe_res_t *r);
/* 1 if `peer` is among r's peers. */
int jxta_pipe_res_has_peer(const jxta_pipe_res_t *r, const jxta_id_t *peer);

/* ---- JxtaWire header (element jxta:JxtaWireHeader) ---------------------- */

#define JXTA_WIRE_HEADER_ELEMENT "JxtaWireHeader"
#define JXTA_WIRE_SERVICE "jxta.service.wirepipe"
/* TTL JXSE sends to everybody; larger values are read as this. */
#define JXTA_WIRE_MAX_TTL 200
/* Message IDs seen that a receiver remembers (JXSE: 250). */
#define JXTA_WIRE_SEEN_IDS 250

typedef struct jxta_wire_hdr {
    int has_src;        /* SrcPeer present (and not the Null ID) */
    jxta_id_t src_peer; /* a peer ID when has_src */
    jxta_id_t pipe_id;  /* a pipe ID */
    char msg_id[64];    /* non-empty text, NUL-terminated */
    int ttl;            /* 1..JXTA_WIRE_MAX_TTL */
} jxta_wire_hdr_t;

/* Fill a header for a new message: src may be NULL, a fresh message ID,
 * ttl 0 = JXTA_WIRE_MAX_TTL (sent to everybody), 1 for explicit peers.
 * JXTA_EBADID for IDs of the wrong kind, JXTA_ERANGE for a bad ttl. */
int jxta_wire_hdr_init(jxta_wire_hdr_t *h, const jxta_id_t *src, const jxta_id_t *pipe_id,
                       int ttl);
/* A fresh message ID as JXSE makes them: lower-case time-based UUID text. */
void jxta_wire_new_msg_id(char out[64]);
/* Parse the element body.  A TTL above JXTA_WIRE_MAX_TTL is read as it. */
int jxta_wire_hdr_parse(const void *text, size_t len, jxta_wire_hdr_t *out);
/* Append the element body as JXSE writes it (ends with a newline). */
int jxta_wire_hdr_write(const jxta_wire_hdr_t *h, jxta_buf_t *out);

#ifdef __cplusplus
}
#endif
#endif
