/* test_cm.c - the cache manager with time passed in: publish and search
 * with every match form, lifetime vs expiration arithmetic (8.6), replace
 * on the same key, gc, eviction at the limits, SRDI deltas and full
 * pushes (8.5), persistence across close/open with expired, corrupt and
 * stray files, and every JXSE vector advertisement published and found
 * again by its index fields. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jxta.h>

#include "testutil.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const uint64_t T0 = 1700000000000ULL; /* wall-clock ms */
#define NG (&jxta_id_net_group)

/* ---- helpers ----------------------------------------------------------------------- */

static jxta_adv_t *pipe_adv(const char *seed, const char *name)
{
    jxta_id_t id;
    ck_assert_int_eq(jxta_id_pipe_from_seed(&id, NG, seed, strlen(seed)), 0);
    jxta_adv_t *a = NULL;
    ck_assert_int_eq(jxta_pipe_adv_new(&id, NULL, name, &a), 0);
    return a;
}

static void publish_pipe(jxta_cm_t *cm, const char *seed, const char *name, int64_t life,
                         int64_t exp, uint64_t now)
{
    jxta_adv_t *a = pipe_adv(seed, name);
    int rc = jxta_cm_publish(cm, NG, a, life, exp, now);
    ck_assert_msg(rc == 0, "publish %s: %s", name, jxta_errname(rc));
    jxta_adv_free(a);
}

static void key_of_pipe(const char *seed, char *key)
{
    jxta_adv_t *a = pipe_adv(seed, "x");
    ck_assert_int_eq(jxta_cm_key(a, key, JXTA_CM_KEY_MAX), 0);
    jxta_adv_free(a);
}

static size_t search_n(jxta_cm_t *cm, const jxta_id_t *g, jxta_adv_dir_t dir, const char *attr,
                       const char *value, uint64_t now)
{
    jxta_cm_result_t *r = NULL;
    size_t n = 0;
    ck_assert_int_eq(
        jxta_cm_search_docs(cm, g, dir, attr, value, JXTA_CM_UNLIMITED, 0, now, &r, &n), 0);
    jxta_cm_results_free(r, n);
    return n;
}

/* Shareable expiration of the entry `key` in Adv at `now`, or -1. */
static int64_t shareable_of(jxta_cm_t *cm, const char *key, uint64_t now)
{
    int64_t s = -1;
    if (jxta_cm_get(cm, NG, JXTA_ADV_DIR_ADV, key, now, NULL, &s) < 0)
        return -1;
    return s;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static char *make_home(void)
{
    char *t = strdup("/tmp/test_cm.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(t));
    return t;
}

static void rm_home(char *home)
{
    nftw(home, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(home);
}

static int file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static char *read_text(const char *path)
{
    size_t len;
    uint8_t *b = tu_read(path, &len);
    char *s = malloc(len + 1);
    memcpy(s, b, len);
    s[len] = '\0';
    free(b);
    return s;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* SRDI lists as "pkey/skey=value@exp" lines for easy comparison. */
static int has_srdi(const jxta_cm_srdi_t *v, size_t n, const char *pkey, const char *skey,
                    const char *value, int64_t exp)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].pkey, pkey) == 0 && strcmp(v[i].skey, skey) == 0 &&
            strcmp(v[i].value, value) == 0 && v[i].expiration_ms == exp)
            return 1;
    return 0;
}

/* ---- publish and search ----------------------------------------------------------------- */

START_TEST(publish_and_search_every_match_form)
{
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, T0, &cm), 0);
    const char *names[] = {"chat-in", "chat-out", "xchat", "JxInteropEcho"};
    for (size_t i = 0; i < N_ELEMS(names); i++)
        publish_pipe(cm, names[i], names[i], JXTA_CM_DEFAULT_LIFETIME_MS,
                     JXTA_CM_DEFAULT_EXPIRATION_MS, T0);
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), 4);
    ck_assert_uint_eq(jxta_cm_count(cm, NG, JXTA_ADV_DIR_ADV), 4);
    ck_assert_uint_eq(jxta_cm_count(cm, NG, JXTA_ADV_DIR_PEERS), 0);

    static const struct {
        const char *attr, *value;
        size_t n;
    } table[] = {
        {"Name", "chat-in", 1}, {"Name", "chat*", 2},   {"Name", "*chat", 1},
        {"Name", "*chat*", 3},  {"Name", "*", 4},       {"Name", "", 4},
        {"Name", NULL, 4},      {NULL, NULL, 4},        {NULL, "ignored", 4},
        {"Name", "CHAT*", 0},   {"Name", "chat", 0},    {"Nope", NULL, 0},
        {"Type", "*", 0}, /* not an index field of pipes */
        {"Id", "*04", 4},
    };
    for (size_t i = 0; i < N_ELEMS(table); i++)
        ck_assert_msg(search_n(cm, NG, JXTA_ADV_DIR_ADV, table[i].attr, table[i].value, T0) ==
                          table[i].n,
                      "attr %s value %s", table[i].attr ? table[i].attr : "(null)",
                      table[i].value ? table[i].value : "(null)");

    /* By ID, exactly; results carry key, document and expiration. */
    jxta_adv_t *echo = pipe_adv("JxInteropEcho", "JxInteropEcho");
    jxta_id_t id;
    ck_assert_int_eq(jxta_adv_id(echo, &id), 0);
    jxta_id_text_t t;
    jxta_cm_result_t *r = NULL;
    size_t n = 0;
    ck_assert_int_eq(jxta_cm_search_docs(cm, NG, JXTA_ADV_DIR_ADV, "Id", jxta_id_str(&id, &t),
                                         JXTA_CM_UNLIMITED, 0, T0 + 1000, &r, &n),
                     0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(r[0].key, jxta_id_unique_value(&id, &t));
    ck_assert_int_eq(r[0].expiration_ms, JXTA_CM_DEFAULT_EXPIRATION_MS);
    char *doc = NULL;
    ck_assert_int_eq(jxta_adv_to_string(echo, 0, &doc), 0);
    ck_assert_uint_eq(r[0].len + 1, strlen(doc)); /* stored without the final newline */
    ck_assert(memcmp(r[0].doc, doc, r[0].len) == 0);
    free(doc);
    jxta_cm_results_free(r, n);
    jxta_adv_t *back = NULL;
    ck_assert_int_eq(jxta_cm_get(cm, NG, JXTA_ADV_DIR_ADV, jxta_id_unique_value(&id, &t), T0,
                                 &back, NULL),
                     0);
    ck_assert(jxta_adv_equal(back, echo));
    jxta_adv_free(back);
    jxta_adv_free(echo);

    /* Threshold, publication order, other groups and directories. */
    ck_assert_int_eq(jxta_cm_search_docs(cm, NG, JXTA_ADV_DIR_ADV, "Name", "*", 2, 0, T0, &r, &n),
                     0);
    ck_assert_uint_eq(n, 2);
    ck_assert_ptr_nonnull(strstr(r[0].doc, "<Name>chat-in</Name>"));
    ck_assert_ptr_nonnull(strstr(r[1].doc, "<Name>chat-out</Name>"));
    jxta_cm_results_free(r, n);
    ck_assert_int_eq(jxta_cm_search_docs(cm, NG, JXTA_ADV_DIR_ADV, NULL, NULL, 0, 0, T0, &r, &n),
                     0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(r);
    ck_assert_uint_eq(search_n(cm, &jxta_id_world_group, JXTA_ADV_DIR_ADV, NULL, NULL, T0), 0);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_GROUPS, NULL, NULL, T0), 0);

    /* A search callback can stop early. */
    jxta_cm_close(cm);
}
END_TEST

