-- kibana.space_validator: is this space there? One per root client, shared by
-- its scoped clients. Wraps the C TTL cache (core.space_cache) and adds what
-- only Lua can do: at most one lookup request per space id in flight.
--
-- check(id, lookup, opts) -> "exists" | "missing" | nil, err, meta
--   lookup(id) performs GET /api/spaces/space/<id> and returns
--   "exists" | "missing" | nil, err, meta.
--   opts.fresh: skip the cache read (a scoped client's creation), the answer
--   is still written to it.
--   opts.pause: function called while another coroutine's lookup of the same
--   id is in flight (it must let that coroutine run, e.g. yield to the
--   scheduler); nil when the caller cannot wait.
--
-- "exists" is cached for the cache's ttl; "missing" only when missing_ttl > 0;
-- failures are never cached. invalidate(id) / clear() also discard the answer
-- of a lookup that is in flight at that moment, so a spaces:create or
-- spaces:delete racing a lookup cannot leave a stale entry behind.

local core = require "kibana.core"

local setmetatable = setmetatable
local getmetatable = getmetatable
local pairs = pairs
local pcall = pcall
local error = error
local type = type

local _M = {}

local Validator = {}
Validator.__index = Validator

-- The C cache takes finite TTLs; math.huge ("for good") becomes ~31 million
-- years.
local FOREVER = 1e15
local function finite(ttl)
  if ttl > FOREVER then
    return FOREVER
  end
  return ttl
end

-- new{ttl = 300, missing_ttl = 0, wait_timeout = 60}
function _M.new(opts)
  opts = opts or {}
  local self = setmetatable({
    ttl = opts.ttl or 300,
    missing_ttl = opts.missing_ttl or 0,
    wait_timeout = opts.wait_timeout or 60,
    inflight = {},
    generation = {},
    epoch = 0,
    requests = 0, -- validation requests sent
    waits = 0,    -- callers that waited on another one's lookup
  }, Validator)
  self.cache = core.space_cache(finite(self.ttl), finite(self.missing_ttl))
  return self
end

local function gen_of(self, id)
  return self.epoch, self.generation[id] or 0
end

local function copy_error(err)
  if type(err) ~= "table" then
    return err
  end
  local c = {}
  for k, v in pairs(err) do
    c[k] = v
  end
  return setmetatable(c, getmetatable(err))
end

-- Waits for an in-flight lookup of the same id. Returns the record when it
-- finished, nil when the caller cannot wait (no pause function) or gave up.
local function wait_for(self, rec, pause)
  if not pause then
    return nil
  end
  self.waits = self.waits + 1
  local deadline = core.monotonic() + self.wait_timeout
  while not rec.done do
    if core.monotonic() > deadline then
      return nil
    end
    pause()
  end
  return rec
end

local function answer(rec)
  if rec.state then
    return rec.state, nil, rec.meta
  end
  return nil, copy_error(rec.err), rec.meta
end

function Validator:check(id, lookup, opts)
  opts = opts or {}
  if not opts.fresh then
    local state = self.cache:get(id)
    if state == "exists" or state == "missing" then
      return state
    end
  end
  local rec = self.inflight[id]
  if rec then
    local done = wait_for(self, rec, opts.pause)
    if done then
      return answer(done)
    end
    -- the owner never finished (abandoned coroutine) or we cannot wait:
    -- ask ourselves
  end
  rec = { done = false }
  self.inflight[id] = rec
  local epoch, gen = gen_of(self, id)
  self.requests = self.requests + 1
  local ok, state, err, meta = pcall(lookup, id)
  if self.inflight[id] == rec then
    self.inflight[id] = nil
  end
  if not ok then
    rec.done = true
    rec.err = state
    error(state, 0)
  end
  local e2, g2 = gen_of(self, id)
  local stale = e2 ~= epoch or g2 ~= gen
  if state == "exists" then
    if not stale then
      self.cache:put(id, "exists")
    end
  elseif state == "missing" then
    if not stale and self.missing_ttl > 0 then
      self.cache:put(id, "missing")
    end
  else
    state = nil
  end
  rec.state, rec.err, rec.meta = state, err, meta
  rec.done = true
  if state then
    return state, nil, meta
  end
  return nil, err, meta
end

-- Drops the cached answer for `id` (and the answer of a lookup in flight).
-- Generations only matter while a lookup of `id` is in flight; without one
-- the entry is dropped, so a long-lived client creating and deleting many
-- spaces does not accumulate them.
function Validator:invalidate(id)
  self.cache:invalidate(id)
  if self.inflight[id] then
    self.generation[id] = (self.generation[id] or 0) + 1
  else
    self.generation[id] = nil
  end
end

function Validator:clear(id)
  if id ~= nil then
    return self:invalidate(id)
  end
  self.cache:clear()
  self.epoch = self.epoch + 1
  self.generation = {}
end

-- {hits, misses, lookups, size} from the C cache, plus `requests` (validation
-- requests sent) and `waits` (callers that joined a lookup in flight).
function Validator:stats()
  local s = self.cache:stats()
  local out = {}
  for k, v in pairs(s) do
    out[k] = v
  end
  out.requests = self.requests
  out.waits = self.waits
  out.ttl = self.ttl
  out.missing_ttl = self.missing_ttl
  return out
end

function Validator:close()
  if self.cache and self.cache.close then
    self.cache:close()
  end
end

return _M
