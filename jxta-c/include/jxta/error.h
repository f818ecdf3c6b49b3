/* jxta/error.h - error codes shared by every layer of libjxta.
 *
 * Every fallible function returns 0 (JXTA_OK) or a negative JXTA_E* code,
 * in the libuv manner: callers test `rc < 0`, and jxta_strerror() gives the
 * text for a log line or a CLI message.  Codes say *what kind* of problem
 * the input had, so tests can assert the exact rejection reason. */
#ifndef JXTA_ERROR_H
#define JXTA_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    JXTA_OK = 0,
    JXTA_ENOMEM = -1,     /* allocation failed */
    JXTA_EINVAL = -2,     /* bad argument from the caller */
    JXTA_ETRUNC = -3,     /* input ends before the structure it announces */
    JXTA_EMAGIC = -4,     /* wrong magic bytes ("jxmg", "jxel", JXTAHELLO) */
    JXTA_EVERSION = -5,   /* unsupported format version */
    JXTA_ETOOBIG = -6,    /* a length or count exceeds a configured limit */
    JXTA_EBADID = -7,     /* malformed JXTA ID text or bytes */
    JXTA_ENONCANON = -8,  /* well-formed but not the canonical spelling */
    JXTA_EXML = -9,       /* malformed or forbidden XML */
    JXTA_EADVTYPE = -10,  /* advertisement type unknown or not the one expected */
    JXTA_EMISSING = -11,  /* a required field/element/header is missing */
    JXTA_ETRAILING = -12, /* bytes left over after a complete structure */
    JXTA_EUTF8 = -13,     /* invalid UTF-8 where text is required */
    JXTA_EDEPTH = -14,    /* nesting deeper than allowed */
    JXTA_ENOTFOUND = -15, /* no such element / entry */
    JXTA_EIO = -16,       /* operating-system I/O error */
    JXTA_EPROTO = -17,    /* protocol rule violated (bad flag, duplicate header...) */
    JXTA_ERANGE = -18,    /* value out of its allowed range */
    JXTA_EEXIST = -19,    /* already registered / already present */
    JXTA_EBUSY = -20,     /* queue full: back-pressure, retry later */
    JXTA_ECLOSED = -21,   /* connection or service closed */
    JXTA_ETIMEDOUT = -22, /* an operation did not complete in time */
    JXTA_EUNREACH = -23,  /* no route or address for the destination */
    JXTA_EACCES = -24,    /* not a member: credential missing, wrong or unknown login */
    JXTA_EUNSUPPORTED = -25, /* a module, kind or method this implementation lacks */
    JXTA_EREFUSED = -26,  /* connection refused: nothing listens at that address */
    JXTA__ELAST = -27
};

/* Short English text for an error code; never NULL. */
const char *jxta_strerror(int err);
/* Stable symbolic name ("JXTA_ETRUNC"); never NULL. */
const char *jxta_errname(int err);
/* A library built on libjxta with codes of its own (libjuxmem: -200 and
 * below) gives their text here, so that jxta_strerror and the log lines
 * of rejections name them too: fn returns NULL for codes it does not
 * know.  One extension; thread-safe. */
typedef const char *(*jxta_strerror_ext_fn)(int err);
void jxta_strerror_extend(jxta_strerror_ext_fn fn);

#ifdef __cplusplus
}
#endif
#endif
