/*
 * cache.c - the space validation cache as a Lua object (core.space_cache).
 *
 * A full userdata holding a kc_space_cache pointer: close() and __gc free it
 * (idempotent), and any later method call raises "space cache is closed".
 */
#include "kc_lua.h"

#define KC_CACHE_MT "kibana.space_cache"

typedef struct kc_lua_cache {
    kc_space_cache *c; /* NULL once closed */
} kc_lua_cache;

static kc_space_cache *kc_check_cache(lua_State *L)
{
    kc_lua_cache *u = luaL_checkudata(L, 1, KC_CACHE_MT);

    if (u->c == NULL)
        luaL_error(L, "space cache is closed");
    return u->c;
}

/* core.space_cache([ttl[, missing_ttl]]) -> cache (defaults 300 s and 0) */
static int kc_l_space_cache(lua_State *L)
{
    double ttl = kc_lua_opt_nonneg(L, 1, "ttl", 300);
    double missing_ttl = kc_lua_opt_nonneg(L, 2, "missing_ttl", 0);
    kc_lua_cache *u = lua_newuserdata(L, sizeof *u);

    u->c = NULL;
    luaL_getmetatable(L, KC_CACHE_MT);
    lua_setmetatable(L, -2);
    u->c = kc_space_cache_new(ttl, missing_ttl, NULL);
    if (u->c == NULL)
        return luaL_error(L, "out of memory creating the space cache");
    return 1;
}

/* cache:get(id) -> "exists" | "missing" | nil */
static int kc_cache_get(lua_State *L)
{
    kc_space_cache *c = kc_check_cache(L);
    size_t len;
    const char *id = luaL_checklstring(L, 2, &len);

    switch (kc_space_cache_get(c, id, len)) {
    case KC_SPACE_EXISTS:
        lua_pushliteral(L, "exists");
        break;
    case KC_SPACE_MISSING:
        lua_pushliteral(L, "missing");
        break;
    default:
        lua_pushnil(L);
    }
    return 1;
}

/* cache:put(id, "exists" | "missing") */
static int kc_cache_put(lua_State *L)
{
    static const char *const states[] = {"exists", "missing", NULL};
    kc_space_cache *c = kc_check_cache(L);
    size_t len;
    const char *id = luaL_checklstring(L, 2, &len);
    int st = luaL_checkoption(L, 3, NULL, states);

    if (kc_space_cache_put(c, id, len, st == 0 ? KC_SPACE_EXISTS
                                               : KC_SPACE_MISSING) != KC_OK)
        return luaL_error(L, "out of memory in the space cache");
    return 0;
}

/* cache:invalidate(id) */
static int kc_cache_invalidate(lua_State *L)
{
    kc_space_cache *c = kc_check_cache(L);
    size_t len;
    const char *id = luaL_checklstring(L, 2, &len);

    kc_space_cache_invalidate(c, id, len);
    return 0;
}

/* cache:clear() */
static int kc_cache_clear(lua_State *L)
{
    kc_space_cache_clear(kc_check_cache(L));
    return 0;
}

/* cache:stats() -> {hits=, misses=, lookups=, size=} */
static int kc_cache_stats(lua_State *L)
{
    kc_space_cache_stats st;

    kc_space_cache_stats_get(kc_check_cache(L), &st);
    lua_createtable(L, 0, 4);
    lua_pushnumber(L, (lua_Number)st.hits);
    lua_setfield(L, -2, "hits");
    lua_pushnumber(L, (lua_Number)st.misses);
    lua_setfield(L, -2, "misses");
    lua_pushnumber(L, (lua_Number)st.lookups);
    lua_setfield(L, -2, "lookups");
    lua_pushnumber(L, (lua_Number)st.size);
    lua_setfield(L, -2, "size");
#if KC_HAVE_INTEGERS
    /* integers print as 3, not 3.0 */
    lua_pushinteger(L, (lua_Integer)st.hits);
    lua_setfield(L, -2, "hits");
    lua_pushinteger(L, (lua_Integer)st.misses);
    lua_setfield(L, -2, "misses");
    lua_pushinteger(L, (lua_Integer)st.lookups);
    lua_setfield(L, -2, "lookups");
    lua_pushinteger(L, (lua_Integer)st.size);
    lua_setfield(L, -2, "size");
#endif
    return 1;
}

/* cache:set_ttl(ttl, missing_ttl) */
static int kc_cache_set_ttl(lua_State *L)
{
    kc_space_cache *c = kc_check_cache(L);
    double ttl = kc_lua_check_nonneg(L, 2, "ttl");
    double missing_ttl = kc_lua_opt_nonneg(L, 3, "missing_ttl", 0);

    if (kc_space_cache_set_ttl(c, ttl, missing_ttl) != KC_OK)
        return luaL_error(L, "cannot set the space cache TTLs");
    return 0;
}

/* cache:close() and __gc: idempotent */
static int kc_cache_close(lua_State *L)
{
    kc_lua_cache *u = luaL_checkudata(L, 1, KC_CACHE_MT);

    kc_space_cache_free(u->c);
    u->c = NULL;
    return 0;
}

static int kc_cache_tostring(lua_State *L)
{
    kc_lua_cache *u = luaL_checkudata(L, 1, KC_CACHE_MT);

    lua_pushfstring(L, "kibana.space_cache (%s): %p",
                    u->c != NULL ? "open" : "closed", (void *)u);
    return 1;
}


/* kc_lua_open_cache: see kc_lua.h. */
void kc_lua_open_cache(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"get", kc_cache_get},
        {"put", kc_cache_put},
        {"invalidate", kc_cache_invalidate},
        {"clear", kc_cache_clear},
        {"stats", kc_cache_stats},
        {"set_ttl", kc_cache_set_ttl},
        {"close", kc_cache_close},
        {NULL, NULL}
    };

    kc_lua_new_class(L, KC_CACHE_MT, methods, kc_cache_close,
                     kc_cache_tostring);
    lua_pushcfunction(L, kc_l_space_cache);
    lua_setfield(L, -2, "space_cache");
}
