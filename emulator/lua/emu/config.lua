-- emu/config.lua: loads the emulator's settings at nginx start.
--
-- The launcher writes <state dir>/config.lua (a chunk returning
-- { port, state_dir, strict_spaces, api_key, config_file }). `config_file` is the
-- user's optional --config FILE, JSON or Lua (a chunk returning a table):
--
--   { "users":         [ { "username": "u", "password": "p", "spaces": ["marketing"] } ],
--     "api_keys":      [ { "id": "i", "key": "k", "name": "ci", "spaces": [...] }
--                        | { "encoded": "<base64 of id:key>", ... } ],
--     "bearer_tokens": [ { "token": "t", "username": "svc", "spaces": [...] } ],
--     "spaces":        [ { "id": "marketing", "name": "Marketing", ... } ],
--     "max_spaces": 1000, "max_payload": 1048576, "request_log_size": 10000 }
--
-- A principal without `spaces` may use every space; with `spaces` only those
-- (a "*" entry means all). Errors raise "kibana-emulator config: ...", which
-- makes nginx refuse to start and the launcher print the reason.

local json = require "emu.json"

local type, pairs, ipairs, tostring, error, pcall = type, pairs, ipairs, tostring, error, pcall
local load, loadstring, setfenv = load, loadstring, setfenv
local open, match = io.open, string.match

local _M = {}

_M.VERSION = "8.15.0"
_M.BUILD_HASH = "4a8b1ec1b7d7ec0fa2ea8e3fd2f8b4dc6e4a8f0c"
_M.BUILD_NUMBER = 76360
_M.BUILD_DATE = "2024-08-05T10:05:34.233Z"
_M.NAME = "kibana-emulator"

local function fail(msg) error("kibana-emulator config: " .. msg, 0) end

local function read_file(path)
  local f, e = open(path, "rb")
  if not f then fail("cannot read " .. tostring(path) .. ": " .. tostring(e)) end
  local s = f:read("*a")
  f:close()
  return s
end

local function load_lua(text, name)
  local env = {}
  local chunk, e
  if setfenv then
    chunk, e = loadstring(text, "=" .. name)
    if chunk then setfenv(chunk, env) end
  else
    chunk, e = load(text, "=" .. name, "t", env)
  end
  if not chunk then fail(name .. ": " .. tostring(e)) end
  local ok, v = pcall(chunk)
  if not ok then fail(name .. ": " .. tostring(v)) end
  if type(v) ~= "table" then fail(name .. ": must return a table") end
  return v
end

-- load_file(path) -> table (JSON by extension or by a leading '{', else Lua)
function _M.load_file(path)
  local text = read_file(path)
  if match(path, "%.json$") or (not match(path, "%.lua$") and match(text, "^%s*[{%[]")) then
    local v, e = json.decode(text)
    if type(v) ~= "table" then fail(path .. ": invalid JSON: " .. tostring(e)) end
    return v
  end
  return load_lua(text, path)
end

local function list(v, what)
  if v == nil or v == json.null then return {} end
  if type(v) ~= "table" then fail(what .. " must be a list") end
  local out = {}
  for i, x in ipairs(v) do out[i] = x end
  return out
end

local function spaces_of(entry, what)
  local s = entry.spaces
  if s == nil or s == json.null then return nil end
  if type(s) ~= "table" then fail(what .. ".spaces must be a list of space ids") end
  local out, set = {}, {}
  for i, id in ipairs(s) do
    if type(id) ~= "string" then fail(what .. ".spaces must be a list of space ids") end
    if id == "*" then return nil end
    out[i] = id
    set[id] = true
  end
  return out, set
end

local function str(v, what)
  if type(v) ~= "string" or v == "" then fail(what .. " must be a non-empty string") end
  return v
end

local function positive(v, what, default)
  if v == nil then return default end
  if type(v) ~= "number" or v < 1 or v % 1 ~= 0 then fail(what .. " must be a positive integer") end
  return v
end

-- build(settings, user) -> normalised config
-- settings: what the launcher wrote; user: the --config table (or nil)
function _M.build(settings, user, b64encode)
  local c = {
    port = settings.port,
    state_dir = settings.state_dir,
    strict_spaces = settings.strict_spaces == true,
    version = _M.VERSION,
    name = _M.NAME,
    users = {}, api_keys = {}, bearer = {},
    initial_spaces = {},
    max_spaces = 1000,
    max_payload = 1048576,          -- hapi/Kibana server.maxPayload default
    request_log_size = 10000,
  }
  c.users.elastic = { name = "elastic", password = "changeme" }
  if settings.api_key and settings.api_key ~= "" then
    c.api_keys[settings.api_key] = { name = "emulator-api-key" }
    c.default_api_key = settings.api_key
  end
  user = user or {}
  if type(user) ~= "table" then fail("must be an object") end
  local known = { users = true, api_keys = true, bearer_tokens = true, spaces = true,
                  max_spaces = true, max_payload = true, request_log_size = true }
  for k in pairs(user) do
    if not known[k] then fail("unknown key '" .. tostring(k) .. "'") end
  end
  for i, u in ipairs(list(user.users, "users")) do
    local what = "users[" .. i .. "]"
    if type(u) ~= "table" then fail(what .. " must be an object") end
    local name = str(u.username, what .. ".username")
    local spaces, set = spaces_of(u, what)
    c.users[name] = { name = name, password = str(u.password, what .. ".password"),
                      spaces = spaces, space_set = set }
  end
  for i, k in ipairs(list(user.api_keys, "api_keys")) do
    local what = "api_keys[" .. i .. "]"
    if type(k) ~= "table" then fail(what .. " must be an object") end
    local encoded = k.encoded
    if encoded == nil then
      encoded = b64encode(str(k.id, what .. ".id") .. ":" .. str(k.key, what .. ".key"))
    else
      str(encoded, what .. ".encoded")
    end
    local spaces, set = spaces_of(k, what)
    c.api_keys[encoded] = { name = k.name or k.id or ("api-key-" .. i), spaces = spaces, space_set = set }
  end
  for i, t in ipairs(list(user.bearer_tokens, "bearer_tokens")) do
    local what = "bearer_tokens[" .. i .. "]"
    if type(t) ~= "table" then fail(what .. " must be an object") end
    local token = str(t.token, what .. ".token")
    local spaces, set = spaces_of(t, what)
    c.bearer[token] = { name = t.username or ("token-" .. i), spaces = spaces, space_set = set }
  end
  for i, s in ipairs(list(user.spaces, "spaces")) do
    local what = "spaces[" .. i .. "]"
    if type(s) ~= "table" then fail(what .. " must be an object") end
    local id = str(s.id, what .. ".id")
    if not match(id, "^[a-z0-9_%-]+$") then fail(what .. ".id must match ^[a-z0-9_-]+$") end
    if id == "default" then fail(what .. ": the default space always exists") end
    c.initial_spaces[#c.initial_spaces + 1] = s
  end
  c.max_spaces = positive(user.max_spaces, "max_spaces", c.max_spaces)
  c.max_payload = positive(user.max_payload, "max_payload", c.max_payload)
  c.request_log_size = positive(user.request_log_size, "request_log_size", c.request_log_size)
  return c
end

-- load(settings_path, b64encode) -> normalised config
function _M.load(settings_path, b64encode)
  local settings = load_lua(read_file(settings_path), settings_path)
  local user
  if settings.config_file and settings.config_file ~= "" then
    user = _M.load_file(settings.config_file)
  end
  return _M.build(settings, user, b64encode)
end

return _M
