-- kibana.errors: the error classes of lua-kibana.
--
-- An error is a plain table whose metatable is its class. Classes form a tree
-- (DESIGN.md section 4):
--
--   KibanaError
--     TransportError            no HTTP answer: ConnectionError, TimeoutError, TLSError
--     ApiError                  an HTTP answer with a status (err.status is set)
--       BadRequestError 400, AuthenticationError 401, AuthorizationError 403,
--       NotFoundError 404 > SpaceNotFoundError, ConflictError 409,
--       PayloadTooLargeError 413, TooManyRequestsError 429, ServerError 5xx,
--       ResponseError           an answer that cannot be used: a non-JSON body on
--                               a 2xx, an unexpected 1xx/3xx status
--     ValidationError           found on the client, nothing was sent
--       InvalidSpaceIdError
--
-- ResponseError sits under ApiError because the rule "ApiError = Kibana (or
-- a proxy in front of it) answered with an HTTP status" is the useful one: a
-- caller that catches ApiError always finds err.status set.
--
-- Fields: message, status, space_id, method, path, body (Kibana's
-- {statusCode, error, message, attributes} when it sent one), attempts,
-- retry_after, and for misuse errors `argument` (the parameter at fault).
-- tostring(err) is "<ClassName>: <message>", and concatenating an error with
-- a string uses that form.

local setmetatable = setmetatable
local getmetatable = getmetatable
local rawget = rawget
local type = type
local tostring = tostring
local pairs = pairs
local error = error

local _M = {}

local classes = {}

local function error_tostring(e)
  local cls = getmetatable(e)
  return cls.class_name .. ": " .. tostring(rawget(e, "message"))
end

-- "failed: " .. err and err .. "!" give the tostring form, as they would
-- for a string error, instead of "attempt to concatenate a table value".
local function error_concat(a, b)
  return tostring(a) .. tostring(b)
end

-- Creates an error instance of class `cls` from a table of fields (the table
-- is taken over, not copied).
local function instantiate(cls, fields)
  local e = {}
  if type(fields) == "table" then
    for k, v in pairs(fields) do
      e[k] = v
    end
  elseif fields ~= nil then
    e.message = tostring(fields)
  end
  if e.message == nil then
    e.message = cls.class_name
  end
  return setmetatable(e, cls)
end

local class_mt = {
  __call = function(cls, fields)
    return instantiate(cls, fields)
  end,
  __tostring = function(cls)
    return "class " .. cls.class_name
  end,
}

local function define(name, parent)
  local cls = {
    class_name = name,
    parent = parent,
    __tostring = error_tostring,
    __concat = error_concat,
  }
  cls.__index = cls
  cls.class = cls
  -- method form: err:is(errors.NotFoundError)
  cls.is = function(self, other)
    return _M.is(self, other)
  end
  setmetatable(cls, class_mt)
  classes[name] = cls
  _M[name] = cls
  return cls
end

local KibanaError = define("KibanaError")
local TransportError = define("TransportError", KibanaError)
define("ConnectionError", TransportError)
define("TimeoutError", TransportError)
define("TLSError", TransportError)
local ApiError = define("ApiError", KibanaError)
define("BadRequestError", ApiError)
define("AuthenticationError", ApiError)
define("AuthorizationError", ApiError)
local NotFoundError = define("NotFoundError", ApiError)
define("SpaceNotFoundError", NotFoundError)
define("ConflictError", ApiError)
define("PayloadTooLargeError", ApiError)
define("TooManyRequestsError", ApiError)
define("ServerError", ApiError)
define("ResponseError", ApiError)
local ValidationError = define("ValidationError", KibanaError)
define("InvalidSpaceIdError", ValidationError)

-- errors.is(value, class_or_name): true when `value` is an error of that class
-- or of one of its descendants. Any other value (nil, strings, tables that are
-- not errors) gives false.
function _M.is(value, cls)
  if type(value) ~= "table" then
    return false
  end
  if type(cls) == "string" then
    cls = classes[cls]
  end
  if cls == nil then
    return false
  end
  local c = getmetatable(value)
  if type(c) ~= "table" or classes[rawget(c, "class_name") or false] ~= c then
    return false
  end
  while c do
    if c == cls then
      return true
    end
    c = rawget(c, "parent")
  end
  return false
end

-- The class for a name as core.classify returns it ("NotFoundError"), or nil.
function _M.class(name)
  return classes[name]
end

-- errors.new(class_or_name, fields)
function _M.new(cls, fields)
  if type(cls) == "string" then
    local found = classes[cls]
    if not found then
      error("unknown error class '" .. cls .. "'", 2)
    end
    cls = found
  end
  return instantiate(cls, fields)
end

-- Raises a ValidationError for misuse of the API. Misuse always raises, also
-- with raise = false.
function _M.misuse(message, argument)
  error(instantiate(ValidationError, { message = message, argument = argument }), 0)
end

_M.classes = classes

return _M
