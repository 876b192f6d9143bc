/*
 * json.c - the JSON encoder of the kibana.core binding (core.json_encode),
 * the array mark (core.array_mt, core.array, core.is_array) and core.null.
 * The decoder is in json_decode.c.
 *
 * Encoding writes into a kc_buf owned by a garbage-collected userdata, so an
 * error raised halfway leaks nothing. Marked tables are arrays (holes become
 * null), tables whose keys are exactly 1..n are arrays, anything else is an
 * object whose keys (strings, or numbers written as strings) are emitted in
 * byte order, which makes the output deterministic. Errors are raised as
 * "cannot encode <what> at <path>", the path starting at the name given as
 * second argument ("value" by default), ".key" for object members and "[i]"
 * (1-based) for array items.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_lua.h"

/* ================================================================== */
/* numbers                                                            */

/* Rewrites a locale decimal separator (e.g. ',') to '.'. */
static void kc_fix_decimal_point(char *s)
{
    for (; *s != '\0'; s++)
        if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == 'e'
              || *s == 'E'))
            *s = '.';
}

/* kc_lua_fmtnumber: see kc_lua.h. */
size_t kc_lua_fmtnumber(lua_State *L, int idx, char *out, size_t outlen)
{
    lua_Number f;
    int n;

#if KC_HAVE_INTEGERS
    if (lua_isinteger(L, idx)) {
        n = snprintf(out, outlen, LUA_INTEGER_FMT,
                     (LUAI_UACINT)lua_tointeger(L, idx));
        return n > 0 ? (size_t)n : 0;
    }
#endif
    f = lua_tonumber(L, idx);
    if (f != f || f == HUGE_VAL || f == -HUGE_VAL)
        return 0;
    if (f == floor(f) && fabs(f) < 1e15) {
#if KC_HAVE_INTEGERS
        n = snprintf(out, outlen, "%.1f", (double)f); /* keeps the float */
#else
        n = snprintf(out, outlen, "%.0f", (double)f);
#endif
    } else {
        /* the shortest of 14..17 significant digits that reads back as
         * the same double (17 always does) */
        int prec;
        for (prec = 14; prec <= 17; prec++) {
            n = snprintf(out, outlen, "%.*g", prec, (double)f);
            if (n > 0 && (size_t)n < outlen && strtod(out, NULL) == (double)f)
                break;
        }
    }
    if (n <= 0 || (size_t)n >= outlen)
        return 0;
    kc_fix_decimal_point(out);
    return (size_t)n;
}

/* ================================================================== */
/* encoding                                                           */

typedef struct kc_pathseg {
    const char *key; /* NULL for an array index */
    size_t klen;
    lua_Integer idx;
} kc_pathseg;

typedef struct kc_enc {
    lua_State *L;
    kc_buf *out;
    int depth;
    int amt; /* stack index of array_mt */
    const char *root;
    size_t rootlen;
    const void *seen[KC_JSON_MAXDEPTH + 1]; /* tables on the current path */
    kc_pathseg path[KC_JSON_MAXDEPTH + 1];
} kc_enc;

/* One key of an object being encoded. */
typedef struct kc_key {
    const char *s;
    size_t len;
    int slot; /* index in the keys/values tables */
} kc_key;

/* Raises "cannot encode <what> at <path>". */
static int kc_enc_fail(kc_enc *e, const char *what)
{
    lua_State *L = e->L;
    luaL_Buffer b;
    char num[48];
    int i;

    /* the stack is left as it is: path keys point into strings it anchors */
    luaL_checkstack(L, 40, "JSON error message");
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "cannot encode ");
    luaL_addstring(&b, what);
    luaL_addstring(&b, " at ");
    luaL_addlstring(&b, e->root, e->rootlen);
    for (i = 0; i < e->depth; i++) {
        if (e->path[i].key != NULL) {
            luaL_addchar(&b, '.');
            luaL_addlstring(&b, e->path[i].key, e->path[i].klen);
        } else {
            snprintf(num, sizeof num, "[%lld]", (long long)e->path[i].idx);
            luaL_addstring(&b, num);
        }
    }
    luaL_pushresult(&b);
    return lua_error(L);
}

static void kc_enc_add(kc_enc *e, const char *s, size_t n)
{
    if (kc_buf_add(e->out, s, n) != KC_OK)
        luaL_error(e->L, "out of memory");
}

