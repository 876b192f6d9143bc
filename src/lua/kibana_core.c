/*
 * kibana_core.c - the Lua binding `kibana.core` (luaopen_kibana_core).
 *
 * Wraps the pure C core (kc_core.h) for Lua 5.4 and Lua 5.1 / LuaJIT 2.1.
 * The contract is the table "The binding kibana.core" in docs/internals.md.
 * This file has the module entry point, the shared helpers and the plain
 * functions (space ids, paths, query strings, clock, classification,
 * retries); json.c / json_decode.c, cache.c and http.c add the rest.
 *
 * Resource rule: no Lua error may be raised while C memory is owned only by
 * a C local. Results are built in buffers held by garbage-collected userdata
 * (kc_lua_newbuf, the response box), handles are stored in their userdata
 * the moment they are created, so a raise anywhere leaks nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc_lua.h"

#define KC_BUF_MT "kibana.buf"

/* ================================================================== */
/* helpers                                                            */

static int kc_buf_gc(lua_State *L)
{
    kc_buf_free((kc_buf *)lua_touserdata(L, 1));
    return 0;
}

/* kc_lua_newbuf: see kc_lua.h. */
kc_buf *kc_lua_newbuf(lua_State *L)
{
    kc_buf *b = lua_newuserdata(L, sizeof *b);

    kc_buf_init(b);
    if (luaL_newmetatable(L, KC_BUF_MT)) {
        lua_pushcfunction(L, kc_buf_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return b;
}

/* Pushes a kc_buf's contents as a string, then frees the buffer. */
static void kc_push_buf(lua_State *L, kc_buf *b)
{
    lua_pushlstring(L, b->data != NULL ? b->data : "", b->len);
    kc_buf_free(b);
}

/* kc_lua_check_nonneg: see kc_lua.h. */
double kc_lua_check_nonneg(lua_State *L, int arg, const char *name)
{
    double v = (double)luaL_checknumber(L, arg);

    if (v != v || v < 0 || v == HUGE_VAL) {
        lua_pushfstring(L, "%s must be a finite number >= 0", name);
        luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    return v;
}

/* kc_lua_opt_nonneg: see kc_lua.h. */
double kc_lua_opt_nonneg(lua_State *L, int arg, const char *name, double def)
{
    if (lua_isnoneornil(L, arg))
        return def;
    return kc_lua_check_nonneg(L, arg, name);
}

/* An integral number argument (5.1: a number with an integer value). */
static lua_Integer kc_check_int(lua_State *L, int arg, const char *name)
{
    lua_Integer v = 0;

    luaL_checknumber(L, arg);
    if (!kc_isintegral(L, arg, &v)) {
        lua_pushfstring(L, "%s must be an integer", name);
        luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    return v;
}

/* Converts a scalar (string or number) at idx to a string that stays
 * anchored at idx (numbers are replaced in place, integers without ".0").
 * Returns NULL for other types. */
static const char *kc_scalar_tostring(lua_State *L, int idx, size_t *len)
{
    lua_Integer iv;
    char num[64];
    size_t n;

    if (lua_type(L, idx) == LUA_TSTRING)
        return lua_tolstring(L, idx, len);
    if (lua_type(L, idx) != LUA_TNUMBER)
        return NULL;
    if (kc_isintegral(L, idx, &iv))
        n = (size_t)snprintf(num, sizeof num, "%lld", (long long)iv);
    else
        n = kc_lua_fmtnumber(L, idx, num, sizeof num);
    if (n == 0)
        return NULL; /* NaN / inf */
    lua_pushlstring(L, num, n);
    lua_replace(L, idx);
    return lua_tolstring(L, idx, len);
}

/* ================================================================== */
/* space ids and paths                                                */

/* core.valid_space_id(id) -> true | false, msg */
static int kc_l_valid_space_id(lua_State *L)
{
    char err[KC_ERRLEN];
    size_t len;
    const char *id;

    if (lua_type(L, 1) != LUA_TSTRING) {
        lua_pushboolean(L, 0);
        lua_pushfstring(L, "space id must be a string, got %s",
                        luaL_typename(L, 1));
        return 2;
    }
    id = lua_tolstring(L, 1, &len);
    if (kc_space_id_valid(id, len, err, sizeof err)) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushboolean(L, 0);
    lua_pushstring(L, err);
    return 2;
}

/* One path parameter collected from the Lua params table. */
typedef struct kc_param {
    const char *name;
    size_t namelen;
    const char *val; /* NULL: not a string or number */
    size_t len;
    const char *type; /* Lua type name when val is NULL */
} kc_param;

typedef struct kc_params {
    kc_param *v;
    int n;
    const kc_param *bad; /* a looked-up parameter of the wrong type */
} kc_params;

/* kc_param_fn over the collected parameters: pure C, no Lua calls. */
static int kc_param_lookup(void *ud, const char *name, size_t namelen,
                           const char **val, size_t *len)
{
    kc_params *ps = ud;
    int i;

    for (i = 0; i < ps->n; i++) {
        const kc_param *p = &ps->v[i];
        if (p->namelen == namelen && memcmp(p->name, name, namelen) == 0) {
            if (p->val == NULL) {
                if (ps->bad == NULL)
                    ps->bad = p;
                return 0;
            }
            *val = p->val;
            *len = p->len;
            return 1;
        }
    }
    return 0;
}

/* An optional string argument without embedded NULs ("what" names it). */
static const char *kc_opt_cstring(lua_State *L, int arg, const char *what)
{
    size_t len;
    const char *s;

    if (lua_isnoneornil(L, arg))
        return NULL;
    if (lua_type(L, arg) != LUA_TSTRING) {
        lua_pushfstring(L, "%s must be a string or nil, got %s", what,
                        luaL_typename(L, arg));
        luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    s = lua_tolstring(L, arg, &len);
    if (strlen(s) != len) {
        lua_pushfstring(L, "%s must not contain NUL bytes", what);
        luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    return s;
}

/* core.build_path(base, space, tmpl, params) -> path | nil, msg */
static int kc_l_build_path(lua_State *L)
{
    char err[KC_ERRLEN];
    const char *base, *space, *tmpl;
    kc_params ps;
    kc_buf *out;
    int anchor, n = 0, rc;
    size_t slen;

    base = kc_opt_cstring(L, 1, "base path");
    if (lua_type(L, 2) == LUA_TSTRING) {
        /* an embedded NUL must fail validation, not truncate the id */
        space = lua_tolstring(L, 2, &slen);
        if (strlen(space) != slen) {
            kc_space_id_valid(space, slen, err, sizeof err);
            lua_pushnil(L);
            lua_pushstring(L, err);
            return 2;
        }
    } else {
        space = kc_opt_cstring(L, 2, "space id");
    }
    tmpl = kc_opt_cstring(L, 3, "path template");
    if (tmpl == NULL)
        luaL_argerror(L, 3, "path template must be a string");
    if (!lua_isnoneornil(L, 4))
        luaL_checktype(L, 4, LUA_TTABLE);
    lua_settop(L, 4);

    /* collect the parameters into GC-owned memory */
    ps.n = 0;
    ps.bad = NULL;
    if (lua_istable(L, 4)) {
        lua_pushnil(L);
        while (lua_next(L, 4) != 0) {
            lua_pop(L, 1);
            n++;
        }
    }
    ps.v = lua_newuserdata(L, sizeof(kc_param) * (size_t)(n > 0 ? n : 1));
    lua_newtable(L); /* anchors converted numbers */
    anchor = lua_gettop(L);
    if (n > 0) {
        lua_pushnil(L);
        while (lua_next(L, 4) != 0 && ps.n < n) {
            if (lua_type(L, -2) == LUA_TSTRING) {
                kc_param *p = &ps.v[ps.n];
                p->name = lua_tolstring(L, -2, &p->namelen);
                p->type = luaL_typename(L, -1);
                p->val = kc_scalar_tostring(L, lua_gettop(L), &p->len);
                if (p->val != NULL && lua_type(L, -1) == LUA_TSTRING) {
                    lua_pushvalue(L, -1);
                    lua_rawseti(L, anchor, ps.n + 1);
                }
                ps.n++;
            }
            lua_pop(L, 1);
        }
    }

    out = kc_lua_newbuf(L);
    err[0] = '\0';
    rc = kc_path_build(out, base, space, tmpl, kc_param_lookup, &ps, err,
                       sizeof err);
    if (rc != KC_OK) {
        kc_buf_free(out);
        if (rc == KC_ENOMEM)
            return luaL_error(L, "out of memory");
        lua_pushnil(L);
        if (ps.bad != NULL)
            lua_pushfstring(L, "path parameter '%s' must be a string or a "
                               "number, got %s", ps.bad->name, ps.bad->type);
        else
            lua_pushstring(L, err);
        return 2;
    }
    kc_push_buf(L, out);
    return 1;
}

/* A query key and its slot in the collection tables. */
typedef struct kc_qkey {
    const char *s;
    size_t len;
    int slot;
} kc_qkey;

static int kc_qkey_cmp(const void *a, const void *b)
{
    const kc_qkey *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);

    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Appends "key=value" (with '&' before all but the first pair). The value
 * is at the top of the stack; it may be converted in place. */
static void kc_query_pair(lua_State *L, kc_buf *out, const kc_qkey *k)
{
    const char *v;
    size_t vlen;
    int rc = KC_OK;

    if (lua_type(L, -1) == LUA_TBOOLEAN) {
        v = lua_toboolean(L, -1) ? "true" : "false";
        vlen = strlen(v);
    } else {
        v = kc_scalar_tostring(L, lua_gettop(L), &vlen);
        if (v == NULL)
            luaL_error(L, "query parameter '%s' must be a string, a number, "
                          "a boolean or an array of them, got %s",
                       k->s, lua_type(L, -1) == LUA_TNUMBER
                                 ? "a non-finite number"
                                 : luaL_typename(L, -1));
    }
    if (out->len > 0)
        rc = kc_buf_addc(out, '&');
    if (rc == KC_OK)
        rc = kc_query_encode(out, k->s, k->len);
    if (rc == KC_OK)
        rc = kc_buf_addc(out, '=');
    if (rc == KC_OK)
        rc = kc_query_encode(out, v, vlen);
    if (rc != KC_OK)
        luaL_error(L, "out of memory");
}

/* core.encode_query(t) -> "a=1&b=x%20y&tag=a&tag=b" (keys sorted, no '?';
 * "" for an empty or nil table). */
static int kc_l_encode_query(lua_State *L)
{
    kc_qkey *keys;
    kc_buf *out;
    int n = 0, i, kt, vt;
    lua_Integer j, m;

    if (lua_isnoneornil(L, 1)) {
        lua_pushliteral(L, "");
        return 1;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        lua_pop(L, 1);
        n++;
    }
    keys = lua_newuserdata(L, sizeof *keys * (size_t)(n > 0 ? n : 1));
    lua_createtable(L, n, 0);
    kt = lua_gettop(L);
    lua_createtable(L, n, 0);
    vt = lua_gettop(L);
    i = 0;
    lua_pushnil(L);
    while (lua_next(L, 1) != 0 && i < n) {
        lua_rawseti(L, vt, i + 1); /* pops the value, leaves the key */
        lua_pushvalue(L, -1);      /* a copy we may convert */
        if (lua_type(L, -1) != LUA_TSTRING
            && kc_scalar_tostring(L, lua_gettop(L), NULL) == NULL)
            return luaL_error(L, "query parameter names must be strings, "
                                 "got %s", luaL_typename(L, -2));
        lua_rawseti(L, kt, i + 1);
        i++;
    }
    for (i = 0; i < n; i++) {
        lua_rawgeti(L, kt, i + 1);
        keys[i].s = lua_tolstring(L, -1, &keys[i].len);
        keys[i].slot = i + 1;
        lua_pop(L, 1);
    }
    qsort(keys, (size_t)n, sizeof *keys, kc_qkey_cmp);
    out = kc_lua_newbuf(L);
    for (i = 0; i < n; i++) {
        lua_rawgeti(L, vt, keys[i].slot);
        if (lua_type(L, -1) == LUA_TTABLE) {
            int arr = lua_gettop(L);
            m = (lua_Integer)kc_rawlen(L, arr);
            for (j = 1; j <= m; j++) {
                lua_rawgeti(L, arr, j);
                kc_query_pair(L, out, &keys[i]);
                lua_pop(L, 1);
            }
        } else {
            kc_query_pair(L, out, &keys[i]);
        }
        lua_pop(L, 1);
    }
    kc_push_buf(L, out);
    return 1;
}

/* ================================================================== */
/* clock, classification, retries                                     */

/* core.monotonic() -> seconds */
static int kc_l_monotonic(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)kc_monotonic());
    return 1;
}

/* core.sleep(seconds) -> true | false, remaining: blocks the calling thread
 * (nanosleep). A signal ends the sleep early (false and the seconds left), so
 * that Ctrl-C in lua5.4 during a Retry-After wait stops the script at once.
 * For the blocking curl transport's retries; never use it inside nginx, where
 * ngx.sleep yields instead. */
static int kc_l_sleep(lua_State *L)
{
    double s = kc_lua_check_nonneg(L, 1, "seconds");
    struct timespec ts, rem;

    if (s > 1e9)
        s = 1e9;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec > 999999999L)
        ts.tv_nsec = 999999999L;
    if (nanosleep(&ts, &rem) != 0) {
        lua_pushboolean(L, 0);
        lua_pushnumber(L, (lua_Number)rem.tv_sec + (lua_Number)rem.tv_nsec / 1e9);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* core.classify(status) -> class name | nil */
static int kc_l_classify(lua_State *L)
{
    lua_Integer st = kc_check_int(L, 1, "status");
    const char *name = kc_classify_status((int)st);

    if (name == NULL)
        lua_pushnil(L);
    else
        lua_pushstring(L, name);
    return 1;
}

/* core.retryable(status) -> boolean (429, 502, 503, 504) */
static int kc_l_retryable(lua_State *L)
{
    lua_Integer st = kc_check_int(L, 1, "status");

    lua_pushboolean(L, kc_status_retryable((int)st));
    return 1;
}

/* core.retry_after(value[, now]) -> seconds | nil. now is the current epoch
 * time in seconds (default: the wall clock). */
static int kc_l_retry_after(lua_State *L)
{
    double now, d;
    const char *v;
    size_t len;

    if (lua_isnoneornil(L, 2)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    } else {
        now = (double)luaL_checknumber(L, 2);
    }
    if (lua_type(L, 1) != LUA_TSTRING && lua_type(L, 1) != LUA_TNUMBER) {
        if (!lua_isnoneornil(L, 1))
            luaL_argerror(L, 1, "Retry-After value must be a string or nil");
        lua_pushnil(L);
        return 1;
    }
    lua_settop(L, 1);
    v = kc_scalar_tostring(L, 1, &len);
    if (v == NULL || strlen(v) != len) {
        lua_pushnil(L);
        return 1;
    }
    d = kc_retry_after(v, now);
    if (d < 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (lua_Number)d);
    return 1;
}

/* core.backoff(attempt, base, cap[, jitter]) -> seconds */
static int kc_l_backoff(lua_State *L)
{
    lua_Integer attempt = kc_check_int(L, 1, "attempt");
    double base = kc_lua_check_nonneg(L, 2, "base");
    double cap = kc_lua_check_nonneg(L, 3, "cap");
    double jitter = kc_lua_opt_nonneg(L, 4, "jitter", 0);

    if (attempt < 1)
        luaL_argerror(L, 1, "attempt must be >= 1");
    if (jitter > 1)
        luaL_argerror(L, 4, "jitter must be between 0 and 1");
    if (attempt > 100000)
        attempt = 100000;
    lua_pushnumber(L, (lua_Number)kc_backoff((int)attempt, base, cap, jitter));
    return 1;
}

/* ================================================================== */
/* module                                                             */

/* kc_lua_new_class: see kc_lua.h. */
void kc_lua_new_class(lua_State *L, const char *name, const luaL_Reg *methods,
                      lua_CFunction close, lua_CFunction tostring)
{
    luaL_newmetatable(L, name);
    lua_newtable(L);
    kc_setfuncs(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
}

__attribute__((visibility("default"))) int luaopen_kibana_core(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"valid_space_id", kc_l_valid_space_id},
        {"build_path", kc_l_build_path},
        {"encode_query", kc_l_encode_query},
        {"monotonic", kc_l_monotonic},
        {"sleep", kc_l_sleep},
        {"retry_after", kc_l_retry_after},
        {"backoff", kc_l_backoff},
        {"classify", kc_l_classify},
        {"retryable", kc_l_retryable},
        {NULL, NULL}
    };

    lua_newtable(L);
    kc_setfuncs(L, fns);
    kc_lua_open_json(L);
    kc_lua_open_cache(L);
    kc_lua_open_http(L);
    lua_pushliteral(L, KC_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}