static int stop_after_one(void *ud, const jxta_cm_entry_t *e)
{
    (*(int *)ud)++;
    ck_assert_ptr_nonnull(e->doc);
    ck_assert_uint_ge(e->nindex, 2);
    return 1;
}

static int count_cb(void *ud, const jxta_cm_entry_t *e)
{
    (void)e;
    (*(int *)ud)++;
    return 0;
}

START_TEST(callbacks_foreach_and_groups)
{
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, T0, &cm), 0);
    jxta_id_t child;
    ck_assert_int_eq(jxta_id_group_from_seed(&child, NG, "child", 5), 0);
    publish_pipe(cm, "a", "a", 10000, 5000, T0);
    publish_pipe(cm, "b", "b", 10000, 5000, T0);
    jxta_adv_t *c = pipe_adv("c", "c");
    ck_assert_int_eq(jxta_cm_publish(cm, &child, c, 10000, 5000, T0), 0);
    jxta_adv_free(c);
    int hits = 0;
    ck_assert_int_eq(jxta_cm_search(cm, NG, JXTA_ADV_DIR_ADV, NULL, NULL, JXTA_CM_UNLIMITED, 0,
                                    T0, stop_after_one, &hits),
                     1);
    ck_assert_int_eq(hits, 1);
    hits = 0;
    ck_assert_int_eq(jxta_cm_foreach(cm, NULL, JXTA_ADV_DIR_NONE, T0, count_cb, &hits), 3);
    hits = 0;
    ck_assert_int_eq(jxta_cm_foreach(cm, &child, JXTA_ADV_DIR_NONE, T0, count_cb, &hits), 1);
    ck_assert_uint_eq(jxta_cm_count(cm, &child, JXTA_ADV_DIR_ADV), 1);
    ck_assert_uint_eq(search_n(cm, &child, JXTA_ADV_DIR_ADV, "Name", "c", T0), 1);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "c", T0), 0);
    /* Expired entries are invisible even before gc. */
    hits = 0;
    ck_assert_int_eq(jxta_cm_foreach(cm, NULL, JXTA_ADV_DIR_NONE, T0 + 10000, count_cb, &hits), 0);
    jxta_cm_close(cm);
}
END_TEST

START_TEST(bad_publish_arguments)
{
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, T0, &cm), 0);
    jxta_adv_t *a = pipe_adv("p", "p");
    tu_log_capture();
    ck_assert_int_eq(jxta_cm_publish(cm, NG, a, 0, 0, T0), JXTA_ERANGE);
    ck_assert_int_eq(jxta_cm_publish(cm, NG, a, -5, 0, T0), JXTA_ERANGE);
    ck_assert_int_eq(jxta_cm_publish(cm, NG, a, 1000, -1, T0), JXTA_ERANGE);
    jxta_id_t peer;
    ck_assert_int_eq(jxta_id_peer_from_seed(&peer, NG, "x", 1), 0);
    ck_assert_int_eq(jxta_cm_publish(cm, &peer, a, 1000, 10, T0), JXTA_EINVAL);
    ck_assert_uint_eq(tu_log_count(), 4);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), "[cm]"));
    const char *junk = "<jxta:PipeAdvertisement><Id>nope</Id></jxta:PipeAdvertisement>";
    ck_assert_int_eq(jxta_cm_publish_text(cm, NG, junk, strlen(junk), 1000, 10, T0), JXTA_EBADID);
    ck_assert_int_eq(jxta_cm_publish_text(cm, NG, "<a", 2, 1000, 10, T0), JXTA_EXML);
    tu_log_release();
    ck_assert_int_eq(jxta_cm_remove(cm, NG, JXTA_ADV_DIR_ADV, "uuid-00"), JXTA_ENOTFOUND);
    ck_assert_int_eq(jxta_cm_remove(cm, NG, JXTA_ADV_DIR_NONE, "x"), JXTA_EINVAL);
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), 0);
    jxta_adv_free(a);
    jxta_cm_close(cm);
}
END_TEST

/* ---- lifetime and expiration (8.6) ------------------------------------------------------ */