/* A JSON string literal. */
static void kc_enc_string(kc_enc *e, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;
    char esc[8];

    kc_enc_add(e, "\"", 1);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        size_t rlen = 2;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        switch (c) {
        case '"': rep = "\\\""; break;
        case '\\': rep = "\\\\"; break;
        case '\b': rep = "\\b"; break;
        case '\f': rep = "\\f"; break;
        case '\n': rep = "\\n"; break;
        case '\r': rep = "\\r"; break;
        case '\t': rep = "\\t"; break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            rep = esc;
            rlen = 6;
        }
        kc_enc_add(e, s + run, i - run);
        kc_enc_add(e, rep, rlen);
        run = i + 1;
    }
    kc_enc_add(e, s + run, len - run);
    kc_enc_add(e, "\"", 1);
}

static void kc_enc_value(kc_enc *e, int idx);

/* Orders object keys bytewise. */
static int kc_key_cmp(const void *a, const void *b)
{
    const kc_key *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);

    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* An object: keys (strings, or numbers written as strings) sorted. */
static void kc_enc_object(kc_enc *e, int idx, int nkeys)
{
    lua_State *L = e->L;
    kc_key *keys;
    int kt, vt, i, n = 0;
    char num[64];
    size_t nlen;

    keys = lua_newuserdata(L, sizeof(kc_key) * (size_t)(nkeys > 0 ? nkeys : 1));
    lua_createtable(L, nkeys, 0); /* slot -> key string */
    kt = lua_gettop(L);
    lua_createtable(L, nkeys, 0); /* slot -> value */
    vt = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        if (n >= nkeys) { /* the table grew during traversal */
            lua_pop(L, 2);
            break;
        }
        lua_rawseti(L, vt, n + 1); /* pops the value */
        if (lua_type(L, -1) == LUA_TSTRING) {
            lua_pushvalue(L, -1);
        } else if (lua_type(L, -1) == LUA_TNUMBER) {
            nlen = kc_lua_fmtnumber(L, -1, num, sizeof num);
            if (nlen == 0)
                kc_enc_fail(e, "table key inf");
            lua_pushlstring(L, num, nlen);
        } else {
            snprintf(num, sizeof num, "table key of type %s",
                     luaL_typename(L, -1));
            kc_enc_fail(e, num);
        }
        lua_rawseti(L, kt, n + 1);
        n++;
    }
    for (i = 0; i < n; i++) {
        lua_rawgeti(L, kt, i + 1);
        keys[i].s = lua_tolstring(L, -1, &keys[i].len); /* anchored in kt */
        keys[i].slot = i + 1;
        lua_pop(L, 1);
    }
    qsort(keys, (size_t)n, sizeof *keys, kc_key_cmp);
    for (i = 1; i < n; i++) {
        if (kc_key_cmp(&keys[i - 1], &keys[i]) == 0) {
            lua_pushfstring(L, "table with the key '%s' twice (as a string "
                               "and as a number)", keys[i].s);
            kc_enc_fail(e, lua_tostring(L, -1));
        }
    }
    kc_enc_add(e, "{", 1);
    for (i = 0; i < n; i++) {
        if (i > 0)
            kc_enc_add(e, ",", 1);
        kc_enc_string(e, keys[i].s, keys[i].len);
        kc_enc_add(e, ":", 1);
        e->path[e->depth].key = keys[i].s;
        e->path[e->depth].klen = keys[i].len;
        e->depth++;
        lua_rawgeti(L, vt, keys[i].slot);
        kc_enc_value(e, lua_gettop(L));
        lua_pop(L, 1);
        e->depth--;
    }
    kc_enc_add(e, "}", 1);
    lua_pop(L, 3);
}

/* An array of n items; holes become null. */
static void kc_enc_array(kc_enc *e, int idx, lua_Integer n)
{
    lua_State *L = e->L;
    lua_Integer i;

    kc_enc_add(e, "[", 1);
    for (i = 1; i <= n; i++) {
        if (i > 1)
            kc_enc_add(e, ",", 1);
        e->path[e->depth].key = NULL;
        e->path[e->depth].idx = i;
        e->depth++;
        lua_rawgeti(L, idx, i);
        kc_enc_value(e, lua_gettop(L));
        lua_pop(L, 1);
        e->depth--;
    }
    kc_enc_add(e, "]", 1);
}

/* A table: marked arrays and 1..n sequences become arrays, anything else an
 * object. */
