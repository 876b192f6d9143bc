/*
 * path.c - percent-encoding of path segments and query components, and
 * request-path building from templates such as
 * "/api/saved_objects/{type}/{id}".
 *
 * Every function that appends to a kc_buf is all-or-nothing: on failure the
 * buffer is truncated back to the length it had on entry.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kc_core.h"

static const char kc_hex[] = "0123456789ABCDEF";

/* RFC 3986 unreserved: A-Z a-z 0-9 - . _ ~ */
static int kc_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
        || c == '~';
}

/* Drops whatever was appended after `len` (used to undo a failed call). */
static void kc_buf_rollback(kc_buf *b, size_t len)
{
    b->len = len;
    if (b->data != NULL)
        b->data[len] = '\0';
}

/* Appends s percent-encoded: runs of unreserved bytes are copied as they
 * are, every other byte becomes %XX. Does not roll back on failure. */
static int kc_encode(kc_buf *out, const char *s, size_t len)
{
    size_t i = 0, run;
    int rc;
    char esc[3];

    while (i < len) {
        run = i;
        while (run < len && kc_unreserved((unsigned char)s[run]))
            run++;
        if (run > i) {
            rc = kc_buf_add(out, s + i, run - i);
            if (rc != KC_OK)
                return rc;
            i = run;
            continue;
        }
        esc[0] = '%';
        esc[1] = kc_hex[((unsigned char)s[i]) >> 4];
        esc[2] = kc_hex[((unsigned char)s[i]) & 0x0F];
        rc = kc_buf_add(out, esc, 3);
        if (rc != KC_OK)
            return rc;
        i++;
    }
    return KC_OK;
}

int kc_path_encode_segment(kc_buf *out, const char *s, size_t len)
{
    size_t start;
    int rc;

    if (out == NULL || (s == NULL && len > 0))
        return KC_EINVAL;
    start = out->len;
    /* "." and ".." are unreserved but would be dot-segments: never let an
     * id climb out of its place in the path. */
    if (len == 1 && s[0] == '.')
        rc = kc_buf_add(out, "%2E", 3);
    else if (len == 2 && s[0] == '.' && s[1] == '.')
        rc = kc_buf_add(out, "%2E%2E", 6);
    else
        rc = kc_encode(out, s, len);
    if (rc != KC_OK)
        kc_buf_rollback(out, start);
    return rc;
}

int kc_query_encode(kc_buf *out, const char *s, size_t len)
{
    size_t start;
    int rc;

    if (out == NULL || (s == NULL && len > 0))
        return KC_EINVAL;
    start = out->len;
    rc = kc_encode(out, s, len);
    if (rc != KC_OK)
        kc_buf_rollback(out, start);
    return rc;
}

/* Characters allowed in a template parameter name: A-Z a-z 0-9 _ - . */
static int kc_param_name_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* printf-style message into err, when the caller gave a buffer. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void kc_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Appends base_path without its trailing '/'s, adding the leading '/' when
 * it is missing (so "kibana" and "/kibana/" both give "/kibana"). */
static int kc_add_base_path(kc_buf *out, const char *base_path)
{
    size_t blen;
    int rc;

    if (base_path == NULL)
        return KC_OK;
    blen = strlen(base_path);
    while (blen > 0 && base_path[blen - 1] == '/')
        blen--;
    if (blen == 0)
        return KC_OK;
    if (base_path[0] != '/') {
        rc = kc_buf_addc(out, '/');
        if (rc != KC_OK)
            return rc;
    }
    return kc_buf_add(out, base_path, blen);
}

/* Expands the template into out: literal bytes are copied verbatim, each
 * {name} is replaced by the looked-up value encoded as one segment. */