START_TEST(lifetime_vs_expiration)
{
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, T0, &cm), 0);
    char k1[JXTA_CM_KEY_MAX], k2[JXTA_CM_KEY_MAX], k3[JXTA_CM_KEY_MAX], k4[JXTA_CM_KEY_MAX];
    key_of_pipe("one", k1);
    key_of_pipe("two", k2);
    key_of_pipe("three", k3);
    key_of_pipe("four", k4);

    /* lifetime 10 s, expiration 3 s: min(remaining lifetime, expiration). */
    publish_pipe(cm, "one", "one", 10000, 3000, T0);
    ck_assert_int_eq(shareable_of(cm, k1, T0), 3000);
    ck_assert_int_eq(shareable_of(cm, k1, T0 + 6999), 3000);
    ck_assert_int_eq(shareable_of(cm, k1, T0 + 8000), 2000);
    ck_assert_int_eq(shareable_of(cm, k1, T0 + 9999), 1);
    ck_assert_int_eq(shareable_of(cm, k1, T0 + 10000), -1); /* gone */

    /* expiration is clamped to the lifetime. */
    publish_pipe(cm, "two", "two", 1000, 5000, T0);
    ck_assert_int_eq(shareable_of(cm, k2, T0), 1000);
    ck_assert_int_eq(shareable_of(cm, k2, T0 + 400), 600);

    /* Re-publishing never shortens the lifetime, and may lengthen it. */
    publish_pipe(cm, "one", "one", 1000, 3000, T0 + 1000);
    ck_assert_int_eq(shareable_of(cm, k1, T0 + 5000), 1000); /* new expiration (clamped to 1 s) */
    ck_assert_int_eq(shareable_of(cm, k1, T0 + 9500), 500);  /* old deadline still holds */
    publish_pipe(cm, "one", "one", 60000, 3000, T0 + 2000);
    ck_assert_int_eq(shareable_of(cm, k1, T0 + 20000), 3000);
    ck_assert_int_eq(shareable_of(cm, k1, T0 + 61000), 1000);

    /* Expiration 0: kept locally, never shared. */
    publish_pipe(cm, "three", "three", 10000, 0, T0);
    ck_assert_int_eq(shareable_of(cm, k3, T0), 0);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "three", T0), 0);
    jxta_cm_result_t *r = NULL;
    size_t n = 0;
    ck_assert_int_eq(jxta_cm_search_docs(cm, NG, JXTA_ADV_DIR_ADV, "Name", "three",
                                         JXTA_CM_UNLIMITED, JXTA_CM_INCLUDE_PRIVATE, T0, &r, &n),
                     0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(r[0].expiration_ms, 0);
    jxta_cm_results_free(r, n);

    /* Forever: JXSE's own PA has lifetime Long.MAX_VALUE. */
    publish_pipe(cm, "four", "four", INT64_MAX, JXTA_CM_DEFAULT_EXPIRATION_MS, T0);
    ck_assert_int_eq(shareable_of(cm, k4, T0 + 100 * JXTA_CM_DEFAULT_LIFETIME_MS),
                     JXTA_CM_DEFAULT_EXPIRATION_MS);
    publish_pipe(cm, "four", "four", (int64_t)1 << 62, (int64_t)1 << 62, T0);
    ck_assert_int_eq(shareable_of(cm, k4, T0), JXTA_CM_FOREVER);
    /* A deadline past the end of time saturates instead of wrapping. */
    publish_pipe(cm, "late", "late", ((int64_t)1 << 62) - 1, 5, UINT64_MAX - 10);
    jxta_cm_close(cm);
}
END_TEST

START_TEST(replace_on_same_key)
{
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, T0, &cm), 0);
    publish_pipe(cm, "seed", "old-name", 10000, 5000, T0);
    size_t bytes = jxta_cm_bytes(cm);
    publish_pipe(cm, "seed", "a-much-longer-new-name", 10000, 5000, T0 + 10);
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), 1);
    ck_assert_uint_eq(jxta_cm_bytes(cm), bytes + strlen("a-much-longer-new-name") - 8);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "old-name", T0 + 20), 0);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "a-much*", T0 + 20), 1);
    /* A dead entry lends nothing to its successor. */
    publish_pipe(cm, "seed", "reborn", 100, 100, T0 + 50000);
    char k[JXTA_CM_KEY_MAX];
    key_of_pipe("seed", k);
    ck_assert_int_eq(shareable_of(cm, k, T0 + 50050), 50);
    ck_assert_int_eq(shareable_of(cm, k, T0 + 50100), -1);
    jxta_cm_close(cm);
}
END_TEST

START_TEST(gc_drops_expired)
{
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, T0, &cm), 0);
    publish_pipe(cm, "a", "a", 1000, 1000, T0);
    publish_pipe(cm, "b", "b", 2000, 1000, T0);
    publish_pipe(cm, "c", "c", 3000, 1000, T0);
    publish_pipe(cm, "d", "d", INT64_MAX, 1000, T0);
    ck_assert_uint_eq(jxta_cm_gc(cm, T0 + 999), 0);
    ck_assert_uint_eq(jxta_cm_gc(cm, T0 + 2000), 2);
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), 2);
    ck_assert_uint_eq(jxta_cm_gc(cm, UINT64_MAX - 1), 1);
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), 1); /* forever stays */
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "d", UINT64_MAX - 1), 1);
    jxta_cm_close(cm);
}
END_TEST

/* ---- limits ------------------------------------------------------------------------------- */

