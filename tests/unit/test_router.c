/* test_router.c - the router header (jxta:ERM): the fast reader and writer
 * agree with the full XML path on every header in the captured Java
 * conversations, on our own output, and on thousands of mutated headers
 * (whatever the fast path accepts, the full parser reads the same way). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jxta.h>

#include "../../jxta-c/endpoint/router.h"
#include "testutil.h"

static void assert_same(const jxta_erm_t *a, const jxta_erm_t *b)
{
    ck_assert_mem_eq(&a->src, &b->src, sizeof a->src);
    ck_assert_mem_eq(&a->dest, &b->dest, sizeof a->dest);
    ck_assert_mem_eq(&a->last, &b->last, sizeof a->last);
    ck_assert(jxta_id_equal(&a->src_peer, &b->src_peer));
    ck_assert(jxta_id_equal(&a->dest_peer, &b->dest_peer));
    ck_assert(jxta_id_equal(&a->last_peer, &b->last_peer));
    ck_assert_uint_eq(a->nfwd, b->nfwd);
    ck_assert_uint_eq(a->nrvs, b->nrvs);
    ck_assert_int_eq(a->ra != NULL, b->ra != NULL);
}

/* Collect the ERM bodies of every captured frame. */
static size_t captured_erms(char ***bodies, size_t **lens)
{
    static const char *convs[] = {"edge-listening", "minimal-edge"};
    size_t n = 0, cap = 64;
    *bodies = malloc(cap * sizeof **bodies);
    *lens = malloc(cap * sizeof **lens);
    for (size_t c = 0; c < 2; c++) {
        char rel[128];
        snprintf(rel, sizeof rel, "%s/decoded/frames", convs[c]);
        char *dir = tu_vector_path(rel);
        char **names;
        size_t k = tu_list(dir, ".jxmg", &names);
        for (size_t i = 0; i < k; i++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            size_t len;
            uint8_t *b = tu_read(path, &len);
            jxta_msg_t *m;
            ck_assert_int_eq(jxta_msg_decode(b, len, NULL, &m), 0);
            const jxta_msg_elem_t *e = jxta_msg_find(m, "jxta", "EndpointRouterMsg");
            if (e) {
                if (n == cap) {
                    cap *= 2;
                    *bodies = realloc(*bodies, cap * sizeof **bodies);
                    *lens = realloc(*lens, cap * sizeof **lens);
                }
                size_t el;
                const uint8_t *body = jxta_msg_elem_body(e, &el);
                (*bodies)[n] = malloc(el + 1);
                memcpy((*bodies)[n], body, el);
                (*lens)[n++] = el;
            }
            jxta_msg_free(m);
            free(b);
        }
        tu_free_list(names);
        free(dir);
    }
    return n;
}

START_TEST(test_captured_headers_both_paths)
{
    char **bodies;
    size_t *lens;
    size_t n = captured_erms(&bodies, &lens);
    ck_assert_uint_ge(n, 30);
    for (size_t i = 0; i < n; i++) {
        jxta_erm_t fast, full;
        ck_assert_int_eq(jxta__erm_parse(bodies[i], lens[i], &fast), 0);
        ck_assert_int_eq(jxta__erm_parse_full(bodies[i], lens[i], &full), 0);
        assert_same(&fast, &full);
        jxta__erm_clear(&fast);
        jxta__erm_clear(&full);
        free(bodies[i]);
    }
    free(bodies);
    free(lens);
}
END_TEST

START_TEST(test_writer_matches_xml_layer)
{
    jxta_addr_t s, d, l;
    jxta_id_t pid;
    ck_assert_int_eq(jxta_id_new_peer(&pid, &jxta_id_net_group), 0);
    jxta_addr_for_peer(&s, &pid, NULL, NULL);
    jxta_addr_for_peer(&l, &pid, NULL, NULL);
    const char *params[] = {NULL, "jxta-NetGroup", "a&b<c>d]]>e", "urn:jxta:uuid-AB04"};
    for (size_t i = 0; i < 4; i++) {
        jxta_addr_for_peer(&d, &pid, "Svc", params[i]);
        for (int rvs = 0; rvs < 2; rvs++) {
            jxta_buf_t a = JXTA_BUF_INIT, b = JXTA_BUF_INIT;
            ck_assert_int_eq(jxta__erm_write(&s, &d, &l, rvs ? &pid : NULL, NULL, &a), 0);
            ck_assert_int_eq(jxta__erm_write_full(&s, &d, &l, rvs ? &pid : NULL, NULL, &b), 0);
            ck_assert_uint_eq(a.len, b.len);
            ck_assert_mem_eq(a.data, b.data, a.len);
            /* and it reads back */
            jxta_erm_t e;
            ck_assert_int_eq(jxta__erm_parse(a.data, a.len, &e), 0);
            ck_assert_mem_eq(&e.dest, &d, sizeof d);
            ck_assert_uint_eq(e.nrvs, (size_t)rvs);
            jxta__erm_clear(&e);
            jxta_buf_free(&a);
            jxta_buf_free(&b);
        }
    }
}
END_TEST

static unsigned rng = 88172645u;
static unsigned rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

START_TEST(test_mutations_agree)
{
    char **bodies;
    size_t *lens;
    size_t n = captured_erms(&bodies, &lens);
    jxta_log_set_level(JXTA_LOG_ERROR);
    static const char *inserts[] = {"<!-- c -->", "&amp;", "&lt;", " ", "\n", "<Fwd/>", "<x/>",
                                    "</Src>", "]]>", "\xc3\xa9", "\xff", "<![CDATA[x]]>", "\t"};
    size_t fast_ok = 0;
    for (int v = 0; v < 4000; v++) {
        size_t i = rnd() % n, len = lens[i];
        char *buf = malloc(len + 32);
        memcpy(buf, bodies[i], len);
        switch (rnd() % 3) {
        case 0: /* flip a byte */
            buf[rnd() % len] ^= (char)(1 + rnd() % 255);
            break;
        case 1: { /* insert a snippet */
            const char *ins = inserts[rnd() % (sizeof inserts / sizeof inserts[0])];
            size_t at = rnd() % len, il = strlen(ins);
            memmove(buf + at + il, buf + at, len - at);
            memcpy(buf + at, ins, il);
            len += il;
            break;
        }
        default: /* cut */
            len = rnd() % len;
        }
        jxta_erm_t a, b;
        int ra = jxta__erm_parse(buf, len, &a);
        int rb = jxta__erm_parse_full(buf, len, &b);
        ck_assert_msg(ra == rb, "variant %d: fast+fallback %d, full %d", v, ra, rb);
        if (ra == 0) {
            assert_same(&a, &b);
            fast_ok++;
        }
        jxta__erm_clear(&a);
        jxta__erm_clear(&b);
        free(buf);
    }
    ck_assert_uint_gt(fast_ok, 100);
    for (size_t i = 0; i < n; i++)
        free(bodies[i]);
    free(bodies);
    free(lens);
}
END_TEST

static Suite *router_suite(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("erm");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_captured_headers_both_paths);
    tcase_add_test(tc, test_writer_matches_xml_layer);
    tcase_add_test(tc, test_mutations_agree);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(router_suite());
}
