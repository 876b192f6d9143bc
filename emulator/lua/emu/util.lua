-- emu/util.lua: small helpers shared by the emulator modules (no state).

local byte, char, find, gsub, sub, format, tonumber, floor, random, time =
      string.byte, string.char, string.find, string.gsub, string.sub, string.format,
      tonumber, math.floor, math.random, os.time

local _M = {}

-- utf8_valid(s) -> boolean: well-formed UTF-8 (no overlongs, no surrogates)
function _M.utf8_valid(s)
  if not find(s, "[\128-\255]") then return true end
  local i, len = 1, #s
  while i <= len do
    local c = byte(s, i)
    if c < 0x80 then
      i = i + 1
    else
      local n, min
      if c >= 0xC2 and c <= 0xDF then n, min = 1, 0x80
      elseif c >= 0xE0 and c <= 0xEF then n, min = 2, 0x800
      elseif c >= 0xF0 and c <= 0xF4 then n, min = 3, 0x10000
      else return false end
      if i + n > len then return false end
      local cp = c % (2 ^ (6 - n))
      for j = 1, n do
        local d = byte(s, i + j)
        if d < 0x80 or d > 0xBF then return false end
        cp = cp * 64 + (d - 0x80)
      end
      if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return false end
      i = i + n + 1
    end
  end
  return true
end

local function hex(h) return char(tonumber(h, 16)) end

-- utf8_sanitize(s) -> s with every ill-formed UTF-8 sequence replaced by U+FFFD,
-- one per maximal subpart (the WHATWG decoder, which Node's Buffer#toString('utf8')
-- follows: Kibana sees request bodies through it). Well-formed input is returned as is.
local REPLACEMENT = "\239\191\189"
function _M.utf8_sanitize(s)
  if not find(s, "[\128-\255]") or _M.utf8_valid(s) then return s end
  local out, n = {}, 0
  local i, len, last = 1, #s, 1
  while i <= len do
    local c = byte(s, i)
    if c < 0x80 then
      i = i + 1
    else
      -- the bytes that may follow the lead byte (WHATWG: lower/upper boundaries)
      local need, lo, hi = 0, 0x80, 0xBF
      if c >= 0xC2 and c <= 0xDF then need = 1
      elseif c >= 0xE0 and c <= 0xEF then
        need = 2
        if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F end
      elseif c >= 0xF0 and c <= 0xF4 then
        need = 3
        if c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
      end
      local j, ok = i + 1, need > 0
      for k = 1, need do
        local d = byte(s, j)
        if not d or d < lo or d > hi then ok = false; break end
        lo, hi = 0x80, 0xBF
        j = j + 1
      end
      if ok then
        i = j
      else
        -- replace the maximal subpart [i, j) (at least the lead byte)
        if j == i then j = i + 1 end
        n = n + 1; out[n] = sub(s, last, i - 1)
        n = n + 1; out[n] = REPLACEMENT
        i = j
        last = j
      end
    end
  end
  n = n + 1; out[n] = sub(s, last)
  return table.concat(out)
end

-- decode_segment(raw) -> decoded path segment, true | raw, false
-- Like decodeURIComponent; a segment it would reject (a '%' without two hex
-- digits, escapes that decode to invalid UTF-8) comes back raw with `false`:
-- hapi's router (@hapi/call) answers such a path parameter with 400 Bad Request.
function _M.decode_segment(raw)
  if not find(raw, "%", 1, true) then return raw, true end
  -- a "%" not followed by two hex digits makes decodeURIComponent throw
  if find((gsub(raw, "%%%x%x", "")), "%", 1, true) then return raw, false end
  local d = gsub(raw, "%%(%x%x)", hex)
  if not _M.utf8_valid(d) then return raw, false end
  return d, true
end

-- WHATWG URL parsing (Node's `new URL`, which hapi routes on) resolves dot
-- segments, also percent-encoded ones: /a/%2E%2E/b is /b, /a/./b is /a/b.
local SINGLE_DOT = { ["."] = true, ["%2e"] = true }
local DOUBLE_DOT = { [".."] = true, [".%2e"] = true, ["%2e."] = true, ["%2e%2e"] = true }

-- split_path(path) -> raw segments, decoded segments ("/a//b/" -> a, "", b, ""),
-- and a set of the indices decodeURIComponent would reject (nil when none).
-- Dot segments are resolved first, as Kibana's URL parsing does.
function _M.split_path(path)
  local raw, dec, bad, n = {}, {}, nil, 0
  local pos, len = 2, #path
  if sub(path, 1, 1) ~= "/" then pos = 1 end
  if len < pos then return raw, dec end
  while true do
    local e = find(path, "/", pos, true)
    local s = sub(path, pos, (e or len + 1) - 1)
    local lower = #s <= 6 and s:lower() or nil
    if lower and DOUBLE_DOT[lower] then
      if n > 0 then
        raw[n], dec[n] = nil, nil
        if bad then bad[n] = nil end
        n = n - 1
      end
      if not e then n = n + 1; raw[n], dec[n] = "", "" end
    elseif lower and SINGLE_DOT[lower] then
      if not e then n = n + 1; raw[n], dec[n] = "", "" end
    else
      n = n + 1
      raw[n] = s
      local ok
      dec[n], ok = _M.decode_segment(s)
      if not ok then
        bad = bad or {}
        bad[n] = true
      end
    end
    if not e then break end
    pos = e + 1
  end
  return raw, dec, bad
end

-- js_string(v) -> String(v) as JavaScript writes it (template literals in Kibana's
-- importer key objects by `${type}:${id}`): nil -> "undefined", integers without ".0"
function _M.js_string(v)
  local t = type(v)
  if v == nil then return "undefined" end
  if t == "string" then return v end
  if t == "boolean" then return v and "true" or "false" end
  if t == "number" then
    if v ~= v then return "NaN" end
    if v == math.huge then return "Infinity" end
    if v == -math.huge then return "-Infinity" end
    if v % 1 == 0 and v > -1e21 and v < 1e21 then return format("%d", v) end
    for _, f in ipairs({ "%.15g", "%.16g", "%.17g" }) do
      local r = format(f, v)
      if tonumber(r) == v then return r end
    end
    return format("%.17g", v)
  end
  if t == "table" then return "[object Object]" end
  return "null"
end

-- uuid4() -> random UUID v4 string
function _M.uuid4()
  return format("%08x-%04x-4%03x-%x%03x-%04x%08x",
    random(0, 0xffffffff), random(0, 0xffff), random(0, 0xfff),
    random(8, 11), random(0, 0xfff), random(0, 0xffff), random(0, 0xffffffff))
end

-- iso_now(now) -> "2024-08-05T10:05:34.233Z" (now in seconds, fractional)
function _M.iso_time(now)
  now = now or time()
  local secs = floor(now)
  local ms = floor((now - secs) * 1000 + 0.5)
  if ms >= 1000 then ms = 999 end
  return os.date("!%Y-%m-%dT%H:%M:%S", secs) .. format(".%03dZ", ms)
end

-- trim(s) -> s without leading/trailing whitespace (JS String#trim)
function _M.trim(s)
  return (gsub(gsub(s, "^[%s\194\160]+", ""), "[%s\194\160]+$", ""))
end

-- deep copy (keeps metatables, e.g. json.array_mt)
function _M.deepcopy(v)
  if type(v) ~= "table" then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = _M.deepcopy(x) end
  return setmetatable(c, getmetatable(v))
end

return _M
