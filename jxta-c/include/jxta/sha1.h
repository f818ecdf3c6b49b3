/* jxta/sha1.h - SHA-1, needed to derive IDs exactly as JXSE does (seeded
 * IDs hash their seed text; codat IDs carry the SHA-1 of their content).
 * Not used for security. */
#ifndef JXTA_SHA1_H
#define JXTA_SHA1_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JXTA_SHA1_LEN 20

typedef struct jxta_sha1 {
    uint32_t h[5];
    uint64_t total;
    uint8_t block[64];
    size_t used;
} jxta_sha1_t;

void jxta_sha1_init(jxta_sha1_t *c);
void jxta_sha1_update(jxta_sha1_t *c, const void *p, size_t n);
void jxta_sha1_final(jxta_sha1_t *c, uint8_t out[JXTA_SHA1_LEN]);
void jxta_sha1(const void *p, size_t n, uint8_t out[JXTA_SHA1_LEN]);

#ifdef __cplusplus
}
#endif
#endif
