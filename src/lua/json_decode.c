/*
 * json_decode.c - the JSON decoder of the kibana.core binding
 * (core.json_decode).
 *
 * Builds Lua values directly while parsing (no intermediate tree): objects
 * become tables, arrays become tables carrying the shared metatable
 * kibana.array (core.array_mt) so that [] and {} stay distinct, null becomes
 * core.null (the NULL lightuserdata, like cjson.null and ngx.null), and on
 * Lua 5.3+ integers that fit in lua_Integer stay integers. Strict RFC 8259
 * syntax; a UTF-8 byte order mark is tolerated. Errors are returned, never
 * raised, as nil, "<what> at line L column C". Nothing here mallocs: strings
 * with escapes are assembled in a luaL_Buffer.
 */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_lua.h"

typedef struct kc_dec {
    lua_State *L;
    const char *start;
    const char *p;
    const char *end;
    int depth;
    int amt;       /* stack index of array_mt */
    char err[200]; /* message of the first error */
} kc_dec;

/* Records "<msg> at line L column C" for position `at`. Returns -1. */
static int kc_dec_fail(kc_dec *d, const char *at, const char *msg)
{
    const char *q;
    long line = 1, col = 1;

    for (q = d->start; q < at && q < d->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(d->err, sizeof d->err, "%s at line %ld column %ld", msg, line,
             col);
    return -1;
}

/* "unexpected character 'x'" or "unexpected end of input" at p. */
static int kc_dec_unexpected(kc_dec *d, const char *p)
{
    char msg[64];
    unsigned char c;

    if (p >= d->end)
        return kc_dec_fail(d, p, "unexpected end of input");
    c = (unsigned char)*p;
    if (c >= 0x20 && c < 0x7f)
        snprintf(msg, sizeof msg, "unexpected character '%c'", c);
    else
        snprintf(msg, sizeof msg, "unexpected byte 0x%02X", c);
    return kc_dec_fail(d, p, msg);
}

static void kc_dec_skip_ws(kc_dec *d)
{
    while (d->p < d->end && (*d->p == ' ' || *d->p == '\t' || *d->p == '\n'
                             || *d->p == '\r'))
        d->p++;
}

static int kc_dec_value(kc_dec *d);

/* true / false / null */
static int kc_dec_literal(kc_dec *d, const char *word)
{
    size_t i, n = strlen(word);

    for (i = 0; i < n; i++)
        if (d->p + i >= d->end || d->p[i] != word[i])
            return kc_dec_unexpected(d, d->p + i);
    d->p += n;
    return 0;
}

static int kc_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits after "\u" at p (p points at the backslash). */
static long kc_dec_hex4(kc_dec *d, const char *p)
{
    long v = 0;
    int i, h;
    char msg[64];

    for (i = 2; i < 6; i++) {
        if (p + i >= d->end)
            return kc_dec_fail(d, d->end, "unexpected end of input");
        h = kc_hexval(p[i]);
        if (h < 0) {
            snprintf(msg, sizeof msg, "invalid unicode escape '\\u%.*s'",
                     (int)(d->end - p - 2 < 4 ? d->end - p - 2 : 4), p + 2);
            return kc_dec_fail(d, p, msg);
        }
        v = v * 16 + h;
    }
    return v;
}

static void kc_add_utf8(luaL_Buffer *b, unsigned long cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    luaL_addlstring(b, u, n);
}

/* A string; d->p is at the opening quote. Pushes the Lua string. Strings
 * without escapes are pushed straight from the input. A lone UTF-16
 * surrogate becomes U+FFFD. */
static int kc_dec_string(kc_dec *d)
{
    lua_State *L = d->L;
    const char *p = d->p + 1, *run;
    luaL_Buffer b;
    char msg[64];

    for (run = p; p < d->end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            lua_pushlstring(L, run, (size_t)(p - run));
            d->p = p + 1;
            return 0;
        }
        if (c == '\\' || c < 0x20)
            break;
    }
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, run, (size_t)(p - run));
    while (p < d->end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            luaL_pushresult(&b);
            d->p = p + 1;
            return 0;
        }
        if (c < 0x20) {
            snprintf(msg, sizeof msg,
                     "unexpected control character 0x%02X in string", c);
            return kc_dec_fail(d, p, msg);
        }
        if (c != '\\') {
            run = p;
            while (p < d->end && *p != '"' && *p != '\\'
                   && (unsigned char)*p >= 0x20)
                p++;
            luaL_addlstring(&b, run, (size_t)(p - run));
            continue;
        }
        if (p + 1 >= d->end)
            return kc_dec_fail(d, d->end, "unexpected end of input");
        switch (p[1]) {
        case '"': luaL_addchar(&b, '"'); break;
        case '\\': luaL_addchar(&b, '\\'); break;
        case '/': luaL_addchar(&b, '/'); break;
        case 'b': luaL_addchar(&b, '\b'); break;
        case 'f': luaL_addchar(&b, '\f'); break;
        case 'n': luaL_addchar(&b, '\n'); break;
        case 'r': luaL_addchar(&b, '\r'); break;
        case 't': luaL_addchar(&b, '\t'); break;
        case 'u': {
            long cp = kc_dec_hex4(d, p), lo;
            if (cp < 0)
                return -1;
            p += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                /* a high surrogate wants a low one right after it */
                if (p + 1 < d->end && p[0] == '\\' && p[1] == 'u') {
                    lo = kc_dec_hex4(d, p);
                    if (lo < 0)
                        return -1;
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        p += 6;
                    } else {
                        cp = 0xFFFD;
                    }
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            kc_add_utf8(&b, (unsigned long)cp);
            continue;
        }
        default:
            if ((unsigned char)p[1] >= 0x20 && (unsigned char)p[1] < 0x7f)
                snprintf(msg, sizeof msg, "invalid escape '\\%c'", p[1]);
            else
                snprintf(msg, sizeof msg, "invalid escape '\\' + byte 0x%02X",
                         (unsigned char)p[1]);
            return kc_dec_fail(d, p, msg);
        }
        p += 2;
    }
    return kc_dec_fail(d, d->end, "unexpected end of input");
}

