/* bench_pattern.h - the message pattern of one JuxMem lock-put-unlock played
 * over raw TCP, as a floor for bench-juxmem.
 *
 * One 16-byte round trip client <-> sequencer (the acquire), then a
 * SIZE-byte message client -> sequencer (the release), SIZE bytes
 * sequencer -> every other copy, a 16-byte acknowledgement back from each,
 * and a 16-byte answer to the client once a majority of the copies (the
 * sequencer included) holds the bytes.  One thread per peer, each a plain
 * blocking or poll() loop over loopback TCP with TCP_NODELAY: nothing but
 * the kernel's sockets and the thread wake-ups the pattern needs.  What the
 * JuxMem figure adds to this one is the cost of the stack. */
#ifndef JXTA_TOOLS_BENCH_PATTERN_H
#define JXTA_TOOLS_BENCH_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/* Run warm + count iterations with `copies` copies (1..64) of `size`
 * bytes (16..16 MiB); samples[i] (count of them) in microseconds.  Socket
 * time-outs of timeout_s bound every wait.  0, or -1 with a reason in err. */
int bench_pattern_run(unsigned copies, size_t size, uint64_t count, uint64_t warm,
                      unsigned timeout_s, double *samples, char *err, size_t errcap);

#endif
