-- emu/json.lua: JSON for the emulator (cjson underneath) with empty-array marks.
--
-- cjson 2.1.0 cannot tell `[]` from `{}` (both decode to an empty table, and an
-- empty table encodes as `{}`). Kibana's validation messages depend on that
-- difference, so:
--   * decode: a string-aware pre-scan replaces every `[` ws* `]` outside strings
--     with a sentinel string literal; after cjson a walk turns each sentinel into
--     an empty table carrying `array_mt`. Non-empty arrays are plain sequences.
--   * encode: tables carrying `array_mt` that are empty are swapped for the
--     sentinel (on a shallow copy of the affected path only) and the sentinel's
--     encoded form is replaced by `[]` afterwards.
-- Works under LuaJIT (nginx) and Lua 5.4 (the spec support reuses it).

local cjson = require "cjson"

local type, pairs, next, setmetatable, getmetatable, pcall =
      type, pairs, next, setmetatable, getmetatable, pcall
local huge = math.huge
local find, sub, byte, gsub, format, concat =
      string.find, string.sub, string.byte, string.gsub, string.format, table.concat

local _M = {}

local cj = cjson.new()
cj.decode_invalid_numbers(false)
cj.encode_sparse_array(true)
-- decoding stops at 1000 levels (a deeper request body is a 400); encoding allows
-- more, as answers wrap what was stored (saved_objects[i].attributes...) and a
-- value that could be stored must always be answerable
local DECODE_DEPTH, ENCODE_DEPTH = 1000, 1100
cj.encode_max_depth(ENCODE_DEPTH)
cj.decode_max_depth(DECODE_DEPTH)
-- 2.1.0 accepts at most 14 significant digits; newer builds accept more
if not pcall(cj.encode_number_precision, 17) then
  cj.encode_number_precision(14)
end

_M.null = cjson.null
_M.array_mt = { __name = "json.array" }
local array_mt = _M.array_mt

local SENTINEL = "\0emu-empty-array\0"
local SENTINEL_LIT = '"\\u0000emu-empty-array\\u0000"'    -- as written into JSON text
local SENTINEL_ENC = cj.encode(SENTINEL)                    -- as cjson writes it
local SENTINEL_ENC_PAT = gsub(SENTINEL_ENC, "[%p]", "%%%0")

function _M.array(t)
  return setmetatable(t or {}, array_mt)
end

function _M.is_array(v)
  if type(v) ~= "table" then return false end
  if getmetatable(v) == array_mt then return true end
  local n = #v
  if n == 0 then return false end
  local count = 0
  for k in pairs(v) do
    if type(k) ~= "number" or k < 1 or k > n or k % 1 ~= 0 then return false end
    count = count + 1
  end
  return count == n
end

function _M.is_object(v)
  return type(v) == "table" and v ~= _M.null and not _M.is_array(v)
end

-- Replace `[` ws* `]` outside strings by the sentinel literal. Returns the new
-- text and whether anything was replaced.
local function mark_empty_arrays(s)
  if not find(s, "%[[ \t\r\n]*%]") then return s, false end
  local out, n = {}, 0
  local pos, last, len = 1, 1, #s
  while pos <= len do
    local a = find(s, '["%[]', pos)
    if not a then break end
    if byte(s, a) == 34 then          -- '"': skip the string literal
      local e = a + 1
      while true do
        local q = find(s, '["\\]', e)
        if not q then e = len + 1; break end
        if byte(s, q) == 92 then e = q + 2 else e = q + 1; break end
      end
      pos = e
    else                              -- '['
      local _, close = find(s, "^[ \t\r\n]*%]", a + 1)
      if close then
        n = n + 1; out[n] = sub(s, last, a - 1)
        n = n + 1; out[n] = SENTINEL_LIT
        last = close + 1
        pos = close + 1
      else
        pos = a + 1
      end
    end
  end
  if n == 0 then return s, false end
  out[n + 1] = sub(s, last)
  return concat(out), true
end

local function unmark(v)
  if v == SENTINEL then return setmetatable({}, array_mt) end
  if type(v) == "table" then
    for k, x in pairs(v) do
      if x == SENTINEL then
        v[k] = setmetatable({}, array_mt)
      elseif type(x) == "table" then
        unmark(x)
      end
    end
  end
  return v
end

-- decode(s) -> value | nil, err
function _M.decode(s)
  if type(s) ~= "string" then return nil, "expected a string" end
  local text, marked = mark_empty_arrays(s)
  local ok, v = pcall(cj.decode, text)
  if not ok then return nil, v end
  if marked then v = unmark(v) end
  -- a number too large for a double decodes to +-inf, as JSON.parse gives
  -- Infinity; encode() writes it as null, as JSON.stringify does
  return v
end

local BIGINT_PAT = "\"\\u0000n(%-?%d+)\\u0000\""
local function bigint(x)
  -- cjson 2.1.0 prints 14 significant digits; keep integers exact up to 2^53
  if x % 1 == 0 and (x >= 1e14 or x <= -1e14) and x < 9007199254740992 and x > -9007199254740992 then
    return "\0n" .. format("%.0f", x) .. "\0"
  end
end

-- returns v itself when it holds nothing to rewrite, else a copy of the affected
-- path with a sentinel in place of each marked empty table and big integer
local function prep(v, depth)
  if type(v) == "number" then
    -- JSON.stringify writes NaN and +-Infinity as null (cjson would raise)
    if v ~= v or v == huge or v == -huge then return _M.null, true end
    local b = bigint(v)
    if b then return b, true end
    return v, false
  end
  if type(v) ~= "table" then return v, false end
  if getmetatable(v) == array_mt and next(v) == nil then return SENTINEL, true end
  if depth > ENCODE_DEPTH then return v, false end
  local copy
  for k, x in pairs(v) do
    if type(x) == "table" or type(x) == "number" then
      local y, changed = prep(x, depth + 1)
      if changed then
        if not copy then
          copy = {}
          for k2, x2 in pairs(v) do copy[k2] = x2 end
        end
        copy[k] = y
      end
    end
  end
  if copy then return copy, true end
  return v, false
end

-- encode(v) -> string (raises on values JSON cannot hold)
function _M.encode(v)
  local p, changed = prep(v, 0)
  local s = cj.encode(p)
  if changed then
    s = gsub(s, SENTINEL_ENC_PAT, "[]")
    if find(s, "\\u0000n", 1, true) then s = gsub(s, BIGINT_PAT, "%1") end
  end
  -- cjson escapes '/', JSON.stringify does not; `\/` only ever is that escape
  if find(s, "\\/", 1, true) then s = gsub(s, "\\/", "/") end
  return s
end

return _M