START_TEST(eviction_at_limits)
{
    jxta_cm_limits_t lim = {3, 0};
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open(NULL, &lim, T0, &cm), 0);
    publish_pipe(cm, "b", "b", 20000, 1000, T0);
    publish_pipe(cm, "a", "a", 10000, 1000, T0);
    publish_pipe(cm, "c", "c", 30000, 1000, T0);
    tu_log_capture();
    publish_pipe(cm, "d", "d", 40000, 1000, T0); /* evicts "a", nearest deadline */
    ck_assert_uint_eq(tu_log_count(), 1);
    ck_assert_msg(strstr(tu_log_last(), "evicting"), "%s", tu_log_last());
    char ka[JXTA_CM_KEY_MAX];
    key_of_pipe("a", ka);
    ck_assert_ptr_nonnull(strstr(tu_log_last(), ka));
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), 3);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "a", T0), 0);
    /* A newcomer that is itself nearest to its end is refused. */
    jxta_adv_t *e = pipe_adv("e", "e");
    ck_assert_int_eq(jxta_cm_publish(cm, NG, e, 5000, 1000, T0), JXTA_ETOOBIG);
    jxta_adv_free(e);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "e", T0), 0);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, NULL, NULL, T0), 3);
    /* Replacing an entry does not count twice. */
    publish_pipe(cm, "d", "d2", 40000, 1000, T0);
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), 3);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "b", T0), 1);
    tu_log_release();
    jxta_cm_close(cm);

    /* Byte limit: room for two documents. */
    jxta_adv_t *probe = pipe_adv("x", "x1");
    char *s = NULL;
    ck_assert_int_eq(jxta_adv_to_string(probe, 0, &s), 0);
    size_t doc = strlen(s) - 1;
    free(s);
    jxta_adv_free(probe);
    lim.max_entries = 0;
    lim.max_bytes = doc * 2 + doc / 2;
    ck_assert_int_eq(jxta_cm_open(NULL, &lim, T0, &cm), 0);
    tu_log_capture();
    publish_pipe(cm, "x", "x1", 30000, 1000, T0);
    publish_pipe(cm, "y", "y1", 20000, 1000, T0);
    publish_pipe(cm, "z", "z1", 40000, 1000, T0);
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), 2);
    ck_assert_uint_le(jxta_cm_bytes(cm), lim.max_bytes);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "y1", T0), 0);
    ck_assert_uint_eq(tu_log_count(), 1);
    /* A document larger than the whole cache is refused outright. */
    char longname[4000];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    jxta_adv_t *big = pipe_adv("big", longname);
    ck_assert_int_eq(jxta_cm_publish(cm, NG, big, 30000, 1000, T0), JXTA_ETOOBIG);
    jxta_adv_free(big);
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), 2);
    tu_log_release();
    jxta_cm_close(cm);
}
END_TEST

/* ---- SRDI ----------------------------------------------------------------------------------- */

START_TEST(srdi_deltas_and_full_push)
{
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, T0, &cm), 0);
    jxta_cm_srdi_t *v = NULL;
    size_t n = 0;
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0, &v, &n), 0);
    ck_assert_uint_eq(n, 0);

    jxta_adv_t *a = pipe_adv("a", "alpha"), *b = pipe_adv("b", "beta");
    jxta_id_text_t ta, tb;
    jxta_id_t ia, ib;
    jxta_adv_id(a, &ia);
    jxta_adv_id(b, &ib);
    const char *ida = jxta_id_str(&ia, &ta), *idb = jxta_id_str(&ib, &tb);
    ck_assert_int_eq(jxta_cm_publish(cm, NG, a, 100000, 5000, T0), 0);
    ck_assert_int_eq(jxta_cm_publish(cm, NG, b, 200000, 5000, T0), 0);
    publish_pipe(cm, "private", "private", 100000, 0, T0); /* never shared */

    /* Adds: every index field, expiration = remaining lifetime. */
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 1000, &v, &n), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert(has_srdi(v, n, "Adv", "Name", "alpha", 99000));
    ck_assert(has_srdi(v, n, "Adv", "Id", ida, 99000));
    ck_assert(has_srdi(v, n, "Adv", "Name", "beta", 199000));
    ck_assert(has_srdi(v, n, "Adv", "Id", idb, 199000));
    jxta_cm_srdi_free(v, n);
    /* Then nothing. */
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 2000, &v, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(v);

    /* Removal: expiration 0. */
    char kb[JXTA_CM_KEY_MAX];
    ck_assert_int_eq(jxta_cm_key(b, kb, sizeof kb), 0);
    ck_assert_int_eq(jxta_cm_remove(cm, NG, JXTA_ADV_DIR_ADV, kb), 0);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 3000, &v, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert(has_srdi(v, n, "Adv", "Name", "beta", 0));
    ck_assert(has_srdi(v, n, "Adv", "Id", idb, 0));
    jxta_cm_srdi_free(v, n);

    /* Replace with another name: old name withdrawn, new fields added. */
    publish_pipe(cm, "a", "alpha2", 100000, 5000, T0 + 4000);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 5000, &v, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert(has_srdi(v, n, "Adv", "Name", "alpha", 0));
    ck_assert(has_srdi(v, n, "Adv", "Name", "alpha2", 99000)); /* deadline T0+104000 */
    ck_assert(has_srdi(v, n, "Adv", "Id", ida, 99000));
    ck_assert_int_eq(v[0].expiration_ms, 0); /* removals go first */
    jxta_cm_srdi_free(v, n);

    /* Remove then re-publish before the push: the pairs are live again,
     * so no withdrawal, just the add with the new lifetime. */
    char ka[JXTA_CM_KEY_MAX];
    ck_assert_int_eq(jxta_cm_key(a, ka, sizeof ka), 0);
    ck_assert_int_eq(jxta_cm_remove(cm, NG, JXTA_ADV_DIR_ADV, ka), 0);
    publish_pipe(cm, "a", "alpha2", 10000, 5000, T0 + 6000);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 6000, &v, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert(has_srdi(v, n, "Adv", "Name", "alpha2", 10000));
    ck_assert(has_srdi(v, n, "Adv", "Id", ida, 10000));
    jxta_cm_srdi_free(v, n);

    /* A pair still carried by another entry is not withdrawn. */
    publish_pipe(cm, "s1", "shared", 100000, 5000, T0);
    publish_pipe(cm, "s2", "shared", 100000, 5000, T0);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 7000, &v, &n), 0);
    jxta_cm_srdi_free(v, n);
    char ks1[JXTA_CM_KEY_MAX];
    key_of_pipe("s1", ks1);
    ck_assert_int_eq(jxta_cm_remove(cm, NG, JXTA_ADV_DIR_ADV, ks1), 0);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 8000, &v, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(v[0].skey, "Id");
    ck_assert_int_eq(v[0].expiration_ms, 0);
    jxta_cm_srdi_free(v, n);

    /* Going private withdraws everything it had shared. */
    publish_pipe(cm, "s2", "shared", 100000, 0, T0 + 9000);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 9000, &v, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert(has_srdi(v, n, "Adv", "Name", "shared", 0));
    jxta_cm_srdi_free(v, n);

    /* Full push: every shareable entry; the journal starts afresh. */
    publish_pipe(cm, "c", "gamma", 100000, 5000, T0 + 9000);
    ck_assert_int_eq(jxta_cm_srdi_all(cm, NG, JXTA_ADV_DIR_ADV, T0 + 10000, &v, &n), 0);
    ck_assert_uint_eq(n, 4); /* alpha2 + gamma, two fields each */
    ck_assert(has_srdi(v, n, "Adv", "Name", "alpha2", 6000));
    ck_assert(has_srdi(v, n, "Adv", "Name", "gamma", 99000));
    jxta_cm_srdi_free(v, n);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 10000, &v, &n), 0);
    ck_assert_uint_eq(n, 0);

    /* Expiry needs no removal; other directories have their own journal. */
    ck_assert_uint_eq(jxta_cm_gc(cm, T0 + 16000), 1); /* alpha2 */
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 16000, &v, &n), 0);
    ck_assert_uint_eq(n, 0);
    jxta_adv_t *pa = NULL;
    jxta_id_t pid;
    jxta_id_peer_from_seed(&pid, NG, "peer", 4);
    ck_assert_int_eq(jxta_pa_new(&pid, NG, "me", &pa), 0);
    ck_assert_int_eq(jxta_cm_publish(cm, NG, pa, INT64_MAX, 7200000, T0), 0);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 16000, &v, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_PEERS, T0 + 16000, &v, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert(has_srdi(v, n, "Peers", "Name", "me", JXTA_CM_FOREVER));
    jxta_id_text_t tp;
    ck_assert(has_srdi(v, n, "Peers", "PID", jxta_id_str(&pid, &tp), JXTA_CM_FOREVER));
    jxta_cm_srdi_free(v, n);
    /* Unknown group: nothing. */
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, &jxta_id_world_group, JXTA_ADV_DIR_ADV, T0, &v, &n), 0);
    ck_assert_uint_eq(n, 0);
    jxta_adv_free(pa);
    jxta_adv_free(a);
    jxta_adv_free(b);
    jxta_cm_close(cm);
}
END_TEST

