/*
 * http.c - the libcurl transport as a Lua object (core.http, conn:request).
 *
 * A full userdata holding a kc_http pointer: close() and __gc free it
 * (idempotent), and a closed connection's request raises. The response is
 * received into a garbage-collected box (kibana.http_response) so that a Lua
 * error while the result table is built cannot leak its memory. A request
 * blocks the calling thread; inside nginx the ngx transport is used instead.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "kc_lua.h"

#define KC_HTTP_MT "kibana.http"
#define KC_RESP_MT "kibana.http_response"

typedef struct kc_lua_http {
    kc_http *h; /* NULL once closed */
} kc_lua_http;

static kc_http *kc_check_http(lua_State *L)
{
    kc_lua_http *u = luaL_checkudata(L, 1, KC_HTTP_MT);

    if (u->h == NULL)
        luaL_error(L, "http connection is closed");
    return u->h;
}

/* opts.<name>: a string or nil, left anchored on the stack. */
static const char *kc_opt_field_string(lua_State *L, int opts,
                                       const char *name)
{
    const char *s;
    size_t len;

    lua_getfield(L, opts, name);
    if (lua_isnil(L, -1))
        return NULL;
    if (lua_type(L, -1) != LUA_TSTRING) {
        lua_pushfstring(L, "opts.%s must be a string, got %s", name,
                        luaL_typename(L, -1));
        luaL_argerror(L, opts, lua_tostring(L, -1));
    }
    s = lua_tolstring(L, -1, &len);
    if (strlen(s) != len) {
        lua_pushfstring(L, "opts.%s must not contain NUL bytes", name);
        luaL_argerror(L, opts, lua_tostring(L, -1));
    }
    return s;
}

/* opts.<name>: seconds (number >= 0) or nil, converted to milliseconds and
 * rounded up so that a tiny positive timeout never means "none". */
