/*
 * test_core.c - unit tests for the pure C core (src/core/kc_core.h).
 *
 * Prints TAP; exits non-zero when any test fails. Every test asserts real
 * values (exact strings, counts, delays), so a regression shows up as
 * "not ok" with the got/expected pair. The space cache is driven by a fake
 * clock (fake_now), the test program's only other global state.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc_core.h"
#include "tap.h"

/* ------------------------------------------------------------------ */
/* helpers                                                            */

static double fake_now;

static double fake_clock(void)
{
    return fake_now;
}

/* Name/value pairs for kc_path_build's lookup callback. A NULL value with
 * has_value set stands for a parameter given as NULL. */
typedef struct param {
    const char *name;
    const char *value;
    size_t len; /* 0: strlen(value) */
} param;

static int lookup_params(void *ud, const char *name, size_t namelen,
                         const char **val, size_t *len)
{
    const param *p;

    for (p = ud; p->name != NULL; p++) {
        if (strlen(p->name) == namelen && memcmp(p->name, name, namelen) == 0) {
            *val = p->value;
            *len = p->len ? p->len : (p->value ? strlen(p->value) : 0);
            return 1;
        }
    }
    return 0;
}

/* Builds a path into a fresh buffer; returns the rc, copies the result or
 * the error message into `res` (size KC_ERRLEN * 4). */
static int build(const char *base, const char *space, const char *tmpl,
                 const param *params, char *res)
{
    kc_buf b;
    char err[KC_ERRLEN];
    int rc;

    kc_buf_init(&b);
    strcpy(err, "(untouched)");
    rc = kc_path_build(&b, base, space, tmpl, params ? lookup_params : NULL,
                       (void *)params, err, sizeof err);
    if (rc == KC_OK)
        snprintf(res, KC_ERRLEN * 4, "%s", b.data ? b.data : "");
    else
        snprintf(res, KC_ERRLEN * 4, "%s", err);
    kc_buf_free(&b);
    return rc;
}

/* The unreserved set, written out independently of the code under test. */
static int is_unreserved(int c)
{
    return c != 0
        && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789-._~", c) != NULL;
}

/* Encodes with kc_path_encode_segment (seg=1) or kc_query_encode (seg=0)
 * into res (NUL-terminated); returns the rc. */
static int encode(int seg, const char *s, size_t len, char *res, size_t n)
{
    kc_buf b;
    int rc;

    kc_buf_init(&b);
    rc = seg ? kc_path_encode_segment(&b, s, len) : kc_query_encode(&b, s, len);
    snprintf(res, n, "%s", b.data ? b.data : "");
    kc_buf_free(&b);
    return rc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1; /* lower-case hex is a failure too */
}

/* ------------------------------------------------------------------ */
/* buffer                                                             */