START_TEST(srdi_same_answer_again_is_not_news)
{
    /* A discovery answer received again (same document, same expiration)
     * is not pushed again while at least half of its life is left. */
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, T0, &cm), 0);
    jxta_cm_srdi_t *v = NULL;
    size_t n = 0;
    publish_pipe(cm, "s", "same", 10000, 10000, T0);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0, &v, &n), 0);
    ck_assert_uint_eq(n, 2);
    jxta_cm_srdi_free(v, n);
    publish_pipe(cm, "s", "same", 10000, 10000, T0 + 1000);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 1000, &v, &n), 0);
    ck_assert_uint_eq(n, 0);
    /* less than half left: pushed, with the new remaining lifetime */
    publish_pipe(cm, "s", "same", 10000, 10000, T0 + 9000);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 9000, &v, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert(has_srdi(v, n, "Adv", "Name", "same", 10000));
    jxta_cm_srdi_free(v, n);
    /* a changed document is always news */
    publish_pipe(cm, "s", "renamed", 10000, 10000, T0 + 9100);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0 + 9100, &v, &n), 0);
    ck_assert(has_srdi(v, n, "Adv", "Name", "renamed", 10000));
    jxta_cm_srdi_free(v, n);
    jxta_cm_close(cm);
}
END_TEST

START_TEST(srdi_journal_overflow_becomes_full_push)
{
    jxta_cm_limits_t lim = {8, 0};
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open(NULL, &lim, T0, &cm), 0);
    char k[JXTA_CM_KEY_MAX];
    key_of_pipe("churn", k);
    tu_log_capture();
    for (int i = 0; i < 1000; i++) {
        publish_pipe(cm, "churn", "churn", 100000, 5000, T0);
        ck_assert_int_eq(jxta_cm_remove(cm, NG, JXTA_ADV_DIR_ADV, k), 0);
    }
    ck_assert_uint_eq(tu_log_count(), 1);
    ck_assert_msg(strstr(tu_log_last(), "full push"), "%s", tu_log_last());
    tu_log_release();
    publish_pipe(cm, "stay", "stay", 100000, 5000, T0);
    jxta_cm_srdi_t *v = NULL;
    size_t n = 0;
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0, &v, &n), 0);
    ck_assert_uint_eq(n, 2); /* everything current */
    ck_assert(has_srdi(v, n, "Adv", "Name", "stay", 100000));
    jxta_cm_srdi_free(v, n);
    ck_assert_int_eq(jxta_cm_srdi_delta(cm, NG, JXTA_ADV_DIR_ADV, T0, &v, &n), 0);
    ck_assert_uint_eq(n, 0);
    jxta_cm_close(cm);
}
END_TEST

/* ---- persistence ------------------------------------------------------------------------------ */

static char *entry_path(const char *home, const char *group, const char *dir, const char *key,
                        const char *ext)
{
    char *p = malloc(strlen(home) + 512);
    sprintf(p, "%s/cm/%s/%s/%s%s", home, group, dir, key, ext);
    return p;
}