static long kc_opt_field_ms(lua_State *L, int opts, const char *name)
{
    double v;

    lua_getfield(L, opts, name);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    v = lua_type(L, -1) == LUA_TNUMBER ? (double)lua_tonumber(L, -1) : -1;
    if (!(v >= 0) || v > 2e6) {
        lua_pushfstring(L, "opts.%s must be a number of seconds "
                           "(0 to 2000000)", name);
        luaL_argerror(L, opts, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
    return (long)ceil(v * 1000.0);
}

/* core.http([opts]) -> conn */
static int kc_l_http(lua_State *L)
{
    kc_http_opts o;
    kc_lua_http *u;
    char err[KC_ERRLEN];

    memset(&o, 0, sizeof o);
    o.verify = 1;
    if (!lua_isnoneornil(L, 1)) {
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_settop(L, 1);
        o.timeout_ms = kc_opt_field_ms(L, 1, "timeout");
        o.connect_timeout_ms = kc_opt_field_ms(L, 1, "connect_timeout");
        lua_getfield(L, 1, "verify");
        if (!lua_isnil(L, -1)) {
            if (lua_type(L, -1) != LUA_TBOOLEAN)
                luaL_argerror(L, 1, "opts.verify must be a boolean");
            o.verify = lua_toboolean(L, -1);
        }
        lua_pop(L, 1);
        /* the strings stay on the stack until kc_http_new has copied them */
        o.ca_file = kc_opt_field_string(L, 1, "ca_file");
        o.client_cert = kc_opt_field_string(L, 1, "client_cert");
        o.client_key = kc_opt_field_string(L, 1, "client_key");
        o.proxy = kc_opt_field_string(L, 1, "proxy");
        o.user_agent = kc_opt_field_string(L, 1, "user_agent");
    }
    u = lua_newuserdata(L, sizeof *u);
    u->h = NULL;
    luaL_getmetatable(L, KC_HTTP_MT);
    lua_setmetatable(L, -2);
    err[0] = '\0';
    u->h = kc_http_new(&o, err, sizeof err);
    if (u->h == NULL)
        return luaL_error(L, "cannot create http connection: %s", err);
    return 1;
}

static int kc_resp_gc(lua_State *L)
{
    kc_http_response_free((kc_http_response *)lua_touserdata(L, 1));
    return 0;
}

/* Validates one header line: "Name: value", no CR/LF/NUL (no injection). */
static const char *kc_check_header_line(lua_State *L, int idx, int arg)
{
    size_t len, i;
    const char *s = lua_tolstring(L, idx, &len);

    for (i = 0; i < len; i++)
        if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
            luaL_argerror(L, arg, "header lines must not contain CR, LF or "
                                  "NUL");
    if (memchr(s, ':', len) == NULL && (len == 0 || s[len - 1] != ';'))
        luaL_argerror(L, arg, lua_pushfstring(L, "header '%s' is not "
                                                 "\"Name: value\"", s));
    return s;
}

/* conn:request(method, url[, headers[, body]])
 *   -> {status=, headers={name=value}, body=, duration=}
 *    | nil, kind, msg[, status]   (kind: "connection", "timeout", "tls",
 *      "transport"; status when the response had begun before it failed)
 * headers: an array of "Name: value" strings (a {Name = value} map is also
 * accepted). */
static int kc_http_request_l(lua_State *L)
{
    static const char *const kinds[] = {"transport", "connection", "timeout",
                                        "tls", "transport"};
    kc_http *h = kc_check_http(L);
    const char *url, *body = NULL, **lines;
    char method[8];
    size_t mlen, ulen, blen = 0, i;
    const char *m = luaL_checklstring(L, 2, &mlen);
    kc_http_response *resp;
    int n = 0, hl, rc;

    url = luaL_checklstring(L, 3, &ulen);
    if (strlen(url) != ulen)
        luaL_argerror(L, 3, "url must not contain NUL bytes");
    if (!lua_isnoneornil(L, 4))
        luaL_checktype(L, 4, LUA_TTABLE);
    if (!lua_isnoneornil(L, 5))
        body = luaL_checklstring(L, 5, &blen);
    lua_settop(L, 5);
    if (mlen >= sizeof method)
        mlen = sizeof method - 1;
    for (i = 0; i < mlen; i++)
        method[i] = (char)toupper((unsigned char)m[i]);
    method[mlen] = '\0';
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0
        && strcmp(method, "PUT") != 0 && strcmp(method, "DELETE") != 0
        && strcmp(method, "PATCH") != 0 && strcmp(method, "HEAD") != 0)
        luaL_argerror(L, 2, lua_pushfstring(L, "unsupported method '%s' (use "
                                               "GET, POST, PUT, DELETE, PATCH "
                                               "or HEAD)", m));

    /* header lines, anchored in a table: hl[i] */
    lua_newtable(L);
    hl = lua_gettop(L);
    if (lua_istable(L, 4)) {
        lua_pushnil(L);
        while (lua_next(L, 4) != 0) {
            if (lua_type(L, -2) == LUA_TSTRING) {
                if (lua_type(L, -1) != LUA_TSTRING
                    && lua_type(L, -1) != LUA_TNUMBER)
                    luaL_argerror(L, 4, "header values must be strings");
                lua_pushfstring(L, "%s: %s", lua_tostring(L, -2),
                                lua_tostring(L, -1));
            } else {
                if (lua_type(L, -1) != LUA_TSTRING)
                    luaL_argerror(L, 4, "headers must be \"Name: value\" "
                                        "strings");
                lua_pushvalue(L, -1);
            }
            kc_check_header_line(L, lua_gettop(L), 4);
            lua_rawseti(L, hl, ++n);
            lua_pop(L, 1);
        }
    }
    lines = lua_newuserdata(L, sizeof(char *) * (size_t)(n + 1));
    for (i = 0; i < (size_t)n; i++) {
        lua_rawgeti(L, hl, (int)i + 1);
        lines[i] = lua_tostring(L, -1); /* anchored in hl */
        lua_pop(L, 1);
    }
    lines[n] = NULL;

    resp = lua_newuserdata(L, sizeof *resp);
    memset(resp, 0, sizeof *resp);
    if (luaL_newmetatable(L, KC_RESP_MT)) {
        lua_pushcfunction(L, kc_resp_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);

    /* arguments were checked above, so any failure is a transport one */
    rc = kc_http_request(h, method, url, (const char *const *)lines, body,
                         blen, resp);
    if (rc != KC_OK || resp->errkind != KC_HTTP_OK) {
        int k = (int)resp->errkind;
        lua_pushnil(L);
        lua_pushstring(L, kinds[k >= 0 && k <= 4 ? k : 4]);
        lua_pushstring(L, resp->errmsg);
        if (resp->status > 0) {
            lua_pushinteger(L, (lua_Integer)resp->status);
            kc_http_response_free(resp);
            return 4;
        }
        kc_http_response_free(resp);
        return 3;
    }
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, (lua_Integer)resp->status);
    lua_setfield(L, -2, "status");
    lua_createtable(L, 0, (int)resp->nheaders);
    for (i = 0; i < resp->nheaders; i++) {
        lua_pushstring(L, resp->headers[i].value);
        lua_setfield(L, -2, resp->headers[i].name);
    }
    lua_setfield(L, -2, "headers");
    lua_pushlstring(L, resp->body.data != NULL ? resp->body.data : "",
                    resp->body.len);
    lua_setfield(L, -2, "body");
    lua_pushnumber(L, (lua_Number)resp->duration);
    lua_setfield(L, -2, "duration");
    kc_http_response_free(resp);
    return 1;
}

/* conn:close() and __gc: idempotent */
static int kc_http_close(lua_State *L)
{
    kc_lua_http *u = luaL_checkudata(L, 1, KC_HTTP_MT);

    kc_http_free(u->h);
    u->h = NULL;
    return 0;
}

static int kc_http_tostring(lua_State *L)
{
    kc_lua_http *u = luaL_checkudata(L, 1, KC_HTTP_MT);

    lua_pushfstring(L, "kibana.http (%s): %p",
                    u->h != NULL ? "open" : "closed", (void *)u);
    return 1;
}


/* kc_lua_open_http: see kc_lua.h. */
void kc_lua_open_http(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"request", kc_http_request_l},
        {"close", kc_http_close},
        {NULL, NULL}
    };

    kc_lua_new_class(L, KC_HTTP_MT, methods, kc_http_close,
                     kc_http_tostring);
    lua_pushcfunction(L, kc_l_http);
    lua_setfield(L, -2, "http");
}
