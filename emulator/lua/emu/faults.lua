-- emu/faults.lua: fault rules set through POST /_emulator/faults.
--
-- A rule: { latency_ms, status (500|502|503|504|429), count (next N matching
-- requests; nil = until cleared), ratio (0..1 chance per request), retry_after
-- (Retry-After header value), mode ("drop"|"malformed"|"slow_body"|"truncated"|
-- "html"|"empty"|"cut"), match
-- (substring of the raw request path) }. Rules apply to /api requests only; the
-- first rule that matches (and wins its ratio draw) is used for a request.

local json = require "emu.json"
local schema = require "emu.schema"
local store = require "emu.store"

local ipairs, tostring, type, random, remove, find =
      ipairs, tostring, type, math.random, table.remove, string.find

local _M = {}

local next_id = 0

local function one_of(values)
  local opts = {}
  for i, v in ipairs(values) do opts[i] = schema.literal(v) end
  return schema.maybe(schema.oneOf(opts))
end

_M.spec = schema.object({
  latency_ms = schema.maybe(schema.number{ min = 0, max = 600000 }),
  status = one_of{ 500, 502, 503, 504, 429 },
  count = schema.maybe(schema.number{ min = 1, integer = true }),
  ratio = schema.maybe(schema.number{ min = 0, max = 1 }),
  retry_after = schema.maybe(schema.oneOf{ schema.string(), schema.number{ min = 0 } }),
  mode = one_of{ "drop", "malformed", "slow_body", "truncated", "html", "empty", "cut" },
  match = schema.maybe(schema.string{ min = 1 }),
}, { order = { "latency_ms", "status", "count", "ratio", "retry_after", "mode", "match" } })

-- add(body) -> rule | nil, message
function _M.add(body)
  local rule, msg = schema.validate(body, _M.spec, "request body")
  if not rule then return nil, msg end
  if rule.latency_ms == nil and rule.status == nil and rule.mode == nil then
    return nil, "[request body]: a fault needs at least one of latency_ms, status, mode"
  end
  if rule.status and rule.mode and rule.mode ~= "slow_body" then
    return nil, "[request body]: status cannot be combined with mode [" .. rule.mode .. "]"
  end
  if rule.retry_after ~= nil then rule.retry_after = tostring(rule.retry_after) end
  next_id = next_id + 1
  rule.id = next_id
  rule.remaining = rule.count
  local faults = store.faults
  faults[#faults + 1] = rule
  return rule
end

function _M.list()
  local out = json.array()
  for i, f in ipairs(store.faults) do out[i] = f end
  return out
end

function _M.clear()
  store.faults = {}
end

-- pick(path) -> rule | nil; consumes one use of a counted rule
function _M.pick(path)
  local faults = store.faults
  for i = 1, #faults do
    local f = faults[i]
    if (f.match == nil or find(path, f.match, 1, true))
       and (f.ratio == nil or random() < f.ratio) then
      if f.remaining then
        f.remaining = f.remaining - 1
        if f.remaining <= 0 then remove(faults, i) end
      end
      return f
    end
  end
  return nil
end

return _M
