/* testutil.c - see testutil.h. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jxta.h>

const char *tu_vectors_dir(void)
{
    const char *d = getenv("JXTA_VECTORS");
    return d && *d ? d : "../shared/jxta/vectors/jxse-2.5";
}

char *tu_vector_path(const char *rel)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", tu_vectors_dir(), rel) < 0)
        ck_abort_msg("out of memory");
    return p;
}

uint8_t *tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s (is ../shared present? JXTA_VECTORS=%s)", path,
                  tu_vectors_dir());
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t tu_list(const char *dir, const char *suffix, char ***names)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open directory %s", dir);
    size_t n = 0, cap = 16;
    char **v = malloc(cap * sizeof *v);
    struct dirent *e;
    size_t sl = strlen(suffix);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l < sl || strcmp(e->d_name + l - sl, suffix) != 0)
            continue;
        if (n + 1 >= cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
        }
        v[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(v, n, sizeof *v, cmp_str);
    v[n] = NULL;
    *names = v;
    return n;
}

void tu_free_list(char **names)
{
    for (char **p = names; p && *p; p++)
        free(*p);
    free(names);
}

static size_t log_count;
static char log_last[1024];

static void capture_sink(void *ud, jxta_log_level_t level, const char *module, const char *line)
{
    (void)ud;
    (void)level;
    log_count++;
    snprintf(log_last, sizeof log_last, "[%s] %s", module ? module : "-", line);
}

void tu_log_capture(void)
{
    log_count = 0;
    log_last[0] = '\0';
    jxta_log_set_level(JXTA_LOG_WARN);
    jxta_log_set_sink(capture_sink, NULL);
}

size_t tu_log_count(void)
{
    return log_count;
}

const char *tu_log_last(void)
{
    return log_last;
}

void tu_log_release(void)
{
    jxta_log_set_sink(NULL, NULL);
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

uint64_t tu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void tu_peer(jxta_loop_t *l, int role, const jxta_addr_t *seed, jxta_endpoint_t **ep,
             jxta_rdv_t **rdv, jxta_adv_t **pa_out)
{
    jxta_tcp_config_t tc;
    jxta_tcp_config_default(&tc);
    ck_assert_int_eq(jxta_id_new_peer(&tc.peer_id, &jxta_id_net_group), 0);
    tc.listen = role == JXTA_RDV_RENDEZVOUS;
    tc.first_frame_delay_ms = 5;
    ck_assert_int_eq(jxta_endpoint_new(l, &tc, ep), 0);
    jxta_adv_t *pa, *ra;
    ck_assert_int_eq(jxta_pa_new(&tc.peer_id, &jxta_id_net_group, "test", &pa), 0);
    ck_assert_int_eq(jxta_endpoint_local_route(*ep, &ra), 0);
    ck_assert_int_eq(jxta_pa_set_route(pa, ra), 0);
    jxta_adv_free(ra);
    jxta_rdv_config_t rc;
    jxta_rdv_config_default(&rc);
    rc.role = (jxta_rdv_role_t)role;
    rc.retry_ms = 300;
    if (seed) {
        rc.seeds[0] = *seed;
        rc.nseeds = 1;
    }
    ck_assert_int_eq(jxta_rdv_new(*ep, pa, &rc, NULL, NULL, rdv), 0);
    if (pa_out)
        *pa_out = pa;
    else
        jxta_adv_free(pa);
}
