/*
 * kc_lua.h - internals shared by the files of the kibana.core binding.
 *
 * Everything declared here has hidden visibility: the module exports only
 * luaopen_kibana_core. The compat shims let the same sources compile against
 * Lua 5.4 and Lua 5.1 / LuaJIT 2.1 headers.
 */
#ifndef KC_LUA_H
#define KC_LUA_H

#include <lua.h>
#include <lauxlib.h>

#include "kc_core.h"

#define KC_HIDDEN __attribute__((visibility("hidden")))

/* registry key of the metatable that marks a table as a JSON array */
#define KC_ARRAY_MT "kibana.array"

/* nesting limit of the JSON encoder and decoder */
#define KC_JSON_MAXDEPTH 1000

/* ------------------------------------------------------------------ */
/* Lua 5.1 / LuaJIT compatibility                                     */

#if LUA_VERSION_NUM >= 503
#define KC_HAVE_INTEGERS 1
#else
#define KC_HAVE_INTEGERS 0
#endif

#if LUA_VERSION_NUM >= 502
#define kc_rawlen(L, i) lua_rawlen((L), (i))
#else
#define kc_rawlen(L, i) lua_objlen((L), (i))
#endif

/* luaL_setfuncs with no upvalues */
static inline void kc_setfuncs(lua_State *L, const luaL_Reg *l)
{
    for (; l->name != NULL; l++) {
        lua_pushcfunction(L, l->func);
        lua_setfield(L, -2, l->name);
    }
}

/* Whether the value at idx is a number with an integral value (on 5.4 an
 * integer, or a float with an exact integer value). */
static inline int kc_isintegral(lua_State *L, int idx, lua_Integer *out)
{
#if KC_HAVE_INTEGERS
    int isnum = 0;
    lua_Integer v = lua_tointegerx(L, idx, &isnum);
    if (lua_type(L, idx) != LUA_TNUMBER || !isnum)
        return 0;
    *out = v;
    return 1;
#else
    lua_Number n;
    if (lua_type(L, idx) != LUA_TNUMBER)
        return 0;
    n = lua_tonumber(L, idx);
    if (n != n || n < -9007199254740992.0 || n > 9007199254740992.0
        || (lua_Number)(lua_Integer)n != n)
        return 0;
    *out = (lua_Integer)n;
    return 1;
#endif
}

/* ------------------------------------------------------------------ */
/* shared functions                                                   */

/* Pushes a full userdata holding an empty kc_buf whose __gc frees it, and
 * returns the buffer. Build results in it; if a Lua error is raised before
 * the explicit kc_buf_free the garbage collector frees the memory. */
KC_HIDDEN kc_buf *kc_lua_newbuf(lua_State *L);

/* Formats a number the way the JSON encoder does (integers as integers,
 * floats round-tripping, '.' as decimal point whatever the locale). Returns
 * the length written to out (>= 32 bytes), or 0 for NaN / infinities. */
KC_HIDDEN size_t kc_lua_fmtnumber(lua_State *L, int idx, char *out,
                                  size_t outlen);

/* A number argument that must be finite and >= 0 (raises naming `name`);
 * the opt variant returns def for none/nil. */
KC_HIDDEN double kc_lua_check_nonneg(lua_State *L, int arg, const char *name);
KC_HIDDEN double kc_lua_opt_nonneg(lua_State *L, int arg, const char *name,
                                   double def);

/* Creates the metatable `name` for a userdata class: methods in __index,
 * __gc and __close = close (which must be idempotent), __tostring. */
KC_HIDDEN void kc_lua_new_class(lua_State *L, const char *name,
                                const luaL_Reg *methods, lua_CFunction close,
                                lua_CFunction tostring);

/* Each registers its functions into the module table at the top of the
 * stack: json.c array_mt, null, array, is_array, json_encode, json_decode;
 * cache.c space_cache; http.c http. */
KC_HIDDEN void kc_lua_open_json(lua_State *L);
KC_HIDDEN void kc_lua_open_cache(lua_State *L);
KC_HIDDEN void kc_lua_open_http(lua_State *L);

/* json_decode.c: core.json_decode(s) -> value | nil, msg */
KC_HIDDEN int kc_lua_json_decode(lua_State *L);

#endif
