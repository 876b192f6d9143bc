-- emu/server.lua: the request entry point (content_by_lua) of the emulator.
--
-- Order of the checks follows hapi's request lifecycle as Kibana configures it
-- (BEHAVIOUR §1, §2): route lookup on the RAW path (404; a path parameter that
-- decodeURIComponent rejects is hapi's 400 Bad Request) -> authentication (401)
-- -> payload (413 / 415 / 400 bad JSON; GET and HEAD bodies are ignored) ->
-- kbn-xsrf and kbn-version (400) -> [--strict-spaces 404] -> route handler
-- (versioned-route header checks, validation, work). Fault rules run first for
-- /api requests. Every request outside /_emulator is appended to the request log.

local json = require "emu.json"
local http = require "emu.http"
local store = require "emu.store"
local auth = require "emu.auth"
local router = require "emu.router"
local faults = require "emu.faults"
local util = require "emu.util"
local config = require "emu.config"

local ngx = ngx
local ngx_var, ngx_req, ngx_header = ngx.var, ngx.req, ngx.header
local ngx_print, ngx_flush, ngx_sleep, ngx_exit, ngx_log, ERR =
      ngx.print, ngx.flush, ngx.sleep, ngx.exit, ngx.log, ngx.ERR
local get_headers, get_uri_args, decode_args = ngx_req.get_headers, ngx_req.get_uri_args, ngx.decode_args

local type, pairs, ipairs, pcall, xpcall, require, tonumber, tostring, error =
      type, pairs, ipairs, pcall, xpcall, require, tonumber, tostring, error
local find, sub, match, lower, floor = string.find, string.sub, string.match, string.lower, math.floor
local traceback, open = debug.traceback, io.open

local _M = {}

local API_VERSION = "2023-10-31"
local JSON_CT = "application/json; charset=utf-8"
local VERSION = config.VERSION
local WARNING = '299 Kibana-' .. VERSION .. ' "This endpoint is deprecated"'
local MALFORMED_BODY = '{"statusCode":200,"message":<html>this is not JSON'
-- mode "truncated": a JSON answer cut short, with HTTP framing that matches the cut
-- (as from a proxy that buffered and forwarded half an answer)
local TRUNCATED_BODY = '{"page":1,"per_page":20,"total":2,"saved_objects":[{"id":"a1","type":"dash'
-- mode "html": what a reverse proxy in front of Kibana answers when Kibana is down
local HTML_BODY = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
  .. "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

local NOT_FOUND_BODY = json.encode({ statusCode = 404, error = "Not Found", message = "Not Found" })
local BAD_REQUEST_BODY = json.encode({ statusCode = 400, error = "Bad Request", message = "Bad Request" })
local INTERNAL_BODY = json.encode({ statusCode = 500, error = "Internal Server Error",
                                    message = http.INTERNAL_ERROR_MESSAGE })

local API_ROUTE_MODULES = { "emu.routes.status", "emu.routes.spaces", "emu.routes.connectors" }
local OPTIONAL_ROUTE_MODULES = { "emu.routes.saved_objects" }

local api_router, control_router
local kbn_name = config.NAME

---------------------------------------------------------------------------
-- start-up
---------------------------------------------------------------------------

local function load_routes(r, name, optional)
  local ok, routes = pcall(require, name)
  if not ok then
    if optional and find(tostring(routes), "module '" .. name .. "' not found", 1, true) then
      return
    end
    if optional then
      ngx_log(ERR, "route module ", name, " failed to load: ", tostring(routes))
      return
    end
    error(routes, 0)
  end
  if type(routes) ~= "table" then
    ngx_log(ERR, "route module ", name, " did not return a list of routes")
    return
  end
  local added, err = pcall(r.add_all, r, routes)
  if not added then
    if optional then ngx_log(ERR, "route module ", name, ": ", tostring(err)) else error(err, 0) end
  end
end

function _M.build_routers()
  api_router = router.new()
  for _, name in ipairs(API_ROUTE_MODULES) do load_routes(api_router, name, false) end
  for _, name in ipairs(OPTIONAL_ROUTE_MODULES) do load_routes(api_router, name, true) end
  control_router = router.new()
  load_routes(control_router, "emu.routes.control", false)
end

-- init(settings_path): called from init_by_lua with <state dir>/config.lua
function _M.init(settings_path)
  local cfg = config.load(settings_path, ngx.encode_base64)
  cfg.uuid = util.uuid4()
  store.init(cfg)
  kbn_name = cfg.name
  _M.build_routers()
end

function _M.init_worker()
  math.randomseed(floor(ngx.now() * 1000) + ngx.worker.pid())
  store.config.uuid = store.config.uuid or util.uuid4()
end

---------------------------------------------------------------------------
-- responses
---------------------------------------------------------------------------

local function send(status, body, headers, slow_ms)
  ngx.status = status
  if headers then
    for k, v in pairs(headers) do ngx_header[k] = v end
  end
  if body and status ~= 204 and status ~= 304 then
    ngx_header["Content-Length"] = #body
    if slow_ms and #body > 1 then
      local half = floor(#body / 2)
      ngx_print(sub(body, 1, half))
      ngx_flush(true)
      ngx_sleep(slow_ms / 1000)
      ngx_print(sub(body, half + 1))
    else
      ngx_print(body)
    end
  end
end

-- finish(entry, status, body, headers, slow_ms): encode, log, send
local function finish(entry, status, body, headers, slow_ms)
  headers = headers or {}
  local out
  if type(body) == "table" then
    local ok, s = pcall(json.encode, body)
    if ok then
      out = s
      if not headers["content-type"] and not headers["Content-Type"] then
        headers["content-type"] = JSON_CT
      end
    else
      ngx_log(ERR, "cannot encode the response body: ", tostring(s))
      status, out = 500, INTERNAL_BODY
      headers["content-type"] = JSON_CT
    end
  elseif type(body) == "string" then
    out = body
    if not headers["content-type"] and not headers["Content-Type"] then
      headers["content-type"] = "text/plain; charset=utf-8"
    end
  end
  headers["kbn-name"] = kbn_name
  if entry then
    entry.status = status
    store.log_append(entry)
  end
  send(status, out, headers, slow_ms)
end
_M.finish = finish

local function finish_error(entry, status, message, attributes, headers, slow_ms)
  local _, body = http.error(status, message, attributes)
  return finish(entry, status, body, headers, slow_ms)
end

---------------------------------------------------------------------------
-- request pieces
---------------------------------------------------------------------------

local function first_value(v)
  if type(v) == "table" then return v[1] end
  return v
end

-- header_value(v): a repeated header as Node gives it to Kibana: the values of
-- most headers joined with ", " (content-type, authorization, ...: the first one)
local function header_value(v)
  if type(v) == "table" then return table.concat(v, ", ") end
  return v
end

-- query_args(qs): the query as Node's URLSearchParams gives it to hapi: every
-- value a string (a bare `?x` is ""), repeated keys as arrays, invalid UTF-8
-- replaced by U+FFFD, no limit on the number of arguments
local function query_args(qs)
  if qs == nil or qs == "" then return {} end
  local args = get_uri_args(0)
  for k, v in pairs(args) do
    if v == true then
      args[k] = ""
    elseif type(v) == "table" then
      for i, x in ipairs(v) do
        if x == true then v[i] = "" elseif find(x, "[\128-\255]") then v[i] = util.utf8_sanitize(x) end
      end
    elseif find(v, "[\128-\255]") then
      args[k] = util.utf8_sanitize(v)
    end
  end
  return args
end

local function read_body_file(path)
  local f = open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

-- read_body(headers, max) -> body_raw | nil, status, message
local function read_body(headers, max)
  local cl = tonumber(first_value(headers["content-length"]))
  if cl and cl > max then
    return nil, 413, "Payload content length greater than maximum allowed: " .. max
  end
  if (cl == nil or cl == 0) and headers["transfer-encoding"] == nil then return nil end
  ngx_req.read_body()
  local data = ngx_req.get_body_data()
  if not data then
    local file = ngx_req.get_body_file()
    if file then data = read_body_file(file) end
  end
  if data and #data > max then
    return nil, 413, "Payload content length greater than maximum allowed: " .. max
  end
  if data == "" then return nil end
  return data
end

local function is_json_mime(mime)
  return mime == "application/json" or (find(mime, "^application/[^/]+%+json$") ~= nil)
end

-- has_proto_key(v): a "__proto__" key anywhere (hapi parses JSON with
-- @hapi/bourne, protoAction 'error': such a payload is a 400)
local function has_proto_key(v, depth)
  if type(v) ~= "table" or depth > 1100 then return false end
  for k, x in pairs(v) do
    if k == "__proto__" then return true end
    if type(x) == "table" and has_proto_key(x, depth + 1) then return true end
  end
  return false
end

-- form_args(raw) -> the x-www-form-urlencoded body as Node's querystring.parse gives it
local function form_args(raw)
  local args = decode_args(raw, 0)
  for k, v in pairs(args) do
    if v == true then args[k] = "" elseif type(v) == "table" then
      for i, x in ipairs(v) do if x == true then v[i] = "" end end
    end
  end
  return args
end

-- parse_body(headers, raw) -> body | nil, status, message
-- As @hapi/subtext does: JSON (no content type, application/json, +json) is
-- parsed (the bytes read as UTF-8 by Node: ill-formed sequences become U+FFFD);
-- text/* stays a string (config-schema then parses JSON text for object and
-- array schemas); x-www-form-urlencoded becomes an object; multipart is left to
-- the route; anything else is 415.
local function parse_body(headers, raw)
  local ct = first_value(headers["content-type"])
  local mime = ct and lower(match(ct, "^%s*([^;%s]*)") or "") or nil
  if mime == nil or mime == "" or is_json_mime(mime) then
    local text = util.utf8_sanitize(raw)
    local v = json.decode(text)
    if v == nil then return nil, 400, "Invalid request payload JSON format" end
    if find(text, "proto", 1, true) or find(text, "\\u", 1, true) then
      if has_proto_key(v, 0) then return nil, 400, "Invalid request payload JSON format" end
    end
    return v
  end
  if mime == "multipart/form-data" then return nil end
  if find(mime, "^text/.") then return util.utf8_sanitize(raw) end
  if mime == "application/x-www-form-urlencoded" then return form_args(raw) end
  return nil, 415, "Unsupported Media Type"
end

-- empty_body(headers): what subtext makes of an empty payload: null for JSON (and
-- no content type), "" for text/*, {} for a form
local function empty_body(headers)
  local ct = first_value(headers["content-type"])
  local mime = ct and lower(match(ct, "^%s*([^;%s]*)") or "") or ""
  if find(mime, "^text/.") then return "" end
  if mime == "application/x-www-form-urlencoded" then return {} end
  return nil
end

local function valid_date(v)
  local y, m, d = match(v, "^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y then return false end
  m, d = tonumber(m), tonumber(d)
  return m >= 1 and m <= 12 and d >= 1 and d <= 31
end

-- check_version(route, headers, query) -> nil | message  (versioned routes, BEHAVIOUR §2.2)
local function check_version(route, headers, query)
  if query.apiVersion ~= nil then
    return 'Use of query parameter "apiVersion" is not allowed. Please specify the API version ' ..
           'using the "elastic-api-version" header.'
  end
  local v = header_value(headers["elastic-api-version"])
  if v == nil then return nil end
  if not valid_date(v) then
    return 'Invalid version. Received "' .. v .. '", expected a valid date string formatted as YYYY-MM-DD.'
  end
  if v ~= API_VERSION then
    return 'No version "' .. v .. '" available for [' .. lower(route.method) .. '] [' ..
           route.template .. ']. Available versions are: [' .. API_VERSION .. ']'
  end
  return nil
end

local function run_handler(route, req)
  local ok, status, body, headers = xpcall(route.handler, traceback, req)
  if not ok then
    ngx_log(ERR, "handler ", route.method, " ", route.template, " failed: ", tostring(status))
    return 500, INTERNAL_BODY, { ["content-type"] = JSON_CT }
  end
  if type(status) ~= "number" then
    ngx_log(ERR, "handler ", route.method, " ", route.template, " returned no status")
    return 500, INTERNAL_BODY, { ["content-type"] = JSON_CT }
  end
  return status, body, headers
end

---------------------------------------------------------------------------
-- /_emulator (control API: no auth, no log, no faults)
---------------------------------------------------------------------------

local function handle_control(method, segs, qs, headers)
  local mm = method == "HEAD" and "GET" or method
  local route, params = control_router:match(mm, segs, 1, #segs)
  if not route then return finish(nil, 404, NOT_FOUND_BODY, { ["content-type"] = JSON_CT }) end
  local body_raw, body
  if method ~= "GET" and method ~= "HEAD" then
    local st, msg
    body_raw, st, msg = read_body(headers, store.config.max_payload or 1048576)
    if st then return finish_error(nil, st, msg) end
    if body_raw then
      body, st, msg = parse_body(headers, body_raw)
      if st then return finish_error(nil, st, msg) end
    end
  end
  local req = {
    method = method, space = "default", params = params, headers = headers,
    query = query_args(qs),
    body_raw = body_raw, body = body,
  }
  local status, rbody, rheaders = run_handler(route, req)
  local h = {}
  if rheaders then
    for k, v in pairs(rheaders) do h[k] = v end
  end
  return finish(nil, status, rbody, h)
end

---------------------------------------------------------------------------
-- /api and everything else
---------------------------------------------------------------------------

local function apply_fault(fault, entry)
  if fault.latency_ms and fault.mode ~= "slow_body" then ngx_sleep(fault.latency_ms / 1000) end
  entry.fault = fault.mode or "status"
  if fault.mode == "drop" then
    entry.status = 444
    store.log_append(entry)
    return ngx_exit(444)
  end
  local slow = fault.mode == "slow_body" and (fault.latency_ms or 1000) or nil
  if fault.status then
    local h = {}
    if fault.retry_after then h["retry-after"] = fault.retry_after end
    finish_error(entry, fault.status, nil, nil, h, slow)
    return true
  end
  if fault.mode == "malformed" then
    finish(entry, 200, MALFORMED_BODY, { ["content-type"] = JSON_CT })
    return true
  end
  if fault.mode == "truncated" then
    finish(entry, 200, TRUNCATED_BODY, { ["content-type"] = JSON_CT })
    return true
  end
  if fault.mode == "html" then
    finish(entry, 502, HTML_BODY, { ["content-type"] = "text/html" })
    return true
  end
  if fault.mode == "empty" then
    finish(entry, 200, "", { ["content-type"] = JSON_CT })
    return true
  end
  if fault.mode == "cut" then
    -- announce a longer body than is sent, then close the connection
    entry.status = 200
    store.log_append(entry)
    ngx.status = 200
    ngx.header["content-type"] = JSON_CT
    ngx.header["content-length"] = #TRUNCATED_BODY * 2
    ngx.print(TRUNCATED_BODY)
    ngx.flush(true)
    return ngx_exit(444)
  end
  if slow then return false, slow end
  entry.fault = "latency"
  return false
end

local function handle_api(method, path, qs, raw, segs, headers, bad)
  local entry = { method = method, path = path, query = qs or "", headers = headers, space = "default" }
  local n = #segs
  local first = 1
  local space = "default"
  if raw[1] == "s" and n >= 2 and find(raw[2], "^[a-z0-9_%-]+$") then
    space = raw[2]
    first = 3
  end
  entry.space = space
  if n > first and segs[n] == "" then n = n - 1 end      -- hapi: stripTrailingSlash

  local slow
  if segs[first] == "api" and store.faults[1] then
    local fault = faults.pick(path)
    if fault then
      local done
      done, slow = apply_fault(fault, entry)
      if done then return end
    end
  end

  local route, params = api_router:match(method == "HEAD" and "GET" or method, segs, first, n)
  if not route then return finish(entry, 404, NOT_FOUND_BODY, { ["content-type"] = JSON_CT }, slow) end
  if bad then
    -- a parameter decodeURIComponent rejects: hapi's router answers its special
    -- badRequest route (no auth), @hapi/call lib/index.js _lookup/internals.decode
    for i = first, n do
      if bad[i] then return finish(entry, 400, BAD_REQUEST_BODY, { ["content-type"] = JSON_CT }, slow) end
    end
  end

  local authorization = headers.authorization
  local user, st, msg = auth.authenticate(authorization)
  if not user and not (route.auth == "optional" and authorization == nil) then
    return finish_error(entry, st, msg, nil, nil, slow)
  end

  local body_raw, body
  if method ~= "GET" and method ~= "HEAD" then
    body_raw, st, msg = read_body(headers, route.max_body or store.config.max_payload or 1048576)
    if st then return finish_error(entry, st, msg, nil, nil, slow) end
    if body_raw then
      body, st, msg = parse_body(headers, body_raw)
      if st then return finish_error(entry, st, msg, nil, nil, slow) end
    else
      body = empty_body(headers)
    end
    if method ~= "OPTIONS" and headers["kbn-xsrf"] == nil and headers["kbn-version"] == nil then
      return finish_error(entry, 400, "Request must contain a kbn-xsrf header.", nil, nil, slow)
    end
  end
  local kv = header_value(headers["kbn-version"])
  if kv and kv ~= VERSION then
    return finish_error(entry, 400, 'Browser client is out of date, please refresh the page ("kbn-version" header was "' ..
      kv .. '" but should be "' .. VERSION .. '")', { expected = VERSION, got = kv }, nil, slow)
  end
  if store.config.strict_spaces and space ~= "default" and not store.spaces[space] then
    return finish(entry, 404, NOT_FOUND_BODY, { ["content-type"] = JSON_CT }, slow)
  end

  -- the route handler stage: public routes carry elastic-api-version from here on
  local rh = { ["elastic-api-version"] = API_VERSION }
  if route.deprecated then rh.warning = WARNING end
  local query = query_args(qs)
  if route.versioned then
    local vmsg = check_version(route, headers, query)
    if vmsg then return finish_error(entry, 400, vmsg, nil, rh, slow) end
  end
  local req = {
    method = method, space = space, params = params, headers = headers,
    query = query,
    body_raw = body_raw, body = body, user = user, path = path,
  }
  local status, rbody, rheaders = run_handler(route, req)
  if rheaders then
    for k, v in pairs(rheaders) do rh[k] = v end
  end
  return finish(entry, status, rbody, rh, slow)
end

local function split_uri(uri)
  uri = uri or ngx_var.request_uri or "/"
  local q = find(uri, "?", 1, true)
  local path, qs = uri, nil
  if q then path, qs = sub(uri, 1, q - 1), sub(uri, q + 1) end
  -- absolute-form request target: keep only the path
  if sub(path, 1, 1) ~= "/" then
    local p = match(path, "^[%a][%w+.-]*://[^/]*(/.*)$")
    path = p or ("/" .. path)
  end
  return path, qs
end

-- split paths are cached (tests and benchmarks repeat them); callers never
-- modify the segment lists
local split_cache, split_count = {}, 0
local function split_path(path)
  local hit = split_cache[path]
  if hit then return hit[1], hit[2], hit[3] end
  local raw, segs, bad = util.split_path(path)
  if #path <= 2048 then
    if split_count >= 4096 then split_cache, split_count = {}, 0 end
    split_cache[path] = { raw, segs, bad }
    split_count = split_count + 1
  end
  return raw, segs, bad
end

local function handle()
  local method = ngx_req.get_method()
  local path, qs = split_uri()
  local raw, segs, bad = split_path(path)
  local headers = get_headers(0)
  if raw[1] == "_emulator" then return handle_control(method, segs, qs, headers) end
  return handle_api(method, path, qs, raw, segs, headers, bad)
end

-- handle(): content_by_lua entry; never lets an error escape as nginx's 500 page
function _M.handle()
  local ok, err = xpcall(handle, traceback)
  if not ok then
    ngx_log(ERR, "request failed: ", tostring(err))
    if not ngx.headers_sent then
      send(500, INTERNAL_BODY, { ["content-type"] = JSON_CT, ["kbn-name"] = kbn_name })
    end
  end
end

---------------------------------------------------------------------------
-- errors nginx raises itself (error_page): oversized bodies, bad requests
---------------------------------------------------------------------------

local NGINX_ERRORS = {
  [400] = "Bad Request",
  [404] = "Not Found",
  [414] = "URI Too Long",
  [494] = "Request Header Fields Too Large",
}

-- a '%' without two hex digits after it: nginx refuses such a URI (400)
local function has_bad_escape(path)
  return find((path:gsub("%%%x%x", "")), "%", 1, true) ~= nil
end

local function handle_nginx_error(code)
  -- error_page turned the method into GET; the request line still has it
  local line = ngx_var.request or ""
  local method = match(line, "^(%u+) ") or ngx_req.get_method()
  local uri = ngx_var.request_uri
  if uri == nil or uri == "" then uri = match(line, "^%u+ (%S+)") or "/" end
  local path, qs = split_uri(uri)
  local raw, segs = util.split_path(path)
  local ok, headers = pcall(get_headers, 0)
  if not ok then headers = {} end
  local entry
  if raw[1] ~= "_emulator" then
    entry = { method = method, path = path, query = qs or "", headers = headers,
              space = "default" }
    if raw[1] == "s" and raw[2] and find(raw[2], "^[a-z0-9_%-]+$") then entry.space = raw[2] end
  end
  local first = (raw[1] == "s" and raw[2] and find(raw[2], "^[a-z0-9_%-]+$")) and 3 or 1
  local last = #segs
  if last > first and segs[last] == "" then last = last - 1 end
  local function route_of()
    local router = raw[1] == "_emulator" and control_router or api_router
    if raw[1] == "_emulator" then first = 1 end
    return router and router:match(method == "HEAD" and "GET" or method, segs, first, last)
  end
  if code == 413 then
    -- a body over nginx's cap. hapi looks the route up (404) and authenticates
    -- (401) before it reads a payload, and never reads one for GET/HEAD
    if method == "GET" or method == "HEAD" then return handle() end
    local route = route_of()
    if not route then return finish(entry, 404, NOT_FOUND_BODY, { ["content-type"] = JSON_CT }) end
    if entry and not (route.auth == "optional" and headers.authorization == nil) then
      local user, st, msg = auth.authenticate(headers.authorization)
      if not user then return finish_error(entry, st, msg) end
    end
    local max = store.config.max_payload or 1048576
    if route.max_body then max = route.max_body end
    return finish_error(entry, 413, "Payload content length greater than maximum allowed: " .. max)
  end
  if code == 405 then
    -- methods nginx refuses itself (TRACE): hapi has no route for them
    return finish(entry, 404, NOT_FOUND_BODY, { ["content-type"] = JSON_CT })
  end
  if code == 400 and match(line, "^%u+ %S+ HTTP/%d%.%d$") and has_bad_escape(path) then
    -- a bad %-escape: a literal segment then matches no route (404); a path
    -- parameter that decodeURIComponent rejects is hapi's 400 Bad Request
    if not route_of() then return finish(entry, 404, NOT_FOUND_BODY, { ["content-type"] = JSON_CT }) end
  end
  local status = code == 494 and 431 or code
  return finish_error(entry, status, NGINX_ERRORS[code] or http.reason(status))
end

function _M.handle_error(code)
  local ok, err = xpcall(handle_nginx_error, traceback, code)
  if not ok then
    ngx_log(ERR, "error page failed: ", tostring(err))
    if not ngx.headers_sent then
      send(500, INTERNAL_BODY, { ["content-type"] = JSON_CT, ["kbn-name"] = kbn_name })
    end
  end
end

return _M
