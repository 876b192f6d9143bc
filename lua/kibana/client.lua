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
local options = require "kibana.options"
local request = require "kibana.request"
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
local string_format = string.format
local coroutine_yield = coroutine.yield
local coroutine_isyieldable = coroutine.isyieldable

local _M = {}

local misuse = errors.misuse
local send, interpret, perform = request.send, request.interpret, request.perform
local redact = options.redact

local APIS = {
  actions = require "kibana.api.actions",
  saved_objects = require "kibana.api.saved_objects",
  spaces = require "kibana.api.spaces",
}
local STATUS_API = require "kibana.api.status"

_M.VERSION = core.version or "0.1.0"
options.VERSION = _M.VERSION

local function is_default(space)
  return space == nil or space == "default"
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
  local config = options.resolve(url, opts)
  local o = config.opts
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
    origin = config.origin,
    base_path = config.base_path,
    headers = config.headers,
    has_xsrf = config.has_xsrf,
    has_auth = config.has_auth,
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
-- raise mode

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

-- Lua 5.4: `local c <close> = kibana.new(...)` closes the connection at
-- the end of the block (LuaJIT ignores the field).
Client.__close = function(self) return self:close() end

function Client:__tostring()
  return string_format("kibana client %s%s%s", redact(self._shared.origin), self._shared.base_path,
    self._space and (" (space '" .. self._space .. "')") or "")
end

_M.Client = Client
_M.APIS = APIS

return _M
