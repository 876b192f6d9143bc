-- spec/support/http.lua: a minimal raw HTTP/1.1 client for the emulator specs
-- (lua-socket). The path is sent byte-exact (never normalised), so specs can
-- send %2F, "..", %00 and overlong ids as a real client might.
--
--   local http = require "spec.support.http"
--   local r = http.request{ method = "POST", path = "/api/spaces/space",
--                           headers = { ["kbn-xsrf"] = "x" }, body = { id = "a", name = "A" },
--                           auth = "basic" }      -- "basic" | "apikey" | "none" (default)
--   r.status, r.headers["content-type"], r.body, r.json
-- A table body is JSON-encoded (with content-type application/json unless
-- given); r.json is decoded with emu.json, so `[]` and `{}` stay distinct.
-- Returns nil, err when the connection closes without a response.

local socket = require "socket"

local emu_lua = "./emulator/lua/?.lua"
if not package.path:find(emu_lua, 1, true) then package.path = emu_lua .. ";" .. package.path end
local json = require "emu.json"

local _M = {}

_M.json = json
_M.timeout = 10

local function b64(s)
  local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  return ((s:gsub(".", function(x)
    local r, byte = "", x:byte()
    for i = 8, 1, -1 do r = r .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#s % 3 + 1])
end
_M.b64 = b64

-- base URL and credentials come from spec.support.emulator unless given
local function target(opts)
  local url = opts.url
  if not url then url = require("spec.support.emulator").url() end
  local host, port = url:match("^http://([^:/]+):(%d+)")
  return host, tonumber(port)
end

local function read_chunked(sock)
  local parts = {}
  while true do
    local line, err = sock:receive("*l")
    if not line then return nil, err end
    local size = tonumber(line:match("^%s*(%x+)"), 16)
    if not size then return nil, "bad chunk size" end
    if size == 0 then
      repeat line = sock:receive("*l") until not line or line == ""
      break
    end
    local data, e2 = sock:receive(size)
    if not data then return nil, e2 end
    parts[#parts + 1] = data
    sock:receive("*l")
  end
  return table.concat(parts)
end

function _M.request(opts)
  local host, port = target(opts)
  local method = opts.method or "GET"
  local headers = {}
  for k, v in pairs(opts.headers or {}) do headers[k:lower()] = v end
  local body = opts.body
  if type(body) == "table" then
    body = json.encode(body)
    if headers["content-type"] == nil then headers["content-type"] = "application/json" end
  end
  local auth = opts.auth or "none"
  if headers.authorization == nil then
    if auth == "basic" then
      headers.authorization = "Basic " .. b64((opts.user or "elastic") .. ":" .. (opts.password or "changeme"))
    elseif auth == "apikey" then
      headers.authorization = "ApiKey " .. (opts.api_key or require("spec.support.emulator").api_key())
    end
  end
  if headers.host == nil then headers.host = host .. ":" .. port end
  if body and headers["content-length"] == nil and headers["transfer-encoding"] == nil then
    headers["content-length"] = tostring(#body)
  end
  if headers.connection == nil then headers.connection = "close" end

  local lines = { method .. " " .. (opts.path or "/") .. " HTTP/1.1" }
  local names = {}
  for k in pairs(headers) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local v = headers[k]
    if v ~= false then lines[#lines + 1] = k .. ": " .. tostring(v) end
  end
  local raw = table.concat(lines, "\r\n") .. "\r\n\r\n" .. (body or "")

  local sock = socket.tcp()
  sock:settimeout(opts.timeout or _M.timeout)
  local ok, err = sock:connect(host, port)
  if not ok then return nil, "connect: " .. tostring(err) end
  local sent, serr = sock:send(raw)
  if not sent then sock:close(); return nil, "send: " .. tostring(serr) end

  local started = socket.gettime()
  local status_line, rerr = sock:receive("*l")
  if not status_line then sock:close(); return nil, "closed: " .. tostring(rerr) end
  local status = tonumber(status_line:match("^HTTP/%d%.%d (%d%d%d)"))
  local res = { status = status, status_line = status_line, headers = {} }
  while true do
    local line, herr = sock:receive("*l")
    if not line then sock:close(); return nil, "headers: " .. tostring(herr) end
    if line == "" then break end
    local k, v = line:match("^([^:]+):%s*(.-)%s*$")
    if k then
      k = k:lower()
      if res.headers[k] then res.headers[k] = res.headers[k] .. ", " .. v else res.headers[k] = v end
    end
  end
  local data
  if method == "HEAD" or status == 204 or status == 304 then
    data = ""
  elseif res.headers["transfer-encoding"] and res.headers["transfer-encoding"]:lower():find("chunked") then
    data, rerr = read_chunked(sock)
  elseif res.headers["content-length"] then
    local n = tonumber(res.headers["content-length"])
    data, rerr = n > 0 and sock:receive(n) or ""
  else
    data, rerr = sock:receive("*a")
  end
  sock:close()
  if data == nil then return nil, "body: " .. tostring(rerr) end
  res.body = data
  res.elapsed = socket.gettime() - started
  local ct = res.headers["content-type"] or ""
  if ct:find("json", 1, true) and data ~= "" then res.json = json.decode(data) end
  return res
end

-- shorthands (Basic elastic:changeme and kbn-xsrf unless opts say otherwise):
-- get(path, opts), post(path, body, opts), put(path, body, opts), delete(path, opts)
local function with(method, path, body, opts)
  opts = opts or {}
  opts.method, opts.path = method, path
  if opts.auth == nil then opts.auth = "basic" end
  if body ~= nil then opts.body = body end
  local h = {}
  for k, v in pairs(opts.headers or {}) do h[k:lower()] = v end
  if method ~= "GET" and h["kbn-xsrf"] == nil then h["kbn-xsrf"] = "spec" end
  opts.headers = h
  return _M.request(opts)
end
function _M.get(path, opts) return with("GET", path, nil, opts) end
function _M.post(path, body, opts) return with("POST", path, body, opts) end
function _M.put(path, body, opts) return with("PUT", path, body, opts) end
function _M.delete(path, opts) return with("DELETE", path, nil, opts) end

return _M
