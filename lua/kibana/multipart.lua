-- kibana.multipart: multipart/form-data bodies (saved objects import).
-- encode(parts) with parts = list of {name=, filename=?, content_type=?, data=}
-- returns body, content_type.

local math_random = math.random
local string_format = string.format
local table_concat = table.concat
local ipairs = ipairs
local tostring = tostring

local _M = {}

local counter = 0

local function new_boundary()
  counter = counter + 1
  return string_format("lua-kibana-%08x%08x%d", math_random(0, 0x7fffffff), math_random(0, 0x7fffffff), counter)
end

local function quote(s)
  -- RFC 7578: quoted-string; escape '"' and drop CR/LF
  return (tostring(s):gsub("[\r\n]", ""):gsub('"', "%%22"))
end

function _M.encode(parts)
  local boundary
  repeat
    boundary = new_boundary()
    local clash = false
    for _, p in ipairs(parts) do
      if p.data:find(boundary, 1, true) then clash = true end
    end
  until not clash
  local out = {}
  for _, p in ipairs(parts) do
    out[#out + 1] = "--" .. boundary .. "\r\n"
    local disp = 'Content-Disposition: form-data; name="' .. quote(p.name) .. '"'
    if p.filename then
      disp = disp .. '; filename="' .. quote(p.filename) .. '"'
    end
    out[#out + 1] = disp .. "\r\n"
    if p.content_type then
      out[#out + 1] = "Content-Type: " .. p.content_type .. "\r\n"
    end
    out[#out + 1] = "\r\n"
    out[#out + 1] = p.data
    out[#out + 1] = "\r\n"
  end
  out[#out + 1] = "--" .. boundary .. "--\r\n"
  return table_concat(out), "multipart/form-data; boundary=" .. boundary
end

return _M
