/* error.c - text for the negative error codes of jxta/error.h. */
#include <jxta/error.h>

#include "internal.h"

static const struct {
    int code;
    const char *name;
    const char *text;
} errors[] = {
    {JXTA_OK, "JXTA_OK", "success"},
    {JXTA_ENOMEM, "JXTA_ENOMEM", "out of memory"},
    {JXTA_EINVAL, "JXTA_EINVAL", "invalid argument"},
    {JXTA_ETRUNC, "JXTA_ETRUNC", "input truncated"},
    {JXTA_EMAGIC, "JXTA_EMAGIC", "bad magic bytes"},
    {JXTA_EVERSION, "JXTA_EVERSION", "unsupported format version"},
    {JXTA_ETOOBIG, "JXTA_ETOOBIG", "length or count exceeds limit"},
    {JXTA_EBADID, "JXTA_EBADID", "malformed JXTA ID"},
    {JXTA_ENONCANON, "JXTA_ENONCANON", "JXTA ID not in canonical form"},
    {JXTA_EXML, "JXTA_EXML", "malformed or forbidden XML"},
    {JXTA_EADVTYPE, "JXTA_EADVTYPE", "unknown or unexpected advertisement type"},
    {JXTA_EMISSING, "JXTA_EMISSING", "required field missing"},
    {JXTA_ETRAILING, "JXTA_ETRAILING", "trailing bytes after end of data"},
    {JXTA_EUTF8, "JXTA_EUTF8", "invalid UTF-8"},
    {JXTA_EDEPTH, "JXTA_EDEPTH", "nesting too deep"},
    {JXTA_ENOTFOUND, "JXTA_ENOTFOUND", "not found"},
    {JXTA_EIO, "JXTA_EIO", "I/O error"},
    {JXTA_EPROTO, "JXTA_EPROTO", "protocol violation"},
    {JXTA_ERANGE, "JXTA_ERANGE", "value out of range"},
    {JXTA_EEXIST, "JXTA_EEXIST", "already exists"},
    {JXTA_EBUSY, "JXTA_EBUSY", "queue full, retry later"},
    {JXTA_ECLOSED, "JXTA_ECLOSED", "connection closed"},
    {JXTA_ETIMEDOUT, "JXTA_ETIMEDOUT", "timed out"},
    {JXTA_EUNREACH, "JXTA_EUNREACH", "destination unreachable"},
    {JXTA_EACCES, "JXTA_EACCES", "not a member: bad or missing credential"},
    {JXTA_EUNSUPPORTED, "JXTA_EUNSUPPORTED", "not supported by this implementation"},
    {JXTA_EREFUSED, "JXTA_EREFUSED", "connection refused (nothing listens there)"},
};

static jxta_strerror_ext_fn extension;

void jxta_strerror_extend(jxta_strerror_ext_fn fn)
{
    __atomic_store_n(&extension, fn, __ATOMIC_RELEASE);
}

const char *jxta_strerror(int err)
{
    for (size_t i = 0; i < JXTA_ARRAY_LEN(errors); i++)
        if (errors[i].code == err)
            return errors[i].text;
    jxta_strerror_ext_fn ext = __atomic_load_n(&extension, __ATOMIC_ACQUIRE);
    const char *text = ext ? ext(err) : NULL;
    return text ? text : "unknown error";
}

const char *jxta_errname(int err)
{
    for (size_t i = 0; i < JXTA_ARRAY_LEN(errors); i++)
        if (errors[i].code == err)
            return errors[i].name;
    return "JXTA_E?";
}