START_TEST(persistence_across_restart)
{
    char *home = make_home();
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open(home, NULL, T0, &cm), 0);
    publish_pipe(cm, "keep", "keep", 3600000, 60000, T0);
    publish_pipe(cm, "short", "short", 1000, 1000, T0);
    publish_pipe(cm, "garbled", "garbled", 3600000, 60000, T0);
    publish_pipe(cm, "nometa", "nometa", 3600000, 60000, T0);
    publish_pipe(cm, "badmeta", "badmeta", 3600000, 60000, T0);
    publish_pipe(cm, "gone", "gone", 3600000, 60000, T0);
    jxta_adv_t *pa = NULL;
    jxta_id_t pid, child;
    jxta_id_peer_from_seed(&pid, NG, "peer", 4);
    ck_assert_int_eq(jxta_pa_new(&pid, NG, "me", &pa), 0);
    ck_assert_int_eq(jxta_cm_publish(cm, NG, pa, INT64_MAX, 7200000, T0), 0);
    ck_assert_int_eq(jxta_id_group_from_seed(&child, NG, "child", 5), 0);
    jxta_adv_t *cp = pipe_adv("inchild", "inchild");
    ck_assert_int_eq(jxta_cm_publish(cm, &child, cp, 3600000, 60000, T0), 0);
    jxta_adv_free(cp);
    char kgone[JXTA_CM_KEY_MAX];
    key_of_pipe("gone", kgone);
    ck_assert_int_eq(jxta_cm_remove(cm, NG, JXTA_ADV_DIR_ADV, kgone), 0);
    jxta_cm_close(cm);

    /* The layout: one plain document and one metadata line per entry. */
    char kkeep[JXTA_CM_KEY_MAX], kshort[JXTA_CM_KEY_MAX], kgarb[JXTA_CM_KEY_MAX],
        knometa[JXTA_CM_KEY_MAX], kbad[JXTA_CM_KEY_MAX];
    key_of_pipe("keep", kkeep);
    key_of_pipe("short", kshort);
    key_of_pipe("garbled", kgarb);
    key_of_pipe("nometa", knometa);
    key_of_pipe("badmeta", kbad);
    char *p = entry_path(home, "jxta-NetGroup", "Adv", kkeep, ".meta");
    char *meta = read_text(p);
    char want[128];
    snprintf(want, sizeof want, "jxta-cm 1 %llu 60000\n", (unsigned long long)(T0 + 3600000));
    ck_assert_str_eq(meta, want);
    free(meta);
    free(p);
    p = entry_path(home, "jxta-NetGroup", "Adv", kkeep, ".xml");
    char *doc = read_text(p);
    ck_assert(strncmp(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE jxta:PipeAdvertisement>",
                      70) == 0);
    ck_assert_ptr_nonnull(strstr(doc, "<Name>keep</Name>"));
    free(doc);
    free(p);
    jxta_id_text_t t;
    p = entry_path(home, "jxta-NetGroup", "Peers", jxta_id_unique_value(&pid, &t), ".meta");
    meta = read_text(p);
    ck_assert_str_eq(meta, "jxta-cm 1 forever 7200000\n");
    free(meta);
    free(p);
    p = entry_path(home, "jxta-NetGroup", "Adv", kgone, ".xml");
    ck_assert(!file_exists(p));
    free(p);

    /* Damage: garbage document, missing metadata, bad metadata, stray
     * temporary and orphan metadata, a folder that is no group. */
    p = entry_path(home, "jxta-NetGroup", "Adv", kgarb, ".xml");
    write_text(p, "<?xml version=\"1.0\"?><jxta:PipeAdvertisement><Id>garbage");
    free(p);
    p = entry_path(home, "jxta-NetGroup", "Adv", knometa, ".meta");
    ck_assert_int_eq(unlink(p), 0);
    free(p);
    p = entry_path(home, "jxta-NetGroup", "Adv", kbad, ".meta");
    write_text(p, "jxta-cm 1 soon never\n");
    free(p);
    p = entry_path(home, "jxta-NetGroup", "Adv", "stray", ".xml.tmp");
    write_text(p, "x");
    free(p);
    p = entry_path(home, "jxta-NetGroup", "Adv", "orphan", ".meta");
    write_text(p, "jxta-cm 1 forever 5\n");
    free(p);
    p = malloc(strlen(home) + 64);
    sprintf(p, "%s/cm/not-a-group", home);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    free(p);

    /* Reopen after "short" expired. */
    tu_log_capture();
    ck_assert_int_eq(jxta_cm_open(home, NULL, T0 + 5000, &cm), 0);
    ck_assert_uint_ge(tu_log_count(), 6);
    tu_log_release();
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), 3); /* keep, PA, child pipe */
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "keep", T0 + 5000), 1);
    ck_assert_int_eq(shareable_of(cm, kkeep, T0 + 3600000 - 100), 100); /* deadline kept */
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_PEERS, "Name", "me", T0 + 5000), 1);
    ck_assert_uint_eq(search_n(cm, &child, JXTA_ADV_DIR_ADV, "Name", "inchild", T0 + 5000), 1);
    const char *dropped[] = {kshort, kgarb, knometa, kbad};
    for (size_t i = 0; i < N_ELEMS(dropped); i++) {
        ck_assert_int_eq(shareable_of(cm, dropped[i], T0 + 5000), -1);
        p = entry_path(home, "jxta-NetGroup", "Adv", dropped[i], ".xml");
        ck_assert_msg(!file_exists(p), "%s still there", p);
        free(p);
    }
    p = entry_path(home, "jxta-NetGroup", "Adv", "stray", ".xml.tmp");
    ck_assert(!file_exists(p));
    free(p);
    p = entry_path(home, "jxta-NetGroup", "Adv", "orphan", ".meta");
    ck_assert(!file_exists(p));
    free(p);
    /* Reloaded entries keep working: replace, delta after a full push. */
    publish_pipe(cm, "keep", "kept", 3600000, 60000, T0 + 6000);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "kept", T0 + 6000), 1);
    jxta_cm_close(cm);

    /* A reopen with a smaller limit evicts down to it. */
    jxta_cm_limits_t lim = {1, 0};
    tu_log_capture();
    ck_assert_int_eq(jxta_cm_open(home, &lim, T0 + 7000, &cm), 0);
    tu_log_release();
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), 1);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_PEERS, "Name", "me", T0 + 7000), 1);
    jxta_cm_close(cm);
    jxta_adv_free(pa);
    rm_home(home);
}
END_TEST

START_TEST(unwritable_home)
{
    tu_log_capture();
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open("/proc/no/such/home", NULL, T0, &cm), JXTA_EIO);
    ck_assert_ptr_null(cm);
    ck_assert_uint_ge(tu_log_count(), 1);
    tu_log_release();
    /* A cache whose directory becomes unwritable keeps entries in memory. */
    char *home = make_home();
    ck_assert_int_eq(jxta_cm_open(home, NULL, T0, &cm), 0);
    char *p = malloc(strlen(home) + 64);
    sprintf(p, "%s/cm/jxta-NetGroup", home);
    write_text(p, "a file where a folder should be");
    tu_log_capture();
    jxta_adv_t *a = pipe_adv("a", "a");
    ck_assert_int_eq(jxta_cm_publish(cm, NG, a, 1000, 1000, T0), JXTA_EIO);
    ck_assert_uint_ge(tu_log_count(), 1);
    tu_log_release();
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "a", T0), 1);
    jxta_adv_free(a);
    jxta_cm_close(cm);
    free(p);
    rm_home(home);
}
END_TEST

/* ---- the JXSE vectors ------------------------------------------------------------------------ */

