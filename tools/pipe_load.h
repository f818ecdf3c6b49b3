/* pipe_load.h - a pipe load generator and checker for jxta-peer
 * (--pipe-sink / --pipe-source) and the multi-process pipe tests.
 *
 * A source sends COUNT messages on a pipe (unicast or propagate) named by
 * text: the pipe ID is seeded from "jxta-c-pipe:" + NAME in the group, so
 * every peer derives the same pipe from the same name.  Each message
 * carries jxta-c:src (the sender's peer ID), jxta-c:seq (1, 2, ...) and
 * jxta-c:data (SIZE bytes derived from seq, so corruption shows).  The
 * source keeps at most WINDOW messages whose send outcome is pending.
 *
 * A sink opens the input pipe and checks, per sender: every seq arrives
 * once (duplicates counted), in order (unicast: a seq below the highest
 * seen counts as reordered), with the right bytes.  Both report through
 * a callback so the daemon prints event lines.  Loop thread only. */
#ifndef JXTA_TOOLS_PIPE_LOAD_H
#define JXTA_TOOLS_PIPE_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include <jxta.h>

/* Derive the pipe ID for `name` in `group` (a name that is a pipe ID URN,
 * "urn:jxta:uuid-...04", is taken as it is). */
int pipe_load_id(const jxta_id_t *group, const char *name, jxta_id_t *out);

typedef struct pipe_sink pipe_sink_t;
typedef struct pipe_sink_stats {
    uint64_t received, duplicates, reordered, corrupt;
    uint64_t foreign; /* messages without the source's elements (not counted above) */
    size_t senders;
} pipe_sink_stats_t;
int pipe_sink_start(jxta_pipes_t *ps, const char *name, const char *type, pipe_sink_t **out);
void pipe_sink_stop(pipe_sink_t *s);
/* Messages that did not come from a pipe source (e.g. a Java peer's) go
 * here (borrowed) instead of being counted as corrupt. */
typedef void (*pipe_sink_foreign_fn)(void *ud, const jxta_msg_t *m,
                                     const jxta_pipe_msg_info_t *info);
void pipe_sink_on_foreign(pipe_sink_t *s, pipe_sink_foreign_fn fn, void *ud);
void pipe_sink_stats(const pipe_sink_t *s, pipe_sink_stats_t *st);
/* Messages received from `sender` (0 if unknown) and the highest seq. */
uint64_t pipe_sink_from(const pipe_sink_t *s, const jxta_id_t *sender, uint64_t *max_seq);

typedef struct pipe_source pipe_source_t;
typedef void (*pipe_source_done_fn)(void *ud, uint64_t sent, uint64_t failed, int err);
int pipe_source_start(jxta_loop_t *loop, jxta_pipes_t *ps, const jxta_id_t *self,
                      const char *name, const char *type, uint64_t count, size_t size,
                      int window, jxta_pipe_bound_fn bound, void *bound_ud,
                      pipe_source_done_fn done, void *ud, pipe_source_t **out);
void pipe_source_stop(pipe_source_t *s);
void pipe_source_counts(const pipe_source_t *s, uint64_t *sent, uint64_t *failed);

#endif
