/* juxmem-example.c - the JuxMem API (juxmem.h) in one short program.
 *
 *   juxmem-example --home DIR --seed tcp://HOST:PORT [--cluster NAME]
 *
 * Joins a running JuxMem overlay as a client, allocates a block of 4 KiB
 * replicated on one provider of each of two clusters (one cluster if
 * there is only one), writes a greeting under an exclusive lock, reads it
 * back under a shared lock, prints stat, and frees the block.  Every call
 * blocks until the overlay has done the work and returns 0 or a negative
 * JUXMEM_E* / JXTA_E* code that juxmem_strerror explains. */
#include <stdio.h>
#include <string.h>

#include <juxmem.h>

static int check(const char *what, int rc)
{
    if (rc < 0)
        fprintf(stderr, "juxmem-example: %s: %s\n", what, juxmem_strerror(rc));
    return rc;
}

int main(int argc, char **argv)
{
    juxmem_options_t o;
    juxmem_options_default(&o);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: juxmem-example --home DIR --seed tcp://HOST:PORT [--cluster NAME]\n"
                   "Allocates, writes, reads, stats and frees one block of a running JuxMem\n"
                   "overlay (start one with tools/demo.sh or juxmemd).\n");
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "juxmem-example: %s needs a value (see --help)\n", argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--home"))
            o.home = argv[++i];
        else if (!strcmp(argv[i], "--seed") && o.nseeds < 16)
            o.seeds[o.nseeds++] = argv[++i];
        else if (!strcmp(argv[i], "--cluster"))
            o.cluster = argv[++i];
        else {
            fprintf(stderr, "juxmem-example: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (!o.home || !o.nseeds) {
        fprintf(stderr, "juxmem-example: --home and --seed are required (see --help)\n");
        return 2;
    }
    o.listen = ""; /* a client needs no listener: the rendezvous relays */

    juxmem_t *j;
    if (check("open", juxmem_open(&o, &j)) < 0)
        return 1;
    jxta_id_t id;
    juxmem_attr_t attr;
    juxmem_attr_default(&attr);
    int rc = juxmem_alloc(j, 4096, 2, 1, &attr, &id);
    if (rc == JUXMEM_ENOCLUSTER) /* a single cluster: one copy there */
        rc = juxmem_alloc(j, 4096, 1, 1, &attr, &id);
    if (check("alloc", rc) < 0) {
        juxmem_close(j);
        return 1;
    }
    jxta_id_text_t t;
    printf("allocated %s\n", jxta_id_str(&id, &t));

    const char msg[] = "hello from juxmem-example";
    char back[sizeof msg] = "";
    juxmem_stat_t st;
    int status = 1;
    if (check("acquire", juxmem_acquire(j, &id)) == 0 &&
        check("write", juxmem_write(j, &id, 0, msg, sizeof msg)) == 0 &&
        check("release", juxmem_release(j, &id)) == 0 &&
        check("acquire_read", juxmem_acquire_read(j, &id)) == 0 &&
        check("read", juxmem_read(j, &id, 0, back, sizeof back)) == 0 &&
        check("release", juxmem_release(j, &id)) == 0 &&
        check("stat", juxmem_stat(j, &id, &st)) == 0) {
        printf("read back: %s\n", back);
        printf("version %llu, %zu copies\n", (unsigned long long)st.version, st.ncopies);
        status = strcmp(back, msg) == 0 ? 0 : 1;
    }
    check("free", juxmem_free(j, &id));
    juxmem_close(j);
    return status;
}