typedef struct vec {
    char *rel;
    char key[JXTA_CM_KEY_MAX];
    jxta_adv_dir_t dir;
} vec_t;

START_TEST(every_vector_published_and_found)
{
    const char *dirs[] = {"dump", "dump/cache", "edge-listening/peers", "minimal-edge/peers"};
    vec_t vecs[64];
    size_t nv = 0;
    jxta_cm_t *cm = NULL;
    char *home = make_home();
    ck_assert_int_eq(jxta_cm_open(home, NULL, T0, &cm), 0);
    for (size_t d = 0; d < N_ELEMS(dirs); d++) {
        char *dir = tu_vector_path(dirs[d]);
        char **names;
        size_t n = tu_list(dir, ".xml", &names);
        ck_assert_uint_gt(n, 0);
        for (size_t i = 0; i < n; i++) {
            char rel[512];
            snprintf(rel, sizeof rel, "%s/%s", dirs[d], names[i]);
            char *path = tu_vector_path(rel);
            size_t len;
            uint8_t *text = tu_read(path, &len);
            jxta_adv_t *adv = NULL;
            ck_assert_msg(jxta_adv_parse(text, len, &adv) == 0, "%s", rel);
            vec_t *v = &vecs[nv++];
            ck_assert_uint_le(nv, N_ELEMS(vecs));
            v->rel = strdup(rel);
            ck_assert_int_eq(jxta_cm_key(adv, v->key, sizeof v->key), 0);
            v->dir = jxta_cm_dir_of(adv);
            /* Received documents are stored as received. */
            int rc = jxta_cm_publish_text(cm, NG, (const char *)text, len, 7200000, 7200000, T0);
            ck_assert_msg(rc == 0, "%s: %s", rel, jxta_errname(rc));
            /* Found again by each of its index fields, exactly and by prefix. */
            jxta_adv_index_entry_t ix[8];
            size_t nix = jxta_adv_index(adv, ix, 8);
            for (size_t k = 0; k < nix && k < 8; k++) {
                if (!*ix[k].value)
                    continue;
                jxta_cm_result_t *r = NULL;
                size_t nr = 0;
                ck_assert_int_eq(jxta_cm_search_docs(cm, NG, v->dir, ix[k].name, ix[k].value,
                                                     JXTA_CM_UNLIMITED, 0, T0, &r, &nr),
                                 0);
                int hit = 0;
                for (size_t j = 0; j < nr; j++)
                    hit |= strcmp(r[j].key, v->key) == 0;
                ck_assert_msg(hit, "%s: not found by %s=%s", rel, ix[k].name, ix[k].value);
                jxta_cm_results_free(r, nr);
                char prefix[16];
                snprintf(prefix, sizeof prefix, "%.3s*", ix[k].value);
                ck_assert_uint_ge(search_n(cm, NG, v->dir, ix[k].name, prefix, T0), 1);
            }
            jxta_adv_t *back = NULL;
            ck_assert_int_eq(jxta_cm_get(cm, NG, v->dir, v->key, T0, &back, NULL), 0);
            ck_assert_msg(jxta_adv_equal(back, adv), "%s: cached copy differs", rel);
            jxta_adv_free(back);
            /* The key rule of cm.h. */
            jxta_id_t id;
            jxta_id_text_t t;
            const jxta_adv_type_t *type = jxta_adv_type(adv);
            if (type == &jxta_adv_type_pa || type == &jxta_adv_type_pga ||
                type == &jxta_adv_type_pipe || type == &jxta_adv_type_mca ||
                type == &jxta_adv_type_msa) {
                ck_assert_int_eq(jxta_adv_id(adv, &id), 0);
                ck_assert_str_eq(v->key, jxta_id_unique_value(&id, &t));
            } else {
                ck_assert_msg(strncmp(v->key, "cm", 2) == 0 && strlen(v->key) == 42, "%s: %s", rel,
                              v->key);
            }
            jxta_adv_free(adv);
            free(text);
            free(path);
        }
        tu_free_list(names);
        free(dir);
    }
    ck_assert_uint_ge(nv, 30);
    /* Distinct keys = entries (the same PA appears in several dumps). */
    size_t distinct = 0;
    for (size_t i = 0; i < nv; i++) {
        int dup = 0;
        for (size_t j = i + 1; j < nv; j++)
            dup |= strcmp(vecs[i].key, vecs[j].key) == 0 && vecs[i].dir == vecs[j].dir;
        distinct += !dup;
    }
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), distinct);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_PEERS, NULL, NULL, T0) +
                          search_n(cm, NG, JXTA_ADV_DIR_GROUPS, NULL, NULL, T0) +
                          search_n(cm, NG, JXTA_ADV_DIR_ADV, NULL, NULL, T0),
                     distinct);
    /* Specific lookups a peer makes. */
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_GROUPS, "GID", "urn:jxta:jxta-NetGroup", T0), 1);
    ck_assert_uint_eq(search_n(cm, NG, JXTA_ADV_DIR_ADV, "Name", "JxInteropEcho", T0), 1);
    ck_assert_uint_ge(search_n(cm, NG, JXTA_ADV_DIR_PEERS, "Name", "JxInterop*", T0), 3);
    ck_assert_uint_ge(search_n(cm, NG, JXTA_ADV_DIR_ADV, "MSID",
                               "urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE000000010306", T0),
                      2);
    ck_assert_uint_ge(search_n(cm, NG, JXTA_ADV_DIR_ADV, "RdvServiceName", "*", T0), 1);
    /* And all of it comes back after a restart. */
    jxta_cm_close(cm);
    ck_assert_int_eq(jxta_cm_open(home, NULL, T0 + 1000, &cm), 0);
    ck_assert_uint_eq(jxta_cm_count(cm, NULL, JXTA_ADV_DIR_NONE), distinct);
    for (size_t i = 0; i < nv; i++)
        ck_assert_msg(jxta_cm_get(cm, NG, vecs[i].dir, vecs[i].key, T0 + 1000, NULL, NULL) == 0,
                      "%s lost", vecs[i].rel);
    jxta_cm_close(cm);
    for (size_t i = 0; i < nv; i++)
        free(vecs[i].rel);
    rm_home(home);
}
END_TEST