static void kc_enc_table(kc_enc *e, int idx)
{
    lua_State *L = e->L;
    const void *ptr = lua_topointer(L, idx);
    int i, marked = 0, nkeys = 0, other = 0;
    lua_Integer k, maxk = 0;
    char msg[64];

    for (i = 0; i < e->depth; i++)
        if (e->seen[i] == ptr)
            kc_enc_fail(e, "a table that contains itself");
    if (e->depth >= KC_JSON_MAXDEPTH) {
        snprintf(msg, sizeof msg, "value nested deeper than %d levels",
                 KC_JSON_MAXDEPTH);
        kc_enc_fail(e, msg);
    }
    luaL_checkstack(L, 8, "JSON nesting");
    e->seen[e->depth] = ptr;
    if (lua_getmetatable(L, idx)) {
        marked = lua_rawequal(L, -1, e->amt);
        lua_pop(L, 1);
    }
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        nkeys++;
        if (kc_isintegral(L, -1, &k) && k >= 1) {
            if (k > maxk)
                maxk = k;
        } else {
            other++;
        }
    }
    if (marked) {
        if (other > 0)
            kc_enc_fail(e, "array (a table marked as array) with non-index "
                           "keys");
        if (maxk > 2 * (lua_Integer)nkeys + 16)
            kc_enc_fail(e, "excessively sparse array");
        kc_enc_array(e, idx, maxk);
    } else if (nkeys > 0 && other == 0 && maxk == nkeys) {
        kc_enc_array(e, idx, maxk);
    } else {
        kc_enc_object(e, idx, nkeys);
    }
}

static void kc_enc_value(kc_enc *e, int idx)
{
    lua_State *L = e->L;
    char num[64];
    size_t n;
    const char *s;

    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        kc_enc_add(e, "null", 4);
        break;
    case LUA_TBOOLEAN:
        if (lua_toboolean(L, idx))
            kc_enc_add(e, "true", 4);
        else
            kc_enc_add(e, "false", 5);
        break;
    case LUA_TNUMBER:
        n = kc_lua_fmtnumber(L, idx, num, sizeof num);
        if (n == 0) {
            lua_Number f = lua_tonumber(L, idx);
            kc_enc_fail(e, f != f ? "NaN" : (f > 0 ? "inf" : "-inf"));
        }
        kc_enc_add(e, num, n);
        break;
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &n);
        kc_enc_string(e, s, n);
        break;
    case LUA_TTABLE:
        kc_enc_table(e, idx);
        break;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) {
            kc_enc_add(e, "null", 4);
            break;
        }
        kc_enc_fail(e, "lightuserdata");
        break;
    default:
        kc_enc_fail(e, luaL_typename(L, idx));
    }
}

/* core.json_encode(v[, name]) -> string; raises on values JSON cannot hold.
 * name (default "value") starts the path in error messages. */
static int kc_json_encode(lua_State *L)
{
    kc_enc *e;
    kc_buf *out;

    luaL_checkany(L, 1);
    luaL_optstring(L, 2, "value");
    lua_settop(L, 2);
    if (lua_isnil(L, 2)) {
        lua_pushliteral(L, "value");
        lua_replace(L, 2);
    }
    out = kc_lua_newbuf(L);                    /* 3 */
    e = lua_newuserdata(L, sizeof *e);         /* 4 */
    luaL_getmetatable(L, KC_ARRAY_MT);         /* 5 */
    e->L = L;
    e->out = out;
    e->depth = 0;
    e->amt = lua_gettop(L);
    e->root = lua_tolstring(L, 2, &e->rootlen);
    kc_enc_value(e, 1);
    lua_pushlstring(L, out->data != NULL ? out->data : "", out->len);
    kc_buf_free(out);
    return 1;
}

/* ================================================================== */
/* array marks and null                                               */

/* core.array([t]) -> t, marked as a JSON array */
static int kc_array(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_settop(L, 1);
    }
    luaL_getmetatable(L, KC_ARRAY_MT);
    lua_setmetatable(L, 1);
    return 1;
}

/* core.is_array(v) -> boolean */
static int kc_is_array(lua_State *L)
{
    int r = 0;

    if (lua_type(L, 1) == LUA_TTABLE && lua_getmetatable(L, 1)) {
        luaL_getmetatable(L, KC_ARRAY_MT);
        r = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
    }
    lua_pushboolean(L, r);
    return 1;
}

/* kc_lua_open_json: see kc_lua.h. */
void kc_lua_open_json(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"json_encode", kc_json_encode},
        {"json_decode", kc_lua_json_decode},
        {"array", kc_array},
        {"is_array", kc_is_array},
        {NULL, NULL}
    };

    kc_setfuncs(L, fns);
    luaL_newmetatable(L, KC_ARRAY_MT);
    lua_setfield(L, -2, "array_mt");
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
}
