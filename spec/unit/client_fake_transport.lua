-- A fake transport for the client's unit specs: records every request and
-- answers from canned responses. Not a spec file itself (no _spec suffix).
--
--   local fake = require "spec.unit.client_fake_transport"
--   local t = fake.new{ spaces = { "marketing" } }      -- spaces that "exist"
--   t:on("POST", "/api/actions/connector", { status = 200, body = { id = "c1" } })
--   local c = fake.client(t, { raise = false })
--   c.actions:create{ ... }
--   t.requests[1].method, .path, .query, .headers["kbn-xsrf"], .json
--
-- Responses: {status=, body= (table → JSON, string → as is), headers=},
-- a function(req) returning one, a list of them (consumed in order, the last
-- one repeats), or {fail = "connection", message = "..."} for a transport
-- failure. Unmatched requests: GET /api/spaces/space/<id> answers 200 when the
-- id is in `spaces`, 404 otherwise; anything else answers 200 {}.
-- `yield = true` makes request() call coroutine.yield("io") first, like a
-- non-blocking transport would.

local core = require "kibana.core"
local kibana = require "kibana"

local M = {}

local Fake = {}
Fake.__index = Fake

local function url_parts(url)
  local path, query = url:match("^https?://[^/]+([^?]*)%??(.*)$")
  return path, query
end

local function decode_query(q)
  local out = {}
  for pair in (q or ""):gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    v = v:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
    if out[k] == nil then
      out[k] = v
    elseif type(out[k]) == "table" then
      table.insert(out[k], v)
    else
      out[k] = { out[k], v }
    end
  end
  return out
end

function M.new(opts)
  opts = opts or {}
  local t = setmetatable({
    requests = {},
    sleeps = {},
    routes = {},
    spaces = {},
    yields = opts.yield,
  }, Fake)
  for _, id in ipairs(opts.spaces or {}) do
    t.spaces[id] = true
  end
  return t
end

-- t:on(method, path, response): `path` is the exact path (without query) or
-- a Lua pattern when it starts with '^'.
function Fake:on(method, path, response)
  table.insert(self.routes, 1, { method = method, path = path, response = response, used = 0 })
  return self
end

local function match(route, method, path)
  if route.method ~= method then
    return false
  end
  if route.path:sub(1, 1) == "^" then
    return path:find(route.path) ~= nil
  end
  return route.path == path
end

local function materialize(r, req)
  if type(r) == "function" then
    r = r(req)
  end
  if r.fail then
    return nil, r.fail, r.message or (r.fail .. " failure")
  end
  local body = r.body
  if type(body) == "table" then
    body = core.json_encode(body)
  end
  local headers = {}
  for k, v in pairs(r.headers or {}) do
    headers[k:lower()] = v
  end
  if body ~= nil and body ~= "" and headers["content-type"] == nil and type(r.body) == "table" then
    headers["content-type"] = "application/json; charset=utf-8"
  end
  return { status = r.status or 200, headers = headers, body = body or "", duration = 0.001 }
end

function Fake:request(method, url, headers, body)
  local path, query = url_parts(url)
  local hmap = {}
  for _, line in ipairs(headers) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    hmap[name:lower()] = value
  end
  local req = {
    method = method,
    url = url,
    path = path,
    query = query,
    params = decode_query(query),
    headers = hmap,
    header_list = headers,
    body = body,
  }
  if body and (hmap["content-type"] or ""):find("json") then
    req.json = core.json_decode(body)
  end
  self.requests[#self.requests + 1] = req
  if self.yields then
    coroutine.yield("io")
  end
  for _, route in ipairs(self.routes) do
    if match(route, method, path) then
      route.used = route.used + 1
      local r = route.response
      if type(r) == "table" and r[1] ~= nil then
        r = r[math.min(route.used, #r)]
      end
      return materialize(r, req)
    end
  end
  local sid = path:match("^.-/api/spaces/space/([^/]+)$")
  if method == "GET" and sid then
    if self.spaces[sid] then
      return materialize({ status = 200, body = { id = sid, name = sid, disabledFeatures = core.array({}) } }, req)
    end
    return materialize({ status = 404, body = { statusCode = 404, error = "Not Found", message = "Not Found" } }, req)
  end
  return materialize({ status = 200, body = {} }, req)
end

function Fake:sleep(s)
  self.sleeps[#self.sleeps + 1] = s
end

-- requests whose path matches a Lua pattern (and method, when given)
function Fake:find(pattern, method)
  local out = {}
  for _, r in ipairs(self.requests) do
    if r.path:find(pattern) and (method == nil or r.method == method) then
      out[#out + 1] = r
    end
  end
  return out
end

-- validation requests (GET /api/spaces/space/<id>) sent so far
function Fake:validations(id)
  local n = 0
  for _, r in ipairs(self.requests) do
    local sid = r.method == "GET" and r.path:match("^/api/spaces/space/([^/]+)$")
    if sid and (id == nil or sid == id) then
      n = n + 1
    end
  end
  return n
end

function Fake:last()
  return self.requests[#self.requests]
end

function Fake:reset()
  self.requests = {}
  self.sleeps = {}
end

M.URL = "http://kibana.test:5601"

function M.client(t, opts)
  opts = opts or {}
  opts.transport = t
  if opts.api_key == nil and opts.username == nil and opts.bearer == nil and not opts.no_auth then
    opts.api_key = "test-key"
  end
  opts.no_auth = nil
  return kibana.new(opts.url or M.URL, (function() opts.url = nil return opts end)())
end

-- Runs each function as a coroutine, round-robin, until all are done.
-- Returns the list of {ok, results...} per task.
function M.run_concurrently(fns)
  local cos, results, alive = {}, {}, #fns
  for i, f in ipairs(fns) do
    cos[i] = coroutine.create(function() return { pcall(f) } end)
  end
  while alive > 0 do
    for i, co in ipairs(cos) do
      if coroutine.status(co) ~= "dead" then
        local ok, res = coroutine.resume(co)
        assert(ok, res)
        if coroutine.status(co) == "dead" then
          results[i] = res
          alive = alive - 1
        end
      end
    end
  end
  return results
end

return M