START_TEST(key_rules)
{
    char k[JXTA_CM_KEY_MAX], k2[JXTA_CM_KEY_MAX];
    /* An RA and an APA about the same peer do not collide in Adv. */
    jxta_id_t pid;
    jxta_id_peer_from_seed(&pid, NG, "p", 1);
    const char *eas[] = {"tcp://127.0.0.1:9701"};
    jxta_adv_t *ra = NULL;
    ck_assert_int_eq(jxta_ra_new(&pid, eas, 1, &ra), 0);
    ck_assert_int_eq(jxta_cm_key(ra, k, sizeof k), 0);
    ck_assert_int_eq(jxta_adv_id(ra, &pid), 0);
    jxta_id_text_t t;
    ck_assert_str_ne(k, jxta_id_unique_value(&pid, &t));
    jxta_adv_t *pa = NULL;
    ck_assert_int_eq(jxta_pa_new(&pid, NG, "p", &pa), 0);
    ck_assert_int_eq(jxta_cm_key(pa, k2, sizeof k2), 0);
    ck_assert_str_eq(k2, jxta_id_unique_value(&pid, &t));
    ck_assert_int_eq(jxta_cm_dir_of(pa), JXTA_ADV_DIR_PEERS);
    ck_assert_str_eq(jxta_cm_dir_name(JXTA_ADV_DIR_PEERS), "Peers");
    ck_assert_str_eq(jxta_cm_dir_name(JXTA_ADV_DIR_GROUPS), "Groups");
    ck_assert_str_eq(jxta_cm_dir_name(JXTA_ADV_DIR_ADV), "Adv");
    ck_assert_ptr_null(jxta_cm_dir_name(JXTA_ADV_DIR_NONE));
    ck_assert_int_eq(jxta_cm_key(pa, k2, 10), JXTA_EINVAL);
    /* ID-less documents: the hash ignores layout (compact vs pretty). */
    char *mia_path = tu_vector_path("dump/ModuleImplAdvertisement-NetPeerGroup.xml");
    size_t len;
    uint8_t *text = tu_read(mia_path, &len);
    jxta_adv_t *mia = NULL, *mia2 = NULL;
    ck_assert_int_eq(jxta_adv_parse(text, len, &mia), 0);
    char *pretty = NULL;
    ck_assert_int_eq(jxta_adv_to_string(mia, JXTA_XML_INDENT, &pretty), 0);
    ck_assert_int_eq(jxta_adv_parse(pretty, strlen(pretty), &mia2), 0);
    ck_assert_int_eq(jxta_cm_key(mia, k, sizeof k), 0);
    ck_assert_int_eq(jxta_cm_key(mia2, k2, sizeof k2), 0);
    ck_assert_str_eq(k, k2);
    ck_assert(strncmp(k, "cm", 2) == 0);
    free(pretty);
    free(text);
    free(mia_path);
    jxta_adv_free(mia);
    jxta_adv_free(mia2);
    jxta_adv_free(ra);
    jxta_adv_free(pa);
}
END_TEST

START_TEST(discovered_response_is_cached)
{
    /* What the discovery service does with a response: each advertisement
     * kept with lifetime = expiration = the received Expiration. */
    char *path = tu_vector_path("edge-listening/peers/edge-discovered-EchoPipeAdvertisement.xml");
    size_t len;
    uint8_t *text = tu_read(path, &len);
    jxta_disc_response_t *r = NULL;
    ck_assert_int_eq(jxta_disc_response_new(JXTA_DISC_ADV, "Name", "JxInteropEcho", &r), 0);
    ck_assert_int_eq(jxta_disc_response_add(r, (const char *)text, len, 7200000), 0);
    char *s = NULL;
    ck_assert_int_eq(jxta_disc_response_to_string(r, &s), 0);
    jxta_disc_response_free(r);
    ck_assert_int_eq(jxta_disc_response_parse(s, strlen(s), &r), 0);
    jxta_cm_t *cm = NULL;
    ck_assert_int_eq(jxta_cm_open(NULL, NULL, T0, &cm), 0);
    for (size_t i = 0; i < r->count; i++) {
        int64_t exp = jxta_disc_entry_expiration(&r->entries[i]);
        ck_assert_int_eq(
            jxta_cm_publish_text(cm, NG, r->entries[i].adv_xml, r->entries[i].len, exp, exp, T0), 0);
    }
    jxta_cm_result_t *res = NULL;
    size_t n = 0;
    ck_assert_int_eq(jxta_cm_search_docs(cm, NG, JXTA_ADV_DIR_ADV, "Name", "JxInteropEcho", 10, 0,
                                         T0 + 200000, &res, &n),
                     0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(res[0].expiration_ms, 7000000);
    ck_assert_str_eq(res[0].doc, r->entries[0].adv_xml);
    jxta_cm_results_free(res, n);
    jxta_cm_close(cm);
    jxta_disc_response_free(r);
    free(s);
    free(text);
    free(path);
}
END_TEST

static Suite *cm_suite(void)
{
    Suite *s = suite_create("cm");
    TCase *tc = tcase_create("memory");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, publish_and_search_every_match_form);
    tcase_add_test(tc, callbacks_foreach_and_groups);
    tcase_add_test(tc, bad_publish_arguments);
    tcase_add_test(tc, lifetime_vs_expiration);
    tcase_add_test(tc, replace_on_same_key);
    tcase_add_test(tc, gc_drops_expired);
    tcase_add_test(tc, eviction_at_limits);
    tcase_add_test(tc, srdi_deltas_and_full_push);
    tcase_add_test(tc, srdi_journal_overflow_becomes_full_push);
    tcase_add_test(tc, srdi_same_answer_again_is_not_news);
    tcase_add_test(tc, key_rules);
    tcase_add_test(tc, discovered_response_is_cached);
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("persistence");
    tcase_set_timeout(tp, 300);
    tcase_add_test(tp, persistence_across_restart);
    tcase_add_test(tp, unwritable_home);
    tcase_add_test(tp, every_vector_published_and_found);
    suite_add_tcase(s, tp);
    return s;
}

int main(void)
{
    return tu_run(cm_suite());
}
