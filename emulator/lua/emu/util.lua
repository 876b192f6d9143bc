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

-- decode_segment(raw) -> decoded path segment, like decodeURIComponent; a
-- segment that decodeURIComponent would reject (bad escape, invalid UTF-8)
-- stays raw, as hapi's router leaves such parameters.
function _M.decode_segment(raw)
  if not find(raw, "%", 1, true) then return raw end
  -- a "%" not followed by two hex digits makes decodeURIComponent throw
  if find((gsub(raw, "%%%x%x", "")), "%", 1, true) then return raw end
  local d = gsub(raw, "%%(%x%x)", hex)
  if not _M.utf8_valid(d) then return raw end
  return d
end

-- split_path(path) -> raw segments, decoded segments ("/a//b/" -> a, "", b, "")
function _M.split_path(path)
  local raw, dec, n = {}, {}, 0
  local pos, len = 2, #path
  if sub(path, 1, 1) ~= "/" then pos = 1 end
  if len < pos then return raw, dec end
  while true do
    local e = find(path, "/", pos, true)
    local s = sub(path, pos, (e or len + 1) - 1)
    n = n + 1
    raw[n] = s
    dec[n] = _M.decode_segment(s)
    if not e then break end
    pos = e + 1
  end
  return raw, dec
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