/* A number per RFC 8259. Integers without fraction or exponent that fit in
 * lua_Integer are pushed as integers (Lua 5.3+). */
static int kc_dec_number(kc_dec *d)
{
    const char *p = d->p, *s = d->p;
    int isint = 1, neg = 0;
    char tmp[128], *endp;
    size_t len;
    double v;

    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (p >= d->end || *p < '0' || *p > '9')
        return kc_dec_unexpected(d, p);
    if (*p == '0')
        p++;
    else
        while (p < d->end && *p >= '0' && *p <= '9')
            p++;
    if (p < d->end && *p == '.') {
        isint = 0;
        p++;
        if (p >= d->end || *p < '0' || *p > '9')
            return kc_dec_unexpected(d, p);
        while (p < d->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < d->end && (*p == 'e' || *p == 'E')) {
        isint = 0;
        p++;
        if (p < d->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= d->end || *p < '0' || *p > '9')
            return kc_dec_unexpected(d, p);
        while (p < d->end && *p >= '0' && *p <= '9')
            p++;
    }
    d->p = p;
    len = (size_t)(p - s);
    if (isint) {
        /* exact accumulation in unsigned arithmetic */
        unsigned long long acc = 0, lim;
        const char *q = s + neg;
        int fits = 1;
        lim = neg ? (unsigned long long)LLONG_MAX + 1ULL
                  : (unsigned long long)LLONG_MAX;
        for (; q < p; q++) {
            unsigned dig = (unsigned)(*q - '0');
            if (acc > (lim - dig) / 10) {
                fits = 0;
                break;
            }
            acc = acc * 10 + dig;
        }
        if (fits) {
#if KC_HAVE_INTEGERS
            if (sizeof(lua_Integer) >= sizeof(long long)) {
                lua_pushinteger(d->L, neg ? (lua_Integer)(0 - acc)
                                          : (lua_Integer)acc);
                return 0;
            }
#endif
            lua_pushnumber(d->L, neg ? -(lua_Number)acc : (lua_Number)acc);
            return 0;
        }
    }
    if (len >= sizeof tmp)
        return kc_dec_fail(d, s, "number too long");
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    v = strtod(tmp, &endp);
    if (endp != tmp + len) {
        /* a locale with another decimal separator */
        char *dot = strchr(tmp, '.');
        if (dot != NULL)
            *dot = localeconv()->decimal_point[0];
        v = strtod(tmp, &endp);
    }
    lua_pushnumber(d->L, (lua_Number)v);
    return 0;
}

/* Enters one nesting level. */
static int kc_dec_enter(kc_dec *d)
{
    char msg[64];

    if (++d->depth > KC_JSON_MAXDEPTH) {
        snprintf(msg, sizeof msg, "nesting deeper than %d levels",
                 KC_JSON_MAXDEPTH);
        return kc_dec_fail(d, d->p, msg);
    }
    luaL_checkstack(d->L, 4, "JSON nesting");
    return 0;
}

static int kc_dec_array(kc_dec *d)
{
    lua_State *L = d->L;
    lua_Integer i = 1;

    if (kc_dec_enter(d) != 0)
        return -1;
    lua_newtable(L);
    lua_pushvalue(L, d->amt);
    lua_setmetatable(L, -2);
    d->p++;
    kc_dec_skip_ws(d);
    if (d->p < d->end && *d->p == ']') {
        d->p++;
        d->depth--;
        return 0;
    }
    for (;;) {
        if (kc_dec_value(d) != 0)
            return -1;
        lua_rawseti(L, -2, i++);
        kc_dec_skip_ws(d);
        if (d->p < d->end && *d->p == ',') {
            d->p++;
            continue;
        }
        if (d->p < d->end && *d->p == ']') {
            d->p++;
            d->depth--;
            return 0;
        }
        return kc_dec_unexpected(d, d->p);
    }
}

static int kc_dec_object(kc_dec *d)
{
    lua_State *L = d->L;

    if (kc_dec_enter(d) != 0)
        return -1;
    lua_newtable(L);
    d->p++;
    kc_dec_skip_ws(d);
    if (d->p < d->end && *d->p == '}') {
        d->p++;
        d->depth--;
        return 0;
    }
    for (;;) {
        kc_dec_skip_ws(d);
        if (d->p >= d->end || *d->p != '"')
            return kc_dec_unexpected(d, d->p);
        if (kc_dec_string(d) != 0)
            return -1;
        kc_dec_skip_ws(d);
        if (d->p >= d->end || *d->p != ':')
            return kc_dec_unexpected(d, d->p);
        d->p++;
        if (kc_dec_value(d) != 0)
            return -1;
        lua_rawset(L, -3);
        kc_dec_skip_ws(d);
        if (d->p < d->end && *d->p == ',') {
            d->p++;
            continue;
        }
        if (d->p < d->end && *d->p == '}') {
            d->p++;
            d->depth--;
            return 0;
        }
        return kc_dec_unexpected(d, d->p);
    }
}

/* Any value; pushes exactly one Lua value on success. */
static int kc_dec_value(kc_dec *d)
{
    kc_dec_skip_ws(d);
    if (d->p >= d->end)
        return kc_dec_unexpected(d, d->p);
    switch (*d->p) {
    case '{':
        return kc_dec_object(d);
    case '[':
        return kc_dec_array(d);
    case '"':
        return kc_dec_string(d);
    case 't':
        if (kc_dec_literal(d, "true") != 0)
            return -1;
        lua_pushboolean(d->L, 1);
        return 0;
    case 'f':
        if (kc_dec_literal(d, "false") != 0)
            return -1;
        lua_pushboolean(d->L, 0);
        return 0;
    case 'n':
        if (kc_dec_literal(d, "null") != 0)
            return -1;
        lua_pushlightuserdata(d->L, NULL);
        return 0;
    default:
        if (*d->p == '-' || (*d->p >= '0' && *d->p <= '9'))
            return kc_dec_number(d);
        return kc_dec_unexpected(d, d->p);
    }
}

/* kc_lua_json_decode: core.json_decode(s) -> value | nil, msg */
int kc_lua_json_decode(lua_State *L)
{
    kc_dec d;
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    int base;

    lua_settop(L, 1);
    base = lua_gettop(L);
    luaL_getmetatable(L, KC_ARRAY_MT);
    d.L = L;
    d.start = s;
    d.p = s;
    d.end = s + len;
    d.depth = 0;
    d.amt = lua_gettop(L);
    d.err[0] = '\0';
    /* a UTF-8 byte order mark is tolerated */
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        d.p += 3;
    if (kc_dec_value(&d) == 0) {
        kc_dec_skip_ws(&d);
        if (d.p >= d.end)
            return 1;
        kc_dec_unexpected(&d, d.p);
    }
    lua_settop(L, base);
    lua_pushnil(L);
    lua_pushstring(L, d.err);
    return 2;
}

