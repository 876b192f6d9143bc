-- kibana.client: the client object, space scoping and the ONE generic
-- function that executes any endpoint table (lua/kibana/api/*.lua).
--
-- A root client (kibana.new) owns the shared state: options, transport (the
-- connection), the space validator (cache + in-flight lookups). client:space(id)
-- returns a scoped client that shares all of it and carries its space id.
--
-- Flow of one call (Client:_call):
--   1. collect the arguments into named parameters (misuse raises)
--   2. resolve the space: scoped client / space_id / default; check the id
--      with core.valid_space_id (InvalidSpaceIdError, no I/O)
--   3. build the request description (endpoint.build: path via core.build_path,
--      query via core.encode_query, JSON or multipart body)
--   4. validate that the space exists (space_validator, cached), and so the
--      spaces the call writes into (copy destinations, initialNamespaces)
--   5. send with retries (send), interpret the answer (interpret)
--   6. invalidate the space cache entry if the endpoint says so, whatever
--      the outcome
-- Success returns body, nil, meta. Failure raises the error object
-- (error(err, 0)) or, with raise = false, returns nil, err, meta.

local core = require "kibana.core"
local errors = require "kibana.errors"
local endpoint = require "kibana.endpoint"
local space_validator = require "kibana.space_validator"

local setmetatable = setmetatable
local getmetatable = getmetatable
local type = type
local pairs = pairs
local ipairs = ipairs
local tostring = tostring
local tonumber = tonumber
local error = error
local require = require
local pcall = pcall
local rawget = rawget
local _G = _G
local _VERSION = _VERSION
local table_sort = table.sort
local os = os -- os.getenv is looked up at call time (specs may stub it)
local os_time = os.time
local string_format = string.format
local string_byte = string.byte
local string_sub = string.sub
local table_concat = table.concat
local math_floor = math.floor
local coroutine_yield = coroutine.yield
local coroutine_isyieldable = coroutine.isyieldable

local _M = {}

local misuse = errors.misuse

local APIS = {
  actions = require "kibana.api.actions",
  saved_objects = require "kibana.api.saved_objects",
  spaces = require "kibana.api.spaces",
}
local STATUS_API = require "kibana.api.status"

_M.VERSION = core.version or "0.1.0"

local DEFAULTS = {
  timeout = 30,
  connect_timeout = 10,
  retries = 2,
  retry_base = 0.5,       -- first backoff delay, doubled per attempt
  retry_max_delay = 8,    -- cap of the computed backoff
  max_retry_after = 60,   -- a Retry-After longer than this is not waited for
  verify = true,
  space_cache_ttl = 300,
  space_missing_ttl = 0,  -- "missing" answers are not cached by default
  validate_spaces = true,
  raise = true,
}

-- name -> expected Lua type(s)
local OPTIONS = {
  url = "string",
  api_key = "string|table",
  username = "string",
  password = "string",
  bearer = "string",
  headers = "table",
  timeout = "number",
  connect_timeout = "number",
  retries = "number",
  retry_base = "number",
  retry_max_delay = "number",
  max_retry_after = "number",
  verify = "boolean",
  ca_file = "string",
  client_cert = "string",
  client_key = "string",
  proxy = "string",
  base_path = "string",
  space_cache_ttl = "number",
  space_missing_ttl = "number",
  validate_spaces = "boolean",
  raise = "boolean",
  user_agent = "string",
  opaque_id = "string",
  transport = "table|userdata",
  sleep = "function",
}

-- Numeric options: numbers from 0 to this limit (NaN is refused). The TTLs
-- may be math.huge (cache for good); timeouts are libcurl's milliseconds.
local NUMBER_LIMITS = {
  timeout = 2e6,
  connect_timeout = 2e6,
  retries = 1e6,
  retry_base = 1e9,
  retry_max_delay = 1e9,
  max_retry_after = 1e9,
  space_cache_ttl = math.huge,
  space_missing_ttl = math.huge,
}

---------------------------------------------------------------------------
-- small helpers

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = string_byte(s, i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math_floor(n / 262144) % 64
    local c2 = math_floor(n / 4096) % 64
    local c3 = math_floor(n / 64) % 64
    local c4 = n % 64
    out[#out + 1] = string_sub(B64, c1 + 1, c1 + 1) .. string_sub(B64, c2 + 1, c2 + 1)
      .. (b and string_sub(B64, c3 + 1, c3 + 1) or "=")
      .. (c and string_sub(B64, c4 + 1, c4 + 1) or "=")
  end
  return table_concat(out)
end
_M.base64 = base64

local function type_matches(v, spec)
  local tv = type(v)
  for t in spec:gmatch("[^|]+") do
    if t == tv then
      return true
    end
  end
  return false
end

local function check_header_value(name, value)
  if type(value) ~= "string" and type(value) ~= "number" then
    misuse(string_format("kibana.new: header '%s' must be a string, got %s", tostring(name), type(value)), "headers")
  end
  value = tostring(value)
  if value:find("[\r\n]") or tostring(name):find("[\r\n:]") then
    misuse(string_format("kibana.new: header '%s' contains a line break or a colon in its name", tostring(name)), "headers")
  end
  return value
end

-- First 200 characters of a body, tags and control characters removed.
local function snippet(body)
  local s = tostring(body or "")
  s = s:gsub("<[^>]*>", " "):gsub("[%c]", " "):gsub("%s+", " ")
  s = s:gsub("^ ", ""):gsub(" $", "")
  if #s > 200 then
    s = s:sub(1, 200) .. "..."
  end
  if s == "" then
    s = "(empty)"
  end
  return s
end

local REASONS = {
  [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found",
  [405] = "Method Not Allowed", [409] = "Conflict", [413] = "Payload Too Large",
  [415] = "Unsupported Media Type", [429] = "Too Many Requests", [500] = "Internal Server Error",
  [502] = "Bad Gateway", [503] = "Service Unavailable", [504] = "Gateway Timeout",
}

local function is_default(space)
  return space == nil or space == "default"
end

local function space_suffix(space)
  return " (space '" .. tostring(space) .. "')"
end

---------------------------------------------------------------------------
-- options

-- A credential goes into the Authorization header as it is: a line break
-- (a key read from a file with its newline) or any other control character
-- would make every request fail, so it is refused here, naming its source.
local function check_credential(value, name, source)
  if value:find("%c") then
    misuse(string_format("kibana.new: %s contains a line break or another control character%s",
      source or name, source and (" (used as " .. name .. ")") or ""), name)
  end
  return value
end

local function auth_header(opts, sources)
  local methods = {}
  if opts.api_key ~= nil then methods[#methods + 1] = "api_key" end
  if opts.username ~= nil or opts.password ~= nil then methods[#methods + 1] = "username+password" end
  if opts.bearer ~= nil then methods[#methods + 1] = "bearer" end
  if #methods > 1 then
    misuse("kibana.new: give exactly one authentication method, got " .. table_concat(methods, " and "), methods[2])
  end
  if opts.api_key ~= nil then
    local key = opts.api_key
    if type(key) == "table" then
      if type(key.id) ~= "string" or type(key.api_key) ~= "string" or key.id == "" or key.api_key == "" then
        misuse("kibana.new: api_key as a table must be {id = <string>, api_key = <string>}", "api_key")
      end
      return "ApiKey " .. base64(key.id .. ":" .. key.api_key)
    end
    if key == "" then
      misuse("kibana.new: api_key must not be empty", "api_key")
    end
    return "ApiKey " .. check_credential(key, "api_key", sources.api_key)
  end
  if opts.username ~= nil or opts.password ~= nil then
    if type(opts.username) ~= "string" or type(opts.password) ~= "string" then
      misuse("kibana.new: username and password go together (both strings)",
        opts.username == nil and "username" or "password")
    end
    return "Basic " .. base64(opts.username .. ":" .. opts.password)
  end
  if opts.bearer ~= nil then
    if opts.bearer == "" then
      misuse("kibana.new: bearer must not be empty", "bearer")
    end
    return "Bearer " .. check_credential(opts.bearer, "bearer")
  end
  return nil
end

-- The URL with the password of its userinfo (http://user:password@host)
-- replaced by ***, for messages and tostring.
local function redact(url)
  return (url:gsub("^(%a+://)([^/?#@]*)@", function(scheme, userinfo)
    local user, password = userinfo:match("^([^:]*):(.*)$")
    if password then
      return scheme .. user .. ":***@"
    end
    return scheme .. userinfo .. "@"
  end))
end

local function normalize_path(p)
  if p == nil or p == "" or p == "/" then
    return ""
  end
  if p:sub(1, 1) ~= "/" then
    p = "/" .. p
  end
  return (p:gsub("/+$", ""))
end

local function default_user_agent()
  local jit = rawget(_G, "jit")
  local runtime = (type(jit) == "table" and jit.version) or _VERSION or "Lua"
  return string_format("lua-kibana/%s (%s)", _M.VERSION, runtime)
end

local function default_pause(transport)
  if transport.yield then
    return function() transport:yield() end
  end
  if coroutine_isyieldable and coroutine_isyieldable() then
    return function() coroutine_yield() end
  end
  return nil
end

---------------------------------------------------------------------------
-- the client object

local Client = {}
Client.__index = Client

-- Namespace metatables, one per API module; a namespace object is
-- {_client = client, _space_id = client's space, _name = "actions"}.
local namespace_mts = {}

local function namespace_mt(api)
  local mt = namespace_mts[api]
  if mt then
    return mt
  end
  mt = {}
  local methods = {}
  for name, ep in pairs(api.endpoints) do
    local label = api.name .. ":" .. name
    endpoint.compile(ep, label)
    methods[name] = function(self, ...)
      if getmetatable(self) ~= mt then
        misuse(string_format("%s must be called with a colon: client.%s:%s{...} (got %s as self)",
          label, api.name, name, type(self)))
      end
      return self._client:_call(label, ep, ...)
    end
  end
  for name, helper in pairs(api.helpers or {}) do
    local label = api.name .. ":" .. name
    methods[name] = function(self, ...)
      if getmetatable(self) ~= mt then
        misuse(string_format("%s must be called with a colon: client.%s:%s{...} (got %s as self)",
          label, api.name, name, type(self)))
      end
      return helper(self, ...)
    end
  end
  mt.__index = function(_, key)
    local m = methods[key]
    if m == nil and type(key) == "string" and key:sub(1, 1) ~= "_" then
      misuse(string_format("%s has no method '%s'", api.name, key), key)
    end
    return m
  end
  mt.__tostring = function(self)
    return string_format("kibana %s API%s", api.name, self._space_id and (" (space '" .. self._space_id .. "')") or "")
  end
  namespace_mts[api] = mt
  return mt
end

local function new_client(shared, space, validate)
  local c = setmetatable({
    _shared = shared,
    _space = space,
    _validate = validate,
    space_id = space,
  }, Client)
  for key, api in pairs(APIS) do
    c[key] = setmetatable({ _client = c, _space_id = space, _name = api.name }, namespace_mt(api))
  end
  return c
end

local function check_self(self, what)
  if getmetatable(self) ~= Client then
    misuse(string_format("%s must be called with a colon: client:%s(...)", what, what))
  end
end

-- Using a client after client:close() is a programming error: it always
-- raises, whatever `raise` says, and nothing is sent.
local function check_open(shared, label)
  if shared.closed then
    misuse(label .. ": the client is closed (client:close() was called)")
  end
end

-- kibana.new(url, opts) / kibana.new(opts) / kibana.new()
function _M.new(url, opts)
  if type(url) == "table" and opts == nil then
    opts, url = url, url.url
  end
  if opts == nil then
    opts = {}
  end
  if type(opts) ~= "table" then
    misuse("kibana.new(url, opts): opts must be a table, got " .. type(opts), "opts")
  end
  for k, v in pairs(opts) do
    local spec = OPTIONS[k]
    if spec == nil then
      misuse(string_format("unknown option '%s' for kibana.new", tostring(k)), tostring(k))
    end
    if not type_matches(v, spec) then
      misuse(string_format("kibana.new: option '%s' must be a %s, got %s", k, spec:gsub("|", " or "), type(v)), k)
    end
    local limit = NUMBER_LIMITS[k]
    if limit and not (v >= 0 and v <= limit) then
      misuse(string_format("kibana.new: option '%s' must be a number from 0 to %s, got %s", k,
        limit == math.huge and "math.huge" or string_format("%.0f", limit), tostring(v)), k)
    end
  end
  local o = {}
  for k, v in pairs(DEFAULTS) do o[k] = v end
  for k, v in pairs(opts) do o[k] = v end

  -- environment, read at call time
  local sources = {}
  if url == nil then
    sources.url = "KIBANA_URL"
    url = os.getenv("KIBANA_URL")
    if url == nil or url == "" then
      misuse("kibana.new: no URL given and KIBANA_URL is not set", "url")
    end
  end
  if type(url) ~= "string" then
    misuse("kibana.new: url must be a string, got " .. type(url), "url")
  end
  if o.api_key == nil and o.username == nil and o.password == nil and o.bearer == nil then
    local key = os.getenv("KIBANA_API_KEY")
    local user, pass = os.getenv("KIBANA_USERNAME"), os.getenv("KIBANA_PASSWORD")
    if key and key ~= "" then
      o.api_key = key
      sources.api_key = "KIBANA_API_KEY"
    elseif user and user ~= "" then
      o.username, o.password = user, pass or ""
    end
  end

  local origin, upath = url:match("^(https?://[^/?#]+)([^?#]*)$")
  if not origin then
    misuse(string_format("kibana.new: %s must look like http(s)://host[:port][/path], got %q",
      sources.url or "url", redact(url)), "url")
  end
  -- libcurl refuses such URLs at every request; say so now, naming the source
  if url:find("[%s%c]") then
    misuse(string_format("kibana.new: %s must not contain spaces or control characters "
      .. "(percent-encode them: %%20), got %q", sources.url or "url", redact(url)), "url")
  end
  if o.base_path and o.base_path:find("[%s%c]") then
    misuse(string_format("kibana.new: base_path must not contain spaces or control characters "
      .. "(percent-encode them: %%20), got %q", o.base_path), "base_path")
  end

  local headers = {}
  local seen = {}
  local function add(name, value)
    local lname = name:lower()
    if not seen[lname] then
      seen[lname] = true
      headers[#headers + 1] = name .. ": " .. value
    end
  end
  -- the caller's headers win over ours
  if o.headers then
    local names = {}
    for name in pairs(o.headers) do names[#names + 1] = tostring(name) end
    table_sort(names)
    for _, name in ipairs(names) do
      add(name, check_header_value(name, o.headers[name]))
    end
  end
  local auth = auth_header(o, sources)
  if auth then add("Authorization", auth) end
  o.user_agent = o.user_agent or default_user_agent()
  add("Accept", "application/json")
  add("User-Agent", check_header_value("User-Agent", o.user_agent))
  if o.opaque_id then add("x-opaque-id", check_header_value("x-opaque-id", o.opaque_id)) end

  local transport = o.transport
  local owns_transport = false
  if transport == nil then
    transport = require("kibana.transport.curl").new(o)
    owns_transport = true
  elseif type(transport.request) ~= "function" then
    misuse("kibana.new: transport must have a request(method, url, headers, body) method", "transport")
  end

  local shared = {
    opts = o,
    origin = origin,
    base_path = normalize_path(upath) .. normalize_path(o.base_path),
    headers = headers,
    has_xsrf = seen["kbn-xsrf"],
    transport = transport,
    owns_transport = owns_transport,
    raise = o.raise,
    validate_spaces = o.validate_spaces,
    validator = space_validator.new({ ttl = o.space_cache_ttl, missing_ttl = o.space_missing_ttl }),
  }
  if o.sleep then
    shared.sleep = o.sleep
  elseif transport.sleep then
    shared.sleep = function(s) return transport:sleep(s) end
  else
    shared.sleep = require("kibana.transport.curl").sleep
  end
  return new_client(shared, nil, true)
end

---------------------------------------------------------------------------
-- sending and interpreting

local IDEMPOTENT = { GET = true, HEAD = true, PUT = true, DELETE = true, OPTIONS = true }
local RETRY_STATUS = { [429] = true, [502] = true, [503] = true, [504] = true }
local TRANSPORT_CLASS = {
  connection = errors.ConnectionError,
  timeout = errors.TimeoutError,
  tls = errors.TLSError,
}

local function header_of(resp, name)
  local h = resp and resp.headers
  if type(h) ~= "table" then
    return nil
  end
  return h[name]
end

-- Sends req with retries. Returns resp (any HTTP answer, also 4xx/5xx) or
-- nil, err (a TransportError); plus attempts and duration.
local function send(shared, req)
  local o = shared.opts
  local url = shared.origin .. req.path
  if req.query and req.query ~= "" then
    url = url .. "?" .. req.query
  end
  local headers = {}
  for i = 1, #shared.headers do headers[i] = shared.headers[i] end
  if req.method ~= "GET" and req.method ~= "HEAD" and not shared.has_xsrf then
    headers[#headers + 1] = "kbn-xsrf: true"
  end
  if req.content_type then
    headers[#headers + 1] = "Content-Type: " .. req.content_type
  end
  local idempotent = IDEMPOTENT[req.method]
  local start = core.monotonic()
  local attempt = 0
  while true do
    attempt = attempt + 1
    local resp, kind, msg = shared.transport:request(req.method, url, headers, req.body)
    local delay
    if resp == nil then
      if idempotent and (kind == "connection" or kind == "timeout") and attempt <= o.retries then
        delay = core.backoff(attempt, o.retry_base, o.retry_max_delay, 0.5)
      else
        local cls = TRANSPORT_CLASS[kind] or errors.TransportError
        return nil, cls({
          message = string_format("%s (%s %s)", tostring(msg or kind or "transport failure"), req.method, req.path),
          kind = kind,
        }), attempt, core.monotonic() - start
      end
    else
      local status = tonumber(resp.status)
      if RETRY_STATUS[status] and attempt <= o.retries then
        local ra_header = header_of(resp, "retry-after")
        local ra = ra_header and core.retry_after(ra_header, os_time()) or nil
        if idempotent or (status == 429 and ra) then
          if ra then
            if ra <= o.max_retry_after then
              delay = ra
            end
          else
            delay = core.backoff(attempt, o.retry_base, o.retry_max_delay, 0.5)
          end
        end
      end
      if not delay then
        return resp, nil, attempt, core.monotonic() - start
      end
    end
    shared.sleep(delay)
  end
end

-- Turns an HTTP answer into body or error. ctx: {ep, label, space, names_space}
local function interpret(resp, req, ctx)
  local status = tonumber(resp.status) or 0
  local raw = resp.body
  if raw ~= nil and type(raw) ~= "string" then
    raw = tostring(raw)
  end
  if status >= 200 and status < 300 then
    if ctx.response == "text" then
      return raw or ""
    end
    if raw == nil or not raw:find("%S") then
      return true
    end
    local body, derr = core.json_decode(raw)
    if body == nil then
      return nil, errors.ResponseError({
        message = string_format("HTTP %d with a non-JSON body (%s): %s", status, tostring(derr), snippet(raw)),
        status = status,
        raw_body = raw,
      })
    end
    return body
  end

  local body, decoded
  if raw and raw:find("%S") then
    decoded = core.json_decode(raw)
    if type(decoded) == "table" then
      body = decoded
    end
  end
  local class_name = core.classify(status)
  local cls = class_name and errors.class(class_name) or errors.ResponseError
  local message
  if status < 400 then
    local location = header_of(resp, "location")
    message = string_format("unexpected HTTP %d%s", status, location and (" (Location: " .. location .. ")") or "")
  elseif body and body.message ~= nil then
    message = tostring(body.message)
  elseif body and body.error ~= nil then
    message = tostring(body.error)
  elseif raw and raw:find("%S") then
    message = string_format("HTTP %d with a non-JSON body: %s", status, snippet(raw))
  else
    message = string_format("HTTP %d %s", status, REASONS[status] or "")
    message = message:gsub(" $", "")
  end
  local space_id = ctx.space
  if ctx.names_space and status == 404 then
    cls = errors.SpaceNotFoundError
    message = string_format("space '%s' not found", tostring(ctx.names_space))
    space_id = ctx.names_space
  elseif ctx.names_space then
    message = message .. space_suffix(ctx.names_space)
    space_id = ctx.names_space
  elseif space_id ~= nil then
    message = message .. space_suffix(space_id)
  end
  local ra = header_of(resp, "retry-after")
  return nil, cls({
    message = message,
    status = status,
    body = body,
    raw_body = body == nil and raw or nil,
    space_id = space_id,
    retry_after = ra and core.retry_after(ra, os_time()) or nil,
  })
end

local function finish(shared, body, err, meta)
  if err then
    err.method = err.method or meta.method
    err.path = err.path or meta.path
    err.attempts = err.attempts or meta.attempts
    if err.space_id == nil then
      err.space_id = meta.space_id
    end
    if err.status == nil then
      err.status = meta.status
    end
    if shared.raise then
      error(err, 0)
    end
    return nil, err, meta
  end
  return body, nil, meta
end

-- One request, interpreted: body | nil, err; and meta.
local function perform(shared, req, ctx)
  local resp, terr, attempts, duration = send(shared, req)
  local meta = {
    method = req.method,
    path = req.path,
    query = req.query ~= "" and req.query or nil,
    space_id = ctx.meta_space,
    attempts = attempts,
    duration = duration,
  }
  if resp == nil then
    return nil, terr, meta
  end
  meta.status = tonumber(resp.status)
  meta.headers = resp.headers or {}
  local body, err = interpret(resp, req, ctx)
  return body, err, meta
end

---------------------------------------------------------------------------
-- space validation

local SPACE_GET_TEMPLATE = "/api/spaces/space/{id}"

-- lookup function for the validator: GET /api/spaces/space/<id>
local function lookup_fn(shared)
  return function(id)
    local path, perr = core.build_path(shared.base_path, nil, SPACE_GET_TEMPLATE, { id = id })
    if not path then
      return nil, errors.InvalidSpaceIdError({ message = tostring(perr), space_id = id })
    end
    local req = { method = "GET", path = path, query = "" }
    local resp, terr, attempts, duration = send(shared, req)
    local meta = { method = "GET", path = path, attempts = attempts, duration = duration, space_id = id }
    if resp == nil then
      terr.message = terr.message .. string_format(" while checking that space '%s' exists", id)
      terr.space_id, terr.method, terr.path, terr.attempts = id, "GET", path, attempts
      return nil, terr, meta
    end
    meta.status = tonumber(resp.status)
    meta.headers = resp.headers or {}
    local status = meta.status
    if status and status >= 200 and status < 300 then
      return "exists", nil, meta
    elseif status == 404 then
      return "missing", nil, meta
    end
    local _, err = interpret(resp, req, { space = nil })
    if err == nil then
      err = errors.ResponseError({ message = string_format("unexpected HTTP %s", tostring(status)), status = status })
    end
    err.message = err.message .. string_format(" (while checking that space '%s' exists)", id)
    err.space_id, err.method, err.path, err.attempts = id, "GET", path, attempts
    return nil, err, meta
  end
end

local function space_not_found(id, method, path, cached)
  return errors.SpaceNotFoundError({
    message = string_format("space '%s' not found", id),
    space_id = id,
    status = 404,
    method = method,
    path = path,
    cached = cached or nil,
  })
end

-- true | nil, err (SpaceNotFoundError or the lookup's own failure); plus
-- the meta of the validation request when one was sent (nil when the
-- answer came from the cache).
local function ensure_space(shared, id, fresh, method, path)
  local state, err, meta = shared.validator:check(id, lookup_fn(shared), {
    fresh = fresh,
    pause = default_pause(shared.transport),
  })
  if state == "exists" then
    return true, nil, meta
  elseif state == "missing" then
    return nil, space_not_found(id, method, path), meta
  end
  return nil, err, meta
end

---------------------------------------------------------------------------
-- the generic executor

local function fail_early(shared, err, meta)
  return finish(shared, nil, err, meta)
end

-- A space id given to the spaces API as a number (spaces:delete(5)) names
-- the same space as the string "5".
local function space_param(v)
  if type(v) == "number" then
    return endpoint.number_string(v)
  end
  return type(v) == "string" and v or nil
end

function Client:_call(label, ep, ...)
  local shared = self._shared
  check_open(shared, label)
  local params = endpoint.collect(ep, label, ...)

  -- which space
  local space, meta_space
  if not ep.global then
    local sid = params.space_id
    if self._space ~= nil then
      if sid ~= nil and sid ~= self._space then
        return fail_early(shared, errors.ValidationError({
          message = string_format("client is scoped to space '%s'; refusing space_id '%s'", self._space, tostring(sid)),
          space_id = self._space,
          argument = "space_id",
        }), { method = ep.method, space_id = self._space, attempts = 0 })
      end
      sid = self._space
    end
    if is_default(sid) then
      meta_space = "default"
    else
      local ok, msg = core.valid_space_id(sid)
      if not ok then
        return fail_early(shared, errors.InvalidSpaceIdError({
          message = tostring(msg),
          space_id = sid,
          argument = "space_id",
        }), { method = ep.method, space_id = sid, attempts = 0 })
      end
      space, meta_space = sid, sid
    end
  end

  local req = endpoint.build(ep, params, { base_path = shared.base_path, space = space }, label)

  -- does the space exist?
  if space and shared.validate_spaces and self._validate then
    local ok, err = ensure_space(shared, space, false, req.method, req.path)
    if not ok then
      return fail_early(shared, err, {
        method = req.method, path = req.path, space_id = space, attempts = 0, duration = 0,
      })
    end
  end

  -- do the spaces it writes into exist? (copy destinations, initialNamespaces)
  if ep.destinations then
    for _, id in ipairs(endpoint.destinations(ep, params)) do
      local ok, msg = core.valid_space_id(id)
      if not ok then
        return fail_early(shared, errors.InvalidSpaceIdError({
          message = tostring(msg),
          space_id = id,
          argument = ep.destinations.list or ep.destinations.keys or ep.destinations.item_list,
        }), { method = req.method, path = req.path, space_id = meta_space, attempts = 0, duration = 0 })
      end
      if shared.validate_spaces and self._validate then
        local found, err = ensure_space(shared, id, false, req.method, req.path)
        if not found then
          return fail_early(shared, err, {
            method = req.method, path = req.path, space_id = meta_space, attempts = 0, duration = 0,
          })
        end
      end
    end
  end

  local names_space = ep.names_space and space_param(params[ep.names_space])
  -- spaces:create / spaces:delete drop the cached answer for their id before
  -- the request (so a transport that raises cannot leave it behind) and
  -- after it (a lookup that ran meanwhile may have cached the old answer)
  local invalidates = ep.invalidates_space and space_param(params[ep.invalidates_space])
  if invalidates then
    shared.validator:invalidate(invalidates)
  end
  local body, err, meta = perform(shared, req, {
    response = ep.response,
    space = meta_space,
    meta_space = meta_space,
    names_space = names_space,
  })
  if invalidates then
    shared.validator:invalidate(invalidates)
  end
  return finish(shared, body, err, meta)
end

---------------------------------------------------------------------------
-- public client methods

-- client:space(id, {validate = false}) -> scoped client
function Client:space(id, opts)
  check_self(self, "space")
  local shared = self._shared
  check_open(shared, "client:space")
  if opts ~= nil and type(opts) ~= "table" then
    misuse("client:space(id, opts): opts must be a table, got " .. type(opts), "opts")
  end
  opts = opts or {}
  for k, v in pairs(opts) do
    if k ~= "validate" then
      misuse(string_format("unknown option '%s' for client:space (accepted: validate)", tostring(k)), tostring(k))
    end
    if type(v) ~= "boolean" then
      misuse("client:space: option 'validate' must be a boolean, got " .. type(v), "validate")
    end
  end
  if self._space ~= nil and id ~= self._space then
    return fail_early(shared, errors.ValidationError({
      message = string_format("client is scoped to space '%s'; refusing space '%s'", self._space, tostring(id)),
      space_id = self._space,
      argument = "id",
    }), { space_id = self._space, attempts = 0 })
  end
  if id == nil then
    misuse("bad argument 'id' to client:space (a space id string is required, got nil)", "id")
  end
  if id ~= "default" then
    local ok, msg = core.valid_space_id(id)
    if not ok then
      return fail_early(shared, errors.InvalidSpaceIdError({
        message = tostring(msg), space_id = id, argument = "id",
      }), { space_id = id, attempts = 0 })
    end
  end
  local validate = opts.validate ~= false and self._validate
  if validate and shared.validate_spaces and id ~= "default" then
    local path = core.build_path(shared.base_path, nil, SPACE_GET_TEMPLATE, { id = id })
    local ok, err, meta = ensure_space(shared, id, true, "GET", path)
    if not ok then
      -- the validation request is this call's request: report it
      meta = meta or { method = "GET", path = path, attempts = err.attempts or 0 }
      meta.space_id = id
      err.attempts = err.attempts or meta.attempts
      return fail_early(shared, err, meta)
    end
  end
  return new_client(shared, id, validate)
end

-- client:space_cache() -> {stats(), clear([id])} (methods work with ':' or '.')
function Client:space_cache()
  check_self(self, "space_cache")
  local validator = self._shared.validator
  local obj = {}
  function obj.stats()
    return validator:stats()
  end
  function obj.clear(a, b)
    local id = a
    if a == obj then id = b end
    if id ~= nil and type(id) ~= "string" then
      misuse("space_cache:clear([id]): id must be a string, got " .. type(id), "id")
    end
    validator:clear(id)
  end
  return obj
end

-- client:status() -> GET /api/status (global)
function Client:status(...)
  check_self(self, "status")
  local ep = STATUS_API.endpoints.get
  endpoint.compile(ep, "status")
  return self:_call("status", ep, ...)
end

-- client:close(): closes the connection (root client only; a no-op on
-- scoped clients, which share the root's connection). Idempotent. Later
-- calls on the client and its scoped clients raise a ValidationError.
function Client:close()
  check_self(self, "close")
  local shared = self._shared
  if self._space ~= nil then
    return
  end
  shared.closed = true
  if shared.owns_transport and shared.transport.close then
    shared.transport:close()
  end
end

function Client:__tostring()
  return string_format("kibana client %s%s%s", redact(self._shared.origin), self._shared.base_path,
    self._space and (" (space '" .. self._space .. "')") or "")
end

_M.Client = Client
_M.APIS = APIS

return _M
