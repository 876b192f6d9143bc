-- emu/store.lua: all emulator state, in memory (one nginx worker owns it).
--
-- Fields are replaced by reset(): always read them as `store.spaces` etc., never
-- keep a reference across requests.
--   store.config      normalised settings (emu.config)
--   store.spaces      id -> space (the Spaces API shape, without authorizedPurposes)
--   store.connectors  space id -> { connector id -> connector (with secrets) }
--   store.indices     index name -> array of documents (written by .index connectors)
--   store.server_log  array of { level, message, connector_id, timestamp }
--   store.faults      array of active fault rules (emu.faults)
-- The request log is a ring buffer (log_append / log_since / log_clear).

local json = require "emu.json"

local pcall, require, type, ipairs, pairs, tostring = pcall, require, type, ipairs, pairs, tostring
local unpack, select = unpack or table.unpack, select
local function pack(...) return { n = select("#", ...), ... } end
local find = string.find

local _M = {}

_M.config = { max_spaces = 1000, request_log_size = 10000, initial_spaces = {} }

---------------------------------------------------------------------------
-- the saved-object repository (another module; optional until it exists)
---------------------------------------------------------------------------

local objects_mod, objects_err

-- objects() -> the emu.objects module or nil (load errors are logged once)
function _M.objects()
  if objects_mod ~= nil then return objects_mod or nil end
  local ok, m = pcall(require, "emu.objects")
  if ok and type(m) == "table" then
    objects_mod = m
    return m
  end
  objects_mod = false
  if not find(tostring(m), "module 'emu.objects' not found", 1, true) then
    objects_err = tostring(m)
    if ngx then ngx.log(ngx.ERR, "emu.objects failed to load: ", objects_err) end
  end
  return nil
end

---------------------------------------------------------------------------
-- spaces
---------------------------------------------------------------------------

function _M.default_space()
  return {
    id = "default",
    name = "Default",
    description = "This is your default space!",
    color = "#00bfb3",
    disabledFeatures = json.array(),
    _reserved = true,
  }
end

local SPACE_FIELDS = { "name", "description", "color", "initials", "imageUrl", "solution" }
_M.SPACE_FIELDS = SPACE_FIELDS

local function initial_space(s)
  local sp = { id = s.id, disabledFeatures = json.array() }
  for _, f in ipairs(SPACE_FIELDS) do
    if type(s[f]) == "string" then sp[f] = s[f] end
  end
  sp.name = sp.name or s.id
  if type(s.disabledFeatures) == "table" then
    for i, v in ipairs(s.disabledFeatures) do sp.disabledFeatures[i] = v end
  end
  return sp
end

-- call_objects(name, ...) -> result of emu.objects[name](...) | nil; an error
-- inside the repository is logged ("emu.objects.<name> failed") and yields nil,
-- so a fault there never turns a spaces or connectors answer into a 500
function _M.call_objects(name, ...)
  local objects = _M.objects()
  local fn = objects and objects[name]
  if not fn then return nil end
  local res = pack(pcall(fn, ...))
  if not res[1] then
    if ngx then ngx.log(ngx.ERR, "emu.objects.", name, " failed: ", tostring(res[2])) end
    return nil
  end
  return unpack(res, 2, res.n)
end

function _M.space_count()
  local n = 0
  for _ in pairs(_M.spaces) do n = n + 1 end
  return n
end

-- delete_space(id): the space, its connectors, and its saved objects
function _M.delete_space(id)
  _M.spaces[id] = nil
  _M.connectors[id] = nil
  _M.touch_connectors()
  _M.call_objects("delete_namespace", id)
end

---------------------------------------------------------------------------
-- connectors
---------------------------------------------------------------------------

-- touch_connectors(): a connector was added, changed or removed (for caches)
_M.connectors_rev = 0
function _M.touch_connectors()
  _M.connectors_rev = _M.connectors_rev + 1
end

-- connectors_in(space, create) -> id -> connector table (nil if none and not create)
function _M.connectors_in(space, create)
  local t = _M.connectors[space]
  if not t and create then
    t = {}
    _M.connectors[space] = t
  end
  return t
end

---------------------------------------------------------------------------
-- request log: ring buffer of entries with increasing `seq`
---------------------------------------------------------------------------

local ring, ring_size, ring_next, seq = {}, 10000, 1, 0

function _M.log_append(entry)
  seq = seq + 1
  entry.seq = seq
  ring[ring_next] = entry
  ring_next = ring_next + 1
  if ring_next > ring_size then ring_next = 1 end
end

-- log_since(n) -> array of entries with seq > n, oldest first
function _M.log_since(n)
  n = n or 0
  local out = json.array()
  local count = 0
  local first = seq - ring_size + 1
  if first < 1 then first = 1 end
  if n + 1 > first then first = n + 1 end
  for s = first, seq do
    local e = ring[(s - 1) % ring_size + 1]
    if e and e.seq == s then
      count = count + 1
      out[count] = e
    end
  end
  return out
end

function _M.log_clear()
  ring, ring_next, seq = {}, 1, 0
end

function _M.log_seq() return seq end

---------------------------------------------------------------------------
-- reset / init
---------------------------------------------------------------------------

function _M.reset()
  _M.spaces = { default = _M.default_space() }
  for _, s in ipairs(_M.config.initial_spaces or {}) do
    local sp = initial_space(s)
    _M.spaces[sp.id] = sp
  end
  _M.connectors = {}
  _M.touch_connectors()
  _M.indices = {}
  _M.server_log = json.array()
  _M.faults = {}
  _M.log_clear()
  _M.call_objects("reset")
end

function _M.init(config)
  _M.config = config
  ring_size = config.request_log_size or 10000
  _M.reset()
end

_M.reset()

return _M