static int kc_expand_template(kc_buf *out, const char *tmpl,
                              kc_param_fn lookup, void *ud,
                              char *err, size_t errlen)
{
    const char *p = tmpl;
    int rc;

    while (*p != '\0') {
        const char *lit = p, *name, *val = NULL;
        size_t namelen, vlen = 0;

        while (*p != '\0' && *p != '{' && *p != '}')
            p++;
        if (p > lit) {
            rc = kc_buf_add(out, lit, (size_t)(p - lit));
            if (rc != KC_OK)
                return rc;
        }
        if (*p == '\0')
            break;
        if (*p == '}') {
            kc_set_err(err, errlen,
                       "unmatched '}' at position %zu in path template",
                       (size_t)(p - tmpl) + 1);
            return KC_EINVAL;
        }
        name = ++p; /* past '{' */
        while (*p != '\0' && *p != '}' && kc_param_name_char((unsigned char)*p))
            p++;
        if (*p == '\0') {
            kc_set_err(err, errlen,
                       "unterminated '{' at position %zu in path template",
                       (size_t)(name - tmpl));
            return KC_EINVAL;
        }
        if (*p != '}') {
            kc_set_err(err, errlen,
                       "invalid character at position %zu in a path template "
                       "parameter name (use A-Z, a-z, 0-9, '_', '-', '.')",
                       (size_t)(p - tmpl) + 1);
            return KC_EINVAL;
        }
        namelen = (size_t)(p - name);
        p++; /* past '}' */
        if (namelen == 0) {
            kc_set_err(err, errlen,
                       "empty parameter name at position %zu in path template",
                       (size_t)(name - tmpl));
            return KC_EINVAL;
        }
        if (lookup == NULL || !lookup(ud, name, namelen, &val, &vlen)) {
            kc_set_err(err, errlen, "missing path parameter '%.*s'",
                       (int)namelen, name);
            return KC_EINVAL;
        }
        if (val == NULL || vlen == 0) {
            kc_set_err(err, errlen, "path parameter '%.*s' must not be empty",
                       (int)namelen, name);
            return KC_EINVAL;
        }
        /* Kibana parses request URLs with the WHATWG rules, which resolve
         * "." and ".." segments (also written %2E / %2E%2E) before routing:
         * no object with such an id can be addressed, and the request would
         * reach another route. */
        if ((vlen == 1 && val[0] == '.') ||
            (vlen == 2 && val[0] == '.' && val[1] == '.')) {
            kc_set_err(err, errlen,
                       "path parameter '%.*s' cannot be '%.*s': Kibana resolves "
                       "'.' and '..' path segments before routing, so no such "
                       "id can be addressed", (int)namelen, name, (int)vlen, val);
            return KC_EINVAL;
        }
        rc = kc_path_encode_segment(out, val, vlen);
        if (rc != KC_OK)
            return rc;
    }
    return KC_OK;
}

int kc_path_build(kc_buf *out, const char *base_path, const char *space,
                  const char *tmpl, kc_param_fn lookup, void *ud,
                  char *err, size_t errlen)
{
    size_t start;
    int rc;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL || tmpl == NULL) {
        kc_set_err(err, errlen, "%s must not be NULL",
                   out == NULL ? "output buffer" : "path template");
        return KC_EINVAL;
    }
    start = out->len;
    rc = kc_add_base_path(out, base_path);
    if (rc == KC_OK && space != NULL
        && !kc_space_is_default(space, strlen(space))) {
        if (!kc_space_id_valid(space, strlen(space), err, errlen))
            rc = KC_EINVAL;
        else if ((rc = kc_buf_add(out, "/s/", 3)) == KC_OK)
            rc = kc_buf_adds(out, space); /* valid ids need no encoding */
    }
    if (rc == KC_OK)
        rc = kc_expand_template(out, tmpl, lookup, ud, err, errlen);
    if (rc != KC_OK) {
        if (rc == KC_ENOMEM)
            kc_set_err(err, errlen, "out of memory building path");
        kc_buf_rollback(out, start);
    }
    return rc;
}
