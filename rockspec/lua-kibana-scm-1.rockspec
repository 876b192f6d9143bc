-- lua-kibana: a Kibana REST API client for Lua, with its core in C.
-- Offline build on Debian: apt-get install liblua5.4-dev libcurl4-openssl-dev cmake
--   luarocks --lua-version 5.4 make rockspec/lua-kibana-scm-1.rockspec
rockspec_format = "3.0"
package = "lua-kibana"
version = "scm-1"
source = {
   url = "git+file://.",
}
description = {
   summary = "Kibana REST API client (spaces, connectors, saved objects) with a C core",
   detailed = [[
Every space-aware call takes space_id; client:space(id) gives a scoped client;
space existence is validated and cached; errors name the space.]],
   license = "MIT",
}
dependencies = {
   "lua >= 5.1",
}
-- libcurl is found by CMake (find_package(CURL)): LuaRocks' own header search does not
-- look in Debian's multiarch include directory (/usr/include/<triplet>/curl).
build = {
   type = "cmake",
   variables = {
      CMAKE_BUILD_TYPE = "Release",
      CMAKE_INSTALL_PREFIX = "$(PREFIX)",
      LUA_INCLUDE_DIR = "$(LUA_INCDIR)",
      LUA_CMOD_DIR = "$(LIBDIR)",
      LUA_LMOD_DIR = "$(LUADIR)",
   },
}