static void test_buffer(void)
{
    kc_buf b;
    char big[1000];
    size_t i;
    int rc, same;

    kc_buf_init(&b);
    ok(b.data == NULL && b.len == 0 && b.cap == 0,
       "buffer starts empty with no allocation");

    is_int(kc_buf_add(&b, "", 0), KC_OK, "buffer add of zero bytes succeeds");
    ok(b.data != NULL && b.len == 0 && b.data[0] == '\0',
       "buffer add of zero bytes leaves an allocated empty string");

    kc_buf_adds(&b, "hello");
    kc_buf_addc(&b, ',');
    kc_buf_add(&b, " world!!!", 6);
    is_mem(b.data, b.len, "hello, world", 12,
           "buffer add, addc and adds append in order");
    ok(b.data[b.len] == '\0', "buffer keeps a NUL after the last byte");
    ok(b.cap > b.len, "buffer capacity exceeds length (room for the NUL)");

    kc_buf_add(&b, "a\0b", 3);
    is_mem(b.data, b.len, "hello, worlda\0b", 15,
           "buffer keeps embedded NUL bytes");

    is_int(kc_buf_add(&b, NULL, 1), KC_EINVAL,
           "buffer add of NULL with a length is KC_EINVAL");
    is_int(kc_buf_adds(&b, NULL), KC_EINVAL,
           "buffer adds of NULL is KC_EINVAL");
    is_int(kc_buf_add(NULL, "x", 1), KC_EINVAL,
           "buffer add to a NULL buffer is KC_EINVAL");
    is_int(b.len, 15, "buffer is unchanged by rejected adds");

    /* self-append must survive the reallocation */
    kc_buf_free(&b);
    kc_buf_adds(&b, "abc");
    for (i = 0; i < 12; i++)
        kc_buf_add(&b, b.data, b.len);
    is_int(b.len, 3 * 4096, "buffer self-append doubles its content each time");
    same = 1;
    for (i = 0; i < b.len; i++)
        same &= b.data[i] == "abc"[i % 3];
    ok(same && b.data[b.len] == '\0',
       "buffer self-append copies the right bytes across reallocations");

    kc_buf_free(&b);
    for (i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    rc = KC_OK;
    for (i = 0; i < 1000 && rc == KC_OK; i++)
        rc = kc_buf_add(&b, big, sizeof big);
    same = rc == KC_OK && b.len == 1000 * sizeof big;
    for (i = 0; same && i < b.len; i++)
        same = b.data[i] == big[i % sizeof big];
    ok(same, "buffer grows to 1 MB with the content intact");

    kc_buf_free(&b);
    ok(b.data == NULL && b.len == 0 && b.cap == 0,
       "buffer free resets the buffer to empty");
    kc_buf_free(&b);
    kc_buf_free(NULL);
    ok(1, "buffer free accepts NULL and an already freed buffer");
}

/* ------------------------------------------------------------------ */
/* space ids                                                          */

static void test_space_default(void)
{
    is_int(kc_space_is_default(NULL, 0), 1, "space NULL is the default space");
    is_int(kc_space_is_default("default", 7), 1,
           "space 'default' is the default space");
    is_int(kc_space_is_default("", 0), 0, "space '' is not the default space");
    is_int(kc_space_is_default("Default", 7), 0,
           "space default check is case-sensitive");
    is_int(kc_space_is_default("default ", 8), 0,
           "space 'default ' (trailing space) is not the default space");
    is_int(kc_space_is_default("defaul", 6), 0,
           "space 'defaul' is not the default space");
    is_int(kc_space_is_default("defaultx", 7), 1,
           "space default check uses the given length, not strlen");
    is_int(kc_space_is_default("default\0x", 9), 0,
           "space 'default' followed by an embedded NUL is not default");
}

static void check_invalid(const char *id, size_t len, const char *expect,
                          const char *name)
{
    char err[KC_ERRLEN];

    strcpy(err, "(untouched)");
    ok(kc_space_id_valid(id, len, err, sizeof err) == 0, "%s: rejected", name);
    is_str(err, expect, name);
}

static void test_space_id(void)
{
    static const char *valid[] = {
        "marketing", "a", "0", "_", "-", "team-a_01", "--", "__init__",
        "abcdefghijklmnopqrstuvwxyz0123456789_-", NULL
    };
    char err[KC_ERRLEN], id[2], *longid;
    int i, c, agree;

    for (i = 0; valid[i] != NULL; i++) {
        strcpy(err, "(untouched)");
        ok(kc_space_id_valid(valid[i], strlen(valid[i]), err, sizeof err) == 1
           && strcmp(err, "") == 0,
           "space id rule accepts '%s' (and clears err)", valid[i]);
    }

    check_invalid("", 0, "space id must not be empty",
                  "space id rule rejects the empty string");
    check_invalid(NULL, 0, "space id must not be empty",
                  "space id rule rejects NULL as empty");
    check_invalid("Marketing Team", 14,
                  "space id 'Marketing Team' is invalid: character 'M' at "
                  "position 1 is not allowed (use a-z, 0-9, '_' and '-')",
                  "space id rule rejects upper case, naming the id, the "
                  "character and its 1-based position");
    check_invalid("marketing team", 14,
                  "space id 'marketing team' is invalid: character ' ' at "
                  "position 10 is not allowed (use a-z, 0-9, '_' and '-')",
                  "space id rule rejects a space");
    check_invalid("marketing\n", 10,
                  "space id 'marketing\\n' is invalid: character '\\n' at "
                  "position 10 is not allowed (use a-z, 0-9, '_' and '-')",
                  "space id message escapes a newline");
    check_invalid("ab\0cd", 5,
                  "space id 'ab\\0cd' is invalid: character '\\0' at "
                  "position 3 is not allowed (use a-z, 0-9, '_' and '-')",
                  "space id rule rejects an embedded NUL");
    check_invalid("caf\xc3\xa9", 5,
                  "space id 'caf\\xC3\\xA9' is invalid: character '\\xC3' at "
                  "position 4 is not allowed (use a-z, 0-9, '_' and '-')",
                  "space id rule rejects non-ASCII bytes, escaped as \\xHH");
    check_invalid("it's", 4,
                  "space id 'it\\'s' is invalid: character '\\'' at "
                  "position 3 is not allowed (use a-z, 0-9, '_' and '-')",
                  "space id message escapes a quote");
    check_invalid("a\\b\t\x7f", 5,
                  "space id 'a\\\\b\\t\\x7F' is invalid: character '\\\\' at "
                  "position 2 is not allowed (use a-z, 0-9, '_' and '-')",
                  "space id message escapes backslash, tab and DEL");
    check_invalid("..", 2,
                  "space id '..' is invalid: character '.' at "
                  "position 1 is not allowed (use a-z, 0-9, '_' and '-')",
                  "space id rule rejects '..'");
    check_invalid("a/b", 3,
                  "space id 'a/b' is invalid: character '/' at "
                  "position 2 is not allowed (use a-z, 0-9, '_' and '-')",
                  "space id rule rejects a slash");
    check_invalid("marketing", 10,
                  "space id 'marketing\\0' is invalid: character '\\0' at "
                  "position 10 is not allowed (use a-z, 0-9, '_' and '-')",
                  "space id rule checks the whole given length (no ^...$ "
                  "shortcut)");

    /* every single byte */
    agree = 1;
    for (c = 0; c < 256; c++) {
        int expect = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
            || c == '_' || c == '-';
        id[0] = (char)c;
        id[1] = '\0';
        if (kc_space_id_valid(id, 1, NULL, 0) != expect) {
            printf("# byte 0x%02X disagrees\n", c);
            agree = 0;
        }
    }
    ok(agree, "space id rule accepts exactly a-z 0-9 _ - among all 256 bytes");

    /* long ids: accepted, and long bad ids keep the message readable */
    longid = malloc(10002);
    memset(longid, 'a', 10000);
    longid[10000] = '\0';
    ok(kc_space_id_valid(longid, 10000, err, sizeof err) == 1,
       "space id rule accepts a 10000-character id");
    longid[5000] = 'X';
    kc_space_id_valid(longid, 10000, err, sizeof err);
    ok(strncmp(err, "space id 'aaaa", 14) == 0 && strstr(err, "...'") != NULL
       && strstr(err, "character 'X' at position 5001 is not allowed "
                      "(use a-z, 0-9, '_' and '-')") != NULL
       && strlen(err) < KC_ERRLEN,
       "space id message shortens a long id with '...' and keeps the "
       "position");
    free(longid);

    memset(err, '#', sizeof err);
    kc_space_id_valid("BAD", 3, err, 12);
    is_str(err, "space id 'B", "space id message is truncated to errlen");
    err[0] = '#';
    ok(kc_space_id_valid("BAD", 3, err, 0) == 0 && err[0] == '#',
       "space id rule writes nothing when errlen is 0");
    ok(kc_space_id_valid("BAD", 3, NULL, 100) == 0,
       "space id rule accepts a NULL err buffer");
}

/* ------------------------------------------------------------------ */
/* percent-encoding                                                   */

static void test_encode_segment(void)
{
    char res[4096], exp[16], all[256];
    int c, agree, rc;
    size_t i, o;
    kc_buf b;

    encode(1, "../../api/spaces/space/x", 24, res, sizeof res);
    is_str(res, "..%2F..%2Fapi%2Fspaces%2Fspace%2Fx",
           "path segment: a traversal id stays one segment");
    encode(1, "a?b#c%d e", 9, res, sizeof res);
    is_str(res, "a%3Fb%23c%25d%20e",
           "path segment: ? # % and space are encoded");
    encode(1, "\xc3\xa9", 2, res, sizeof res);
    is_str(res, "%C3%A9", "path segment: UTF-8 bytes are encoded one by one");
    encode(1, ".", 1, res, sizeof res);
    is_str(res, "%2E", "path segment: '.' alone becomes %2E");
    encode(1, "..", 2, res, sizeof res);
    is_str(res, "%2E%2E", "path segment: '..' alone becomes %2E%2E");
    encode(1, "...", 3, res, sizeof res);
    is_str(res, "...", "path segment: '...' is an ordinary name, kept");
    encode(1, ".a", 2, res, sizeof res);
    is_str(res, ".a", "path segment: a leading dot is kept");
    encode(1, "a..", 3, res, sizeof res);
    is_str(res, "a..", "path segment: trailing dots are kept");
    encode(1, "AZaz09-._~", 10, res, sizeof res);
    is_str(res, "AZaz09-._~", "path segment: unreserved characters are kept");
    encode(1, "a\0b", 3, res, sizeof res);
    is_str(res, "a%00b", "path segment: an embedded NUL becomes %00");
    encode(1, "\xab\xff", 2, res, sizeof res);
    is_str(res, "%AB%FF", "path segment: hex digits are upper-case");
    encode(1, "+/&=;,:@!$'()*[]", 16, res, sizeof res);
    is_str(res, "%2B%2F%26%3D%3B%2C%3A%40%21%24%27%28%29%2A%5B%5D",
           "path segment: sub-delims, gen-delims and brackets are encoded");

    /* each byte on its own */
    agree = 1;
    for (c = 0; c < 256; c++) {
        char one = (char)c;
        if (c == '.')
            strcpy(exp, "%2E"); /* the lone-dot rule */
        else if (is_unreserved(c))
            snprintf(exp, sizeof exp, "%c", c);
        else
            snprintf(exp, sizeof exp, "%%%02X", c);
        encode(1, &one, 1, res, sizeof res);
        if (strcmp(res, exp) != 0) {
            printf("# byte 0x%02X: got '%s' expected '%s'\n", c, res, exp);
            agree = 0;
        }
    }
    ok(agree, "path segment: each of the 256 bytes alone encodes as expected");

    /* all bytes in one segment: only safe characters, decodes back */
    for (i = 0; i < 256; i++)
        all[i] = (char)i;
    kc_buf_init(&b);
    rc = kc_path_encode_segment(&b, all, 256);
    agree = rc == KC_OK && b.len == 66 + 190 * 3;
    for (i = 0, o = 0; agree && i < b.len; o++) {
        if (b.data[i] == '%') {
            int hi = hexval(b.data[i + 1]), lo = hexval(b.data[i + 2]);
            agree = hi >= 0 && lo >= 0 && (unsigned char)all[o] == hi * 16 + lo
                && !is_unreserved((unsigned char)all[o]);
            i += 3;
        } else {
            agree = is_unreserved((unsigned char)b.data[i])
                && b.data[i] == all[o];
            i++;
        }
    }
    ok(agree && o == 256,
       "path segment: all 256 bytes give 66 kept + 190 %%XX and decode back");
    ok(strchr(b.data, '/') == NULL && strchr(b.data, '?') == NULL
       && strchr(b.data, '#') == NULL,
       "path segment: the output never contains / ? or #");
    kc_buf_free(&b);

    kc_buf_init(&b);
    kc_buf_adds(&b, "/api/x/");
    kc_path_encode_segment(&b, "a b", 3);
    is_mem(b.data, b.len, "/api/x/a%20b", 12,
           "path segment: appends to what is already in the buffer");
    is_int(kc_path_encode_segment(&b, NULL, 0), KC_OK,
           "path segment: NULL with length 0 is an empty segment");
    is_int(kc_path_encode_segment(&b, NULL, 3), KC_EINVAL,
           "path segment: NULL with a length is KC_EINVAL");
    is_int(kc_path_encode_segment(NULL, "a", 1), KC_EINVAL,
           "path segment: a NULL buffer is KC_EINVAL");
    is_mem(b.data, b.len, "/api/x/a%20b", 12,
           "path segment: failed calls leave the buffer unchanged");
    kc_buf_free(&b);
}

static void test_query_encode(void)
{
    char res[1024], one, exp[8];
    int c, agree;

    encode(0, "a b+c&d=e", 9, res, sizeof res);
    is_str(res, "a%20b%2Bc%26d%3De",
           "query: space is %20, and + & = are encoded");
    encode(0, "..", 2, res, sizeof res);
    is_str(res, "..", "query: '..' is kept (the dot rule is for segments)");
    encode(0, "AZaz09-._~", 10, res, sizeof res);
    is_str(res, "AZaz09-._~", "query: unreserved characters are kept");
    encode(0, "\xc3\xa9/?#%", 6, res, sizeof res);
    is_str(res, "%C3%A9%2F%3F%23%25",
           "query: UTF-8 and delimiters are encoded");
    encode(0, "x\0y", 3, res, sizeof res);
    is_str(res, "x%00y", "query: an embedded NUL becomes %00");

    agree = 1;
    for (c = 0; c < 256; c++) {
        one = (char)c;
        if (is_unreserved(c))
            snprintf(exp, sizeof exp, "%c", c);
        else
            snprintf(exp, sizeof exp, "%%%02X", c);
        encode(0, &one, 1, res, sizeof res);
        if (strcmp(res, exp) != 0) {
            printf("# byte 0x%02X: got '%s' expected '%s'\n", c, res, exp);
            agree = 0;
        }
    }
    ok(agree, "query: each of the 256 bytes encodes as expected");
    is_int(kc_query_encode(NULL, "a", 1), KC_EINVAL,
           "query: a NULL buffer is KC_EINVAL");
}

/* ------------------------------------------------------------------ */
/* path building                                                      */

static void test_path_build(void)
{
    static const param so[] = {
        { "type", "dashboard", 0 }, { "id", "abc-1", 0 }, { NULL, NULL, 0 }
    };
    static const param tricky[] = {
        { "type", "dashboard", 0 }, { "id", "../../api/spaces/space/x", 0 },
        { "q", "a?b#c%d e", 0 }, { "e", "\xc3\xa9", 0 }, { "dot", "..x", 0 },
        { "nul", "a\0b", 3 }, { NULL, NULL, 0 }
    };
    static const param dots[] = {
        { "one", ".", 0 }, { "two", "..", 0 }, { "three", "...", 0 },
        { NULL, NULL, 0 }
    };
    static const param empty[] = {
        { "type", "dashboard", 0 }, { "id", "", 0 }, { NULL, NULL, 0 }
    };
    static const param nullval[] = { { "id", NULL, 0 }, { NULL, NULL, 0 } };
    char res[KC_ERRLEN * 4], err[KC_ERRLEN];
    kc_buf b;
    int rc;

    rc = build(NULL, NULL, "/api/status", NULL, res);
    ok(rc == KC_OK && strcmp(res, "/api/status") == 0,
       "path build: a template without parameters is copied");
    build(NULL, NULL, "/api/saved_objects/{type}/{id}", so, res);
    is_str(res, "/api/saved_objects/dashboard/abc-1",
           "path build: parameters are substituted");
    build(NULL, NULL, "/x/{type}{id}", so, res);
    is_str(res, "/x/dashboardabc-1", "path build: adjacent parameters");
    build(NULL, NULL, "/api/saved_objects/{type}/{id}", tricky, res);
    is_str(res, "/api/saved_objects/dashboard/"
                "..%2F..%2Fapi%2Fspaces%2Fspace%2Fx",
           "path build: a traversal id cannot climb out of its segment");
    build(NULL, NULL, "/a/{q}/{e}/{dot}/{nul}", tricky, res);
    is_str(res, "/a/a%3Fb%23c%25d%20e/%C3%A9/..x/a%00b",
           "path build: ? # % space, UTF-8, dots and NUL stay in one segment");
    rc = build(NULL, NULL, "/api/saved_objects/dashboard/{two}", dots, res);
    ok(rc == KC_EINVAL, "path build: an id '..' is refused (Kibana resolves it)");
    is_str(res, "path parameter 'two' cannot be '..': Kibana resolves '.' and "
                "'..' path segments before routing, so no such id can be "
                "addressed", "path build: the '..' message names the parameter");
    rc = build(NULL, NULL, "/x/{one}", dots, res);
    ok(rc == KC_EINVAL, "path build: an id '.' is refused");
    build(NULL, NULL, "/x/{three}", dots, res);
    is_str(res, "/x/...", "path build: '...' is an ordinary id");

    /* base_path */
    build("", NULL, "/api/status", NULL, res);
    is_str(res, "/api/status", "path build: empty base_path adds nothing");
    build("/kibana", NULL, "/api/status", NULL, res);
    is_str(res, "/kibana/api/status", "path build: base_path is prefixed");
    build("/kibana/", NULL, "/api/status", NULL, res);
    is_str(res, "/kibana/api/status",
           "path build: a trailing '/' on base_path is dropped");
    build("/kibana//", NULL, "/api/status", NULL, res);
    is_str(res, "/kibana/api/status",
           "path build: several trailing '/' on base_path are dropped");
    build("/", NULL, "/api/status", NULL, res);
    is_str(res, "/api/status", "path build: base_path '/' adds nothing");
    build("kibana", NULL, "/api/status", NULL, res);
    is_str(res, "/kibana/api/status",
           "path build: a base_path without a leading '/' gets one");
    build("/a/b", NULL, "/api/status", NULL, res);
    is_str(res, "/a/b/api/status", "path build: a multi-segment base_path");

    /* spaces */
    build(NULL, "default", "/api/status", NULL, res);
    is_str(res, "/api/status", "path build: space 'default' adds no prefix");
    build(NULL, "marketing", "/api/saved_objects/{type}/{id}", so, res);
    is_str(res, "/s/marketing/api/saved_objects/dashboard/abc-1",
           "path build: a space adds /s/<space>");
    build("/kibana/", "marketing", "/api/status", NULL, res);
    is_str(res, "/kibana/s/marketing/api/status",
           "path build: the space prefix goes right after base_path");
    rc = build("/kibana", "Marketing", "/api/status", NULL, res);
    ok(rc == KC_EINVAL, "path build: an invalid space is KC_EINVAL");
    is_str(res, "space id 'Marketing' is invalid: character 'M' at position 1 "
                "is not allowed (use a-z, 0-9, '_' and '-')",
           "path build: an invalid space gives the space-id message");
    rc = build(NULL, "", "/api/status", NULL, res);
    ok(rc == KC_EINVAL && strcmp(res, "space id must not be empty") == 0,
       "path build: space '' is invalid, not the default space");
    rc = build(NULL, "../admin", "/api/status", NULL, res);
    ok(rc == KC_EINVAL, "path build: a traversal space is rejected");

    /* parameter errors */
    rc = build(NULL, NULL, "/api/saved_objects/{type}/{id}",
               (const param[]){ { "type", "x", 0 }, { NULL, NULL, 0 } }, res);
    ok(rc == KC_EINVAL && strcmp(res, "missing path parameter 'id'") == 0,
       "path build: a missing parameter is named");
    rc = build(NULL, NULL, "/api/saved_objects/{type}/{id}", empty, res);
    ok(rc == KC_EINVAL
       && strcmp(res, "path parameter 'id' must not be empty") == 0,
       "path build: an empty parameter is named");
    rc = build(NULL, NULL, "/api/x/{id}", nullval, res);
    ok(rc == KC_EINVAL
       && strcmp(res, "path parameter 'id' must not be empty") == 0,
       "path build: a parameter found with a NULL value counts as empty");
    rc = build(NULL, NULL, "/api/x/{id}", NULL, res);
    ok(rc == KC_EINVAL && strcmp(res, "missing path parameter 'id'") == 0,
       "path build: with no lookup every parameter is missing");

    /* template errors */
    rc = build(NULL, NULL, "/api/x/{id", so, res);
    ok(rc == KC_EINVAL
       && strcmp(res, "unterminated '{' at position 8 in path template") == 0,
       "path build: an unterminated brace is an error");
    rc = build(NULL, NULL, "/api/x/{}", so, res);
    ok(rc == KC_EINVAL
       && strcmp(res, "empty parameter name at position 8 in path template")
       == 0,
       "path build: an empty parameter name is an error");
    rc = build(NULL, NULL, "/api/x}/y", so, res);
    ok(rc == KC_EINVAL
       && strcmp(res, "unmatched '}' at position 7 in path template") == 0,
       "path build: a stray closing brace is an error");
    rc = build(NULL, NULL, "/api/{a b}", so, res);
    ok(rc == KC_EINVAL
       && strstr(res, "invalid character at position 8") != NULL,
       "path build: a parameter name with a space is an error");
    rc = build(NULL, NULL, "/api/{a{b}}", so, res);
    ok(rc == KC_EINVAL
       && strstr(res, "invalid character at position 8") != NULL,
       "path build: nested braces are an error");

    /* all-or-nothing, NULL handling */
    kc_buf_init(&b);
    kc_buf_adds(&b, "keep");
    rc = kc_path_build(&b, "/kibana", "marketing", "/api/{missing}",
                       lookup_params, (void *)so, err, sizeof err);
    is_mem(b.data, b.len, "keep", 4,
           "path build: a failed build leaves the buffer as it was");
    rc = kc_path_build(&b, "/kibana", "marketing", "/api/x/{id}",
                       lookup_params, (void *)so, NULL, 0);
    is_mem(b.data, b.len, "keep/kibana/s/marketing/api/x/abc-1", 35,
           "path build: appends to the buffer and accepts a NULL err");
    rc = kc_path_build(&b, NULL, NULL, NULL, NULL, NULL, err, sizeof err);
    ok(rc == KC_EINVAL && strcmp(err, "path template must not be NULL") == 0,
       "path build: a NULL template is KC_EINVAL");
    rc = kc_path_build(&b, NULL, NULL, "/api/status", NULL, NULL, err,
                       sizeof err);
    ok(rc == KC_OK && strcmp(err, "") == 0,
       "path build: success leaves err empty");
    kc_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* clock                                                              */

static void test_clock(void)
{
    double t0 = kc_monotonic(), t, prev = t0;
    int monotone = 1;
    long i;

    ok(t0 > 0, "monotonic clock returns a positive number of seconds");
    for (i = 0; i < 100000000L; i++) {
        t = kc_monotonic();
        if (t < prev)
            monotone = 0;
        prev = t;
        if (t - t0 >= 0.01)
            break;
    }
    ok(monotone, "monotonic clock never goes backwards");
    ok(prev - t0 >= 0.01 && prev - t0 < 5,
       "monotonic clock advances in seconds (10 ms measured)");
}

/* ------------------------------------------------------------------ */
/* space cache                                                        */

static void check_stats(kc_space_cache *c, uint64_t hits, uint64_t misses,
                        size_t size, const char *name)
{
    kc_space_cache_stats st;

    kc_space_cache_stats_get(c, &st);
    if (!ok(st.hits == hits && st.misses == misses
            && st.lookups == hits + misses && st.size == size, "%s", name))
        printf("#   got hits=%llu misses=%llu lookups=%llu size=%lu, "
               "expected %llu/%llu/%llu/%lu\n",
               (unsigned long long)st.hits, (unsigned long long)st.misses,
               (unsigned long long)st.lookups, (unsigned long)st.size,
               (unsigned long long)hits, (unsigned long long)misses,
               (unsigned long long)(hits + misses), (unsigned long)size);
}

static void test_space_cache_basic(void)
{
    kc_space_cache *c;
    char key[8];

    fake_now = 1000;
    c = kc_space_cache_new(300, 30, fake_clock);
    ok(c != NULL, "space cache: new returns a cache");
    check_stats(c, 0, 0, 0, "space cache: a new cache has zero stats");

    is_int(kc_space_cache_get(c, "marketing", 9), KC_SPACE_UNKNOWN,
           "space cache: an unknown id is UNKNOWN");
    check_stats(c, 0, 1, 0, "space cache: a lookup of an unknown id is a miss");

    is_int(kc_space_cache_put(c, "marketing", 9, KC_SPACE_EXISTS), KC_OK,
           "space cache: put EXISTS succeeds");
    is_int(kc_space_cache_get(c, "marketing", 9), KC_SPACE_EXISTS,
           "space cache: a stored id is returned");
    check_stats(c, 1, 1, 1, "space cache: a fresh entry is a hit");

    kc_space_cache_put(c, "ghost", 5, KC_SPACE_MISSING);
    is_int(kc_space_cache_get(c, "ghost", 5), KC_SPACE_MISSING,
           "space cache: a MISSING answer is returned");
    check_stats(c, 2, 1, 2, "space cache: a fresh MISSING entry is a hit too");

    kc_space_cache_put(c, "marketing", 9, KC_SPACE_MISSING);
    is_int(kc_space_cache_get(c, "marketing", 9), KC_SPACE_MISSING,
           "space cache: put replaces the state of an id");
    check_stats(c, 3, 1, 2, "space cache: replacing does not add an entry");

    /* keys by length and content, copied */
    kc_space_cache_put(c, "abc", 3, KC_SPACE_EXISTS);
    is_int(kc_space_cache_get(c, "abcd", 4), KC_SPACE_UNKNOWN,
           "space cache: 'abcd' is not 'abc'");
    is_int(kc_space_cache_get(c, "abcd", 3), KC_SPACE_EXISTS,
           "space cache: keys are compared by the given length");
    kc_space_cache_put(c, "a\0b", 3, KC_SPACE_EXISTS);
    is_int(kc_space_cache_get(c, "a\0c", 3), KC_SPACE_UNKNOWN,
           "space cache: bytes after an embedded NUL count");
    strcpy(key, "temp");
    kc_space_cache_put(c, key, 4, KC_SPACE_EXISTS);
    strcpy(key, "xxxx");
    is_int(kc_space_cache_get(c, "temp", 4), KC_SPACE_EXISTS,
           "space cache: the key is copied (caller's buffer may change)");
    is_int(kc_space_cache_get(c, key, 4), KC_SPACE_UNKNOWN,
           "space cache: the changed buffer is a different id");

    /* invalidate / clear */
    kc_space_cache_invalidate(c, "temp", 4);
    is_int(kc_space_cache_get(c, "temp", 4), KC_SPACE_UNKNOWN,
           "space cache: invalidate removes that id");
    is_int(kc_space_cache_get(c, "abc", 3), KC_SPACE_EXISTS,
           "space cache: invalidate leaves other ids alone");
    kc_space_cache_invalidate(c, "never-there", 11);
    kc_space_cache_invalidate(c, NULL, 3);
    kc_space_cache_invalidate(NULL, "abc", 3);
    ok(1, "space cache: invalidating an absent id or with NULLs is harmless");
    check_stats(c, 6, 5, 4,
                "space cache: stats count every get "
                "(6 hits, 5 misses, 4 live)");
    kc_space_cache_clear(c);
    check_stats(c, 6, 5, 0, "space cache: clear empties it but keeps counters");
    is_int(kc_space_cache_get(c, "abc", 3), KC_SPACE_UNKNOWN,
           "space cache: nothing is found after clear");
    is_int(kc_space_cache_put(c, "abc", 3, KC_SPACE_EXISTS), KC_OK,
           "space cache: put works again after clear");
    is_int(kc_space_cache_get(c, "abc", 3), KC_SPACE_EXISTS,
           "space cache: and the new entry is found");

    /* bad arguments */
    is_int(kc_space_cache_put(c, "x", 1, KC_SPACE_UNKNOWN), KC_EINVAL,
           "space cache: put UNKNOWN is KC_EINVAL");
    is_int(kc_space_cache_put(c, "x", 1, (kc_space_state)7), KC_EINVAL,
           "space cache: put of an out-of-range state is KC_EINVAL");
    is_int(kc_space_cache_put(c, NULL, 1, KC_SPACE_EXISTS), KC_EINVAL,
           "space cache: put with a NULL id is KC_EINVAL");
    is_int(kc_space_cache_put(NULL, "x", 1, KC_SPACE_EXISTS), KC_EINVAL,
           "space cache: put on a NULL cache is KC_EINVAL");
    is_int(kc_space_cache_get(NULL, "x", 1), KC_SPACE_UNKNOWN,
           "space cache: get on a NULL cache is UNKNOWN");
    ok(kc_space_cache_new(NAN, 30, fake_clock) == NULL
       && kc_space_cache_new(300, NAN, fake_clock) == NULL,
       "space cache: new rejects a NaN ttl");

    kc_space_cache_free(c);
    kc_space_cache_free(NULL);
    ok(1, "space cache: free accepts a cache and NULL");
}

static void test_space_cache_ttl(void)
{
    kc_space_cache *c;

    fake_now = 1000;
    c = kc_space_cache_new(300, 30, fake_clock);
    kc_space_cache_put(c, "m", 1, KC_SPACE_EXISTS);
    kc_space_cache_put(c, "g", 1, KC_SPACE_MISSING);

    fake_now = 1029.999;
    is_int(kc_space_cache_get(c, "g", 1), KC_SPACE_MISSING,
           "space cache ttl: MISSING is fresh just before missing_ttl");
    fake_now = 1030;
    check_stats(c, 1, 0, 1,
                "space cache ttl: stats size excludes an expired entry");
    is_int(kc_space_cache_get(c, "g", 1), KC_SPACE_UNKNOWN,
           "space cache ttl: MISSING expires exactly at missing_ttl");
    is_int(kc_space_cache_get(c, "m", 1), KC_SPACE_EXISTS,
           "space cache ttl: EXISTS outlives missing_ttl");

    fake_now = 1299.999;
    is_int(kc_space_cache_get(c, "m", 1), KC_SPACE_EXISTS,
           "space cache ttl: EXISTS is fresh just before ttl");
    fake_now = 1300;
    is_int(kc_space_cache_get(c, "m", 1), KC_SPACE_UNKNOWN,
           "space cache ttl: EXISTS expires exactly at ttl");
    check_stats(c, 3, 2, 0,
                "space cache ttl: expired lookups are misses, entries removed");

    /* refresh */
    fake_now = 2000;
    kc_space_cache_put(c, "m", 1, KC_SPACE_EXISTS);
    fake_now = 2200;
    kc_space_cache_put(c, "m", 1, KC_SPACE_EXISTS);
    fake_now = 2450;
    is_int(kc_space_cache_get(c, "m", 1), KC_SPACE_EXISTS,
           "space cache ttl: put again restarts the ttl");

    /* set_ttl applies to stored entries */
    is_int(kc_space_cache_set_ttl(c, 100, 30), KC_OK,
           "space cache ttl: set_ttl succeeds");
    is_int(kc_space_cache_get(c, "m", 1), KC_SPACE_UNKNOWN,
           "space cache ttl: a shorter ttl expires older entries at once");
    kc_space_cache_put(c, "m", 1, KC_SPACE_EXISTS);
    kc_space_cache_set_ttl(c, 1000, 30);
    fake_now = 2450 + 999;
    is_int(kc_space_cache_get(c, "m", 1), KC_SPACE_EXISTS,
           "space cache ttl: a longer ttl extends stored entries");
    is_int(kc_space_cache_set_ttl(c, NAN, 1), KC_EINVAL,
           "space cache ttl: set_ttl rejects NaN");
    is_int(kc_space_cache_set_ttl(NULL, 1, 1), KC_EINVAL,
           "space cache ttl: set_ttl rejects a NULL cache");
    kc_space_cache_set_ttl(c, 0, 30);
    check_stats(c, 5, 3, 0, "space cache ttl: set_ttl 0 drops everything");

    /* ttl <= 0: nothing cached */
    is_int(kc_space_cache_put(c, "m", 1, KC_SPACE_EXISTS), KC_OK,
           "space cache ttl: put with ttl 0 still succeeds");
    is_int(kc_space_cache_get(c, "m", 1), KC_SPACE_UNKNOWN,
           "space cache ttl: with ttl 0 EXISTS is not cached");
    kc_space_cache_set_ttl(c, -5, 30);
    kc_space_cache_put(c, "m", 1, KC_SPACE_EXISTS);
    is_int(kc_space_cache_get(c, "m", 1), KC_SPACE_UNKNOWN,
           "space cache ttl: with a negative ttl EXISTS is not cached");
    kc_space_cache_put(c, "g", 1, KC_SPACE_MISSING);
    is_int(kc_space_cache_get(c, "g", 1), KC_SPACE_MISSING,
           "space cache ttl: missing_ttl is independent of ttl");
    kc_space_cache_free(c);

    /* missing_ttl 0 */
    fake_now = 0;
    c = kc_space_cache_new(300, 0, fake_clock);
    kc_space_cache_put(c, "g", 1, KC_SPACE_EXISTS);
    is_int(kc_space_cache_put(c, "g", 1, KC_SPACE_MISSING), KC_OK,
           "space cache: put MISSING with missing_ttl 0 succeeds");
    check_stats(c, 0, 0, 0,
                "space cache: with missing_ttl 0 MISSING is not stored and "
                "replaces the old EXISTS");
    is_int(kc_space_cache_get(c, "g", 1), KC_SPACE_UNKNOWN,
           "space cache: with missing_ttl 0 the id is UNKNOWN");
    kc_space_cache_free(c);

    /* infinite ttl */
    c = kc_space_cache_new(INFINITY, 0, fake_clock);
    kc_space_cache_put(c, "m", 1, KC_SPACE_EXISTS);
    fake_now = 1e12;
    is_int(kc_space_cache_get(c, "m", 1), KC_SPACE_EXISTS,
           "space cache: an infinite ttl never expires");
    kc_space_cache_free(c);

    /* the real clock */
    c = kc_space_cache_new(300, 30, NULL);
    kc_space_cache_put(c, "m", 1, KC_SPACE_EXISTS);
    is_int(kc_space_cache_get(c, "m", 1), KC_SPACE_EXISTS,
           "space cache: a NULL clock uses the monotonic clock");
    kc_space_cache_free(c);
}

static void test_space_cache_many(void)
{
    kc_space_cache *c;
    kc_space_cache_stats st;
    char id[32], *big;
    int i, found, gone, rc;

    fake_now = 0;
    c = kc_space_cache_new(300, 30, fake_clock);
    rc = KC_OK;
    for (i = 0; i < 10000 && rc == KC_OK; i++) {
        int n = snprintf(id, sizeof id, "tenant-%d", i);
        rc = kc_space_cache_put(c, id, (size_t)n,
                                i % 3 ? KC_SPACE_EXISTS : KC_SPACE_MISSING);
    }
    is_int(rc, KC_OK, "space cache: 10000 puts succeed");
    check_stats(c, 0, 0, 10000, "space cache: holds 10000 live ids");
    found = 0;
    for (i = 0; i < 10000; i++) {
        int n = snprintf(id, sizeof id, "tenant-%d", i);
        found += kc_space_cache_get(c, id, (size_t)n)
            == (i % 3 ? KC_SPACE_EXISTS : KC_SPACE_MISSING);
    }
    is_int(found, 10000, "space cache: every one of 10000 ids has its state");
    for (i = 0; i < 10000; i += 2) {
        int n = snprintf(id, sizeof id, "tenant-%d", i);
        kc_space_cache_invalidate(c, id, (size_t)n);
    }
    found = gone = 0;
    for (i = 0; i < 10000; i++) {
        int n = snprintf(id, sizeof id, "tenant-%d", i);
        kc_space_state s = kc_space_cache_get(c, id, (size_t)n);
        if (i % 2)
            found += s != KC_SPACE_UNKNOWN;
        else
            gone += s == KC_SPACE_UNKNOWN;
    }
    ok(found == 5000 && gone == 5000,
       "space cache: invalidating 5000 of 10000 ids removes exactly those");
    check_stats(c, 15000, 5000, 5000,
                "space cache: stats after 20000 lookups over 10000 ids");

    /* 20000 more ids after the MISSING answers have expired */
    fake_now = 100;
    for (i = 0; i < 20000; i++) {
        int n = snprintf(id, sizeof id, "late-%d", i);
        kc_space_cache_put(c, id, (size_t)n, KC_SPACE_EXISTS);
    }
    kc_space_cache_stats_get(c, &st);
    is_int(st.size, 20000 + 5000 - 1667,
           "space cache: 30000 ids, expired MISSING answers not counted");

    /* a very long id */
    big = malloc(100001);
    memset(big, 'z', 100000);
    big[100000] = '\0';
    kc_space_cache_put(c, big, 100000, KC_SPACE_EXISTS);
    is_int(kc_space_cache_get(c, big, 100000), KC_SPACE_EXISTS,
           "space cache: a 100000-byte id is stored and found");
    is_int(kc_space_cache_get(c, big, 99999), KC_SPACE_UNKNOWN,
           "space cache: its 99999-byte prefix is a different id");
    free(big);

    kc_space_cache_clear(c);
    check_stats(c, 15001, 5001, 0,
                "space cache: clear after growth empties it");
    kc_space_cache_free(c);
}

/* ------------------------------------------------------------------ */
/* classification                                                     */

static void test_classify(void)
{
    static const struct {
        int status;
        const char *cls;
    } cases[] = {
        { 100, NULL }, { 199, NULL }, { 200, NULL }, { 201, NULL },
        { 204, NULL }, { 301, NULL }, { 304, NULL }, { 399, NULL },
        { 400, "BadRequestError" }, { 401, "AuthenticationError" },
        { 403, "AuthorizationError" }, { 404, "NotFoundError" },
        { 409, "ConflictError" }, { 413, "PayloadTooLargeError" },
        { 429, "TooManyRequestsError" },
        { 402, "ApiError" }, { 405, "ApiError" }, { 408, "ApiError" },
        { 410, "ApiError" }, { 412, "ApiError" }, { 415, "ApiError" },
        { 422, "ApiError" }, { 499, "ApiError" },
        { 500, "ServerError" }, { 501, "ServerError" }, { 502, "ServerError" },
        { 503, "ServerError" }, { 504, "ServerError" }, { 599, "ServerError" },
        { 0, "ApiError" }, { 99, "ApiError" }, { 600, "ApiError" },
        { -1, "ApiError" },
    };
    size_t i;
    int s, n;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = kc_classify_status(cases[i].status);
        ok(cases[i].cls == NULL ? got == NULL
           : (got != NULL && strcmp(got, cases[i].cls) == 0),
           "classify: %d is %s", cases[i].status,
           cases[i].cls ? cases[i].cls : "not an error (NULL)");
    }

    ok(kc_status_retryable(429) && kc_status_retryable(502)
       && kc_status_retryable(503) && kc_status_retryable(504),
       "retryable: 429, 502, 503 and 504 are retried");
    ok(!kc_status_retryable(500) && !kc_status_retryable(501)
       && !kc_status_retryable(404) && !kc_status_retryable(200)
       && !kc_status_retryable(408),
       "retryable: 500, 501, 404, 408 and 200 are not");
    n = 0;
    for (s = -1; s < 1000; s++)
        n += kc_status_retryable(s) != 0;
    is_int(n, 4, "retryable: exactly four statuses in -1..999 are retried");
}

/* ------------------------------------------------------------------ */
/* Retry-After                                                        */

static void test_retry_after(void)
{
    static const char *garbage[] = {
        "", "   ", "-1", "+5", "1.5", "12abc", "abc", "1 2", "0x10", "1e3",
        "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 32 Jan 1994 08:49:37 GMT",
        "Sun, 00 Jan 1994 08:49:37 GMT", "Sun, 31 Apr 1994 08:49:37 GMT",
        "Thu, 29 Feb 2001 00:00:00 GMT", "Mon, 29 Feb 1900 00:00:00 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT x", "sun, 06 Nov 1994 08:49:37 GMT",
        "Sun,06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
        "tomorrow", NULL
    };
    const double t1994 = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    char buf[128];
    time_t t;
    int i, agree;

    is_dbl(kc_retry_after("120", 0), 120, 0, "retry-after: '120' is 120 s");
    is_dbl(kc_retry_after("0", 5), 0, 0, "retry-after: '0' is 0 s");
    is_dbl(kc_retry_after("007", 0), 7, 0, "retry-after: leading zeros");
    is_dbl(kc_retry_after("  7  ", 0), 7, 0,
           "retry-after: surrounding spaces are ignored");
    is_dbl(kc_retry_after("\t3\t", 0), 3, 0,
           "retry-after: surrounding tabs are ignored");
    is_dbl(kc_retry_after("2147483647", 0), 2147483647.0, 0,
           "retry-after: INT32_MAX seconds is kept");
    is_dbl(kc_retry_after("99999999999999999999999999999999", 0), 2147483647.0,
           0, "retry-after: a huge delay clamps to INT32_MAX seconds");
    {
        char digits[401];
        memset(digits, '9', 400);
        digits[400] = '\0';
        is_dbl(kc_retry_after(digits, 0), 2147483647.0, 0,
               "retry-after: 400 digits (beyond DBL_MAX) still clamp");
    }

    for (i = 0; garbage[i] != NULL; i++) {
        snprintf(buf, sizeof buf, "retry-after: '%s' is unparsable (-1)",
                 garbage[i]);
        is_dbl(kc_retry_after(garbage[i], t1994 - 100), -1, 0, buf);
    }
    is_dbl(kc_retry_after(NULL, 0), -1, 0, "retry-after: NULL is -1");

    is_dbl(kc_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t1994 - 10), 10, 0,
           "retry-after: IMF-fixdate 10 s ahead is 10 s");
    is_dbl(kc_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 120),
           120, 0, "retry-after: IMF-fixdate in 2015");
    is_dbl(kc_retry_after("  Wed, 21 Oct 2015 07:28:00 GMT ",
                          1445412480 - 0.5),
           0.5, 1e-9, "retry-after: a date keeps fractional now, spaces ok");
    is_dbl(kc_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t1994), 0, 0,
           "retry-after: a date equal to now is 0");
    is_dbl(kc_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 1.7e9), 0, 0,
           "retry-after: a past date is 0");
    is_dbl(kc_retry_after("Tue, 29 Feb 2000 00:00:00 GMT", 951782400 - 60), 60,
           0, "retry-after: a leap day (2000 is a leap year)");
    is_dbl(kc_retry_after("Tue, 19 Jan 2038 03:14:08 GMT", 2147483648.0 - 1), 1,
           0, "retry-after: past the 32-bit time_t limit");
    is_dbl(kc_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", 253402300799.0 - 2),
           2, 0, "retry-after: the year 9999");
    is_dbl(kc_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", 0), 2147483647.0, 0,
           "retry-after: a far-future date clamps to INT32_MAX seconds");
    is_dbl(kc_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", NAN), -1, 0,
           "retry-after: a date against a NaN now is -1");
    is_dbl(kc_retry_after("30", NAN), 30, 0,
           "retry-after: delta-seconds do not depend on now");

    /* obsolete forms (RFC 9110 5.6.7: recipients must accept them) */
    is_dbl(kc_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", t1994 - 5), 5, 0,
           "retry-after: rfc850-date");
    is_dbl(kc_retry_after("Sun Nov  6 08:49:37 1994", t1994 - 5), 5, 0,
           "retry-after: asctime-date with a one-digit day");
    is_dbl(kc_retry_after("Wed Oct 21 07:28:00 2015", 1445412480 - 9), 9, 0,
           "retry-after: asctime-date with a two-digit day");
    /* 2-digit year: the nearest not more than 50 years in the future */
    is_dbl(kc_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT",
                          1445412480 - 3), 3, 0,
           "retry-after: rfc850 year 15 seen from 2015 is 2015");
    is_dbl(kc_retry_after("Wednesday, 01-Jan-70 00:00:00 GMT", 1.7e9),
           3155760000.0 - 1.7e9, 0,
           "retry-after: rfc850 year 70 seen from 2023 is 2070 (47 years "
           "ahead is allowed)");
    is_dbl(kc_retry_after("Tuesday, 01-Jan-80 00:00:00 GMT", 1.7e9), 0, 0,
           "retry-after: rfc850 year 80 seen from 2023 is 1980 (2080 is more "
           "than 50 years ahead), so past");
    is_dbl(kc_retry_after("Saturday, 01-Jan-01 00:00:00 GMT",
                          4102444800.0 - 4), 4133980800.0 - 4102444800.0 + 4,
           0, "retry-after: rfc850 year 01 seen from 2099 is 2101");

    /* every ~9.3 days from 1970 to 2100 against the C library's gmtime
     * (UTC, "C" locale: English names) */
    agree = 1;
    for (t = 0; t < (time_t)4102444800LL; t += 800021) {
        struct tm *tm = gmtime(&t);
        strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", tm);
        if (kc_retry_after(buf, (double)t - 1) != 1) {
            printf("# %s (t=%lld) gave %.17g\n", buf, (long long)t,
                   kc_retry_after(buf, (double)t - 1));
            agree = 0;
            break;
        }
    }
    ok(agree, "retry-after: 5000+ IMF-fixdates from 1970 to 2100 agree with "
              "gmtime");
}

/* ------------------------------------------------------------------ */
/* backoff                                                            */

static void test_backoff(void)
{
    double v, lo, hi, sum, first;
    int i, differ;

    is_dbl(kc_backoff(1, 0.5, 30, 0), 0.5, 0, "backoff: attempt 1 is base");
    is_dbl(kc_backoff(2, 0.5, 30, 0), 1, 0, "backoff: attempt 2 is 2 x base");
    is_dbl(kc_backoff(3, 0.5, 30, 0), 2, 0, "backoff: attempt 3 is 4 x base");
    is_dbl(kc_backoff(4, 0.5, 30, 0), 4, 0, "backoff: attempt 4 is 8 x base");
    is_dbl(kc_backoff(4, 0.5, 3, 0), 3, 0, "backoff: the delay is capped");
    is_dbl(kc_backoff(0, 0.5, 30, 0), 0.5, 0, "backoff: attempt 0 counts as 1");
    is_dbl(kc_backoff(-7, 0.5, 30, 0), 0.5, 0,
           "backoff: a negative attempt counts as 1");
    is_dbl(kc_backoff(100000, 0.5, 30, 0), 30, 0,
           "backoff: a huge attempt gives the cap, not inf");
    v = kc_backoff(100000, 0.5, NAN, 0.5);
    ok(isfinite(v) && v > 0, "backoff: uncapped (NaN cap) stays finite");
    is_dbl(kc_backoff(3, 0, 30, 0), 0, 0, "backoff: base 0 is 0");
    is_dbl(kc_backoff(3, -1, 30, 0), 0, 0, "backoff: a negative base is 0");
    is_dbl(kc_backoff(3, NAN, 30, 0), 0, 0, "backoff: a NaN base is 0");
    is_dbl(kc_backoff(3, 1, -1, 0), 0, 0, "backoff: a negative cap gives 0");
    is_dbl(kc_backoff(3, 1, 0, 0), 0, 0, "backoff: cap 0 gives 0");

    differ = 0;
    for (i = 0; i < 100; i++)
        differ += kc_backoff(3, 0.5, 30, 0) != 2;
    is_int(differ, 0, "backoff: jitter 0 is deterministic");
    is_dbl(kc_backoff(3, 0.5, 30, -1), 2, 0,
           "backoff: a negative jitter counts as 0");
    is_dbl(kc_backoff(3, 0.5, 30, NAN), 2, 0,
           "backoff: a NaN jitter counts as 0");

    lo = DBL_MAX;
    hi = -DBL_MAX;
    sum = 0;
    first = kc_backoff(5, 1, 100, 1);
    differ = 0;
    for (i = 0; i < 2000; i++) {
        v = kc_backoff(5, 1, 100, 1);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        sum += v;
        differ += v != first;
    }
    ok(lo >= 0 && hi <= 16, "backoff: jitter 1 stays within [0, delay]");
    ok(differ > 1900, "backoff: jitter gives different delays call to call");
    ok(fabs(sum / 2000 - 8) < 0.8,
       "backoff: jitter 1 averages half the delay (mean %.3f)", sum / 2000);
    ok(lo < 2 && hi > 14, "backoff: jitter 1 spreads over the whole range");

    lo = DBL_MAX;
    hi = -DBL_MAX;
    for (i = 0; i < 2000; i++) {
        v = kc_backoff(5, 1, 100, 0.25);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    ok(lo >= 12 && hi <= 16 && lo < 12.5 && hi > 15.5,
       "backoff: jitter 0.25 takes up to a quarter off (%.3f..%.3f)", lo, hi);
    lo = DBL_MAX;
    for (i = 0; i < 2000; i++) {
        v = kc_backoff(5, 1, 100, 7);
        lo = v < lo ? v : lo;
    }
    ok(lo >= 0 && lo < 2, "backoff: a jitter above 1 counts as 1");
}

int main(void)
{
    test_buffer();
    test_space_default();
    test_space_id();
    test_encode_segment();
    test_query_encode();
    test_path_build();
    test_clock();
    test_space_cache_basic();
    test_space_cache_ttl();
    test_space_cache_many();
    test_classify();
    test_retry_after();
    test_backoff();
    return tap_done();
}
