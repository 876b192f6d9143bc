-- emu/schema.lua: a small request validator that words its errors like
-- @kbn/config-schema (the library Kibana routes validate with).
--
--   local s = schema.object({ name = schema.string{min = 1},
--                             tags = schema.maybe(schema.array(schema.string())) },
--                           { order = { "name", "tags" } })
--   local msg = schema.check(req.body, s, "request body")
--   --> "[request body.name]: expected value of type [string] but got [undefined]"
--
-- check(value, spec, where) -> nil | message
-- validate(value, spec, where) -> value_with_defaults_and_coercions | nil, message
-- `where` is "request body" / "request query" / "request params" (or nil).
-- Objects check their fields in `opts.order` (else sorted) and then unknown keys,
-- as Joi does; messages use 0-based array indices like Kibana.

local json = require "emu.json"

local type, pairs, ipairs, tostring, tonumber, setmetatable, getmetatable, next =
      type, pairs, ipairs, tostring, tonumber, setmetatable, getmetatable, next
local sort, concat = table.sort, table.concat
local gsub, byte, lower, match = string.gsub, string.byte, string.lower, string.match

local null, array_mt, is_array = json.null, json.array_mt, json.is_array

local _M = {}

---------------------------------------------------------------------------
-- helpers
---------------------------------------------------------------------------

-- type names as the `type-detect` package prints them
local function detect(v)
  if v == nil then return "undefined" end
  if v == null then return "null" end
  local t = type(v)
  if t == "table" then return is_array(v) and "Array" or "Object" end
  return t
end
_M.detect = detect

-- JavaScript string length (UTF-16 code units) of a UTF-8 string
local function js_length(s)
  local n, i, len = 0, 1, #s
  while i <= len do
    local c = byte(s, i)
    if c < 0x80 then i = i + 1
    elseif c >= 0xF0 then i = i + 4; n = n + 1   -- astral: a surrogate pair
    elseif c >= 0xE0 then i = i + 3
    elseif c >= 0xC0 then i = i + 2
    else i = i + 1 end
    n = n + 1
  end
  return n
end
_M.js_length = js_length

local function copy_default(d)
  if type(d) == "function" then return d() end
  if type(d) ~= "table" or d == null then return d end
  local c = {}
  for k, v in pairs(d) do c[k] = copy_default(v) end
  return setmetatable(c, getmetatable(d))
end

local function err(path, msg)
  local p = {}
  for i = 1, #path do p[i] = path[i] end
  return { path = p, msg = msg }
end

local function format_error(e, where)
  local parts = {}
  if where then parts[1] = where end
  for i = 1, #e.path do parts[#parts + 1] = tostring(e.path[i]) end
  if #parts == 0 then return e.msg end
  return "[" .. concat(parts, ".") .. "]: " .. e.msg
end

local function literal_text(v)
  if v == null or v == nil then return "null" end
  return tostring(v)
end

local node_mt = { __name = "schema" }
local function node(kind, opts)
  local n = {}
  if opts then for k, v in pairs(opts) do n[k] = v end end
  n.kind = kind
  return setmetatable(n, node_mt)
end

function _M.is_schema(v) return getmetatable(v) == node_mt end

---------------------------------------------------------------------------
-- constructors
---------------------------------------------------------------------------

-- string{ min=, max=, validate=fn(v)->msg|nil, default= }
function _M.string(opts) return node("string", opts) end
-- number{ min=, max=, integer=bool, validate=, default= } (numeric strings are coerced)
function _M.number(opts) return node("number", opts) end
-- boolean{ default= } ("true"/"false" strings are coerced)
function _M.boolean(opts) return node("boolean", opts) end
-- any{ validate=, default= }: anything but undefined
function _M.any(opts) return node("any", opts) end
-- literal(v): exactly v (json.null for null)
function _M.literal(v) return node("literal", { value = v }) end
-- maybe(spec): undefined allowed (null is not)
function _M.maybe(spec) return node("maybe", { inner = spec }) end
-- nullable(spec): spec or null, default null (config-schema's nullable)
function _M.nullable(spec)
  return node("oneOf", { options = { spec, _M.literal(null) }, default = null, nullable = true })
end
-- oneOf({a, b, ...}, { default= })
function _M.oneOf(options, opts)
  local n = node("oneOf", opts)
  n.options = options
  return n
end
-- array(item, { min=, max=, validate=fn(arr)->msg|nil, default= })
function _M.array(item, opts)
  local n = node("array", opts)
  n.item = item or _M.any()
  return n
end
-- object(fields, { unknowns="forbid"|"allow"|"ignore", order={...}, validate=fn(obj)->msg|nil, default= })
function _M.object(fields, opts)
  local n = node("object", opts)
  n.fields = fields or {}
  n.unknowns = n.unknowns or "forbid"
  if not n.order then
    local order = {}
    for k in pairs(n.fields) do order[#order + 1] = k end
    sort(order)
    n.order = order
  else
    -- fields not named in `order` are checked after it, sorted
    local named, extra = {}, {}
    for _, k in ipairs(n.order) do named[k] = true end
    for k in pairs(n.fields) do if not named[k] then extra[#extra + 1] = k end end
    sort(extra)
    local order = {}
    for _, k in ipairs(n.order) do order[#order + 1] = k end
    for _, k in ipairs(extra) do order[#order + 1] = k end
    n.order = order
  end
  return n
end
-- record(key_spec, value_spec, { default= }): an object with free keys
local function unconstrained(spec, kind)
  if spec == nil then return true end
  if spec.kind ~= kind or spec.validate then return false end
  return not (spec.min or spec.max)
end

function _M.record(key_spec, value_spec, opts)
  local n = node("record", opts)
  n.key = key_spec
  n.value = value_spec
  n.trivial = unconstrained(key_spec, "string") and unconstrained(value_spec, "any")
  return n
end

---------------------------------------------------------------------------
-- validation
---------------------------------------------------------------------------

local run   -- forward

local function type_error(path, expected, v)
  return false, err(path, "expected value of type [" .. expected .. "] but got [" .. detect(v) .. "]")
end

local V = {}

function V.string(s, v, path)
  if type(v) ~= "string" then return type_error(path, "string", v) end
  if s.min or s.max then
    local n = js_length(v)
    if s.min and n < s.min then
      return false, err(path, "value has length [" .. n .. "] but it must have a minimum length of [" .. s.min .. "].")
    end
    if s.max and n > s.max then
      return false, err(path, "value has length [" .. n .. "] but it must have a maximum length of [" .. s.max .. "].")
    end
  end
  if s.validate then
    local m = s.validate(v)
    if m then return false, err(path, m) end
  end
  return true, v
end

function V.number(s, v, path)
  local n = v
  if type(v) == "string" and match(v, "^%s*[-+]?%d*%.?%d+[eE]?[-+]?%d*%s*$") then n = tonumber(v) end
  if type(n) ~= "number" or n ~= n then return type_error(path, "number", v) end
  if s.integer and n % 1 ~= 0 then
    return false, err(path, "expected value of type [integer] but got [number]")
  end
  if s.min and n < s.min then return false, err(path, "Value must be equal to or greater than [" .. s.min .. "].") end
  if s.max and n > s.max then return false, err(path, "Value must be equal to or lower than [" .. s.max .. "].") end
  if s.validate then
    local m = s.validate(n)
    if m then return false, err(path, m) end
  end
  return true, n
end

function V.boolean(s, v, path)
  if type(v) == "string" then
    local l = lower(v)
    if l == "true" then return true, true end
    if l == "false" then return true, false end
  end
  if type(v) ~= "boolean" then return type_error(path, "boolean", v) end
  return true, v
end

function V.any(s, v, path)
  if s.validate then
    local m = s.validate(v)
    if m then return false, err(path, m) end
  end
  return true, v
end

function V.literal(s, v, path)
  if v == s.value then return true, v end
  return false, err(path, "expected value to equal [" .. literal_text(s.value) .. "]")
end

function V.maybe(s, v, path, where)
  return run(s.inner, v, path, where)
end

function V.oneOf(s, v, path, where)
  local lines = {}
  local n = #path
  for i, opt in ipairs(s.options) do
    path[n + 1] = i - 1
    local ok, out = run(opt, v, path, where)
    path[n + 1] = nil
    if ok then return true, out end
    local m = gsub(out.msg, "\n", "\n ")
    lines[#lines + 1] = "- " .. (format_error({ path = out.path, msg = m }, where))
  end
  return false, err(path, "types that failed validation:\n" .. concat(lines, "\n"))
end

function V.array(s, v, path, where)
  if type(v) == "string" then
    local d = json.decode(v)
    if d == nil or not is_array(d) then
      return false, err(path, "could not parse array value from json input")
    end
    v = d
  end
  if type(v) ~= "table" or not is_array(v) then return type_error(path, "array", v) end
  local len = #v
  if s.min and len < s.min then
    return false, err(path, "array size is [" .. len .. "], but cannot be smaller than [" .. s.min .. "]")
  end
  if s.max and len > s.max then
    return false, err(path, "array size is [" .. len .. "], but cannot be greater than [" .. s.max .. "]")
  end
  local out = setmetatable({}, array_mt)
  local n = #path
  for i = 1, len do
    path[n + 1] = i - 1
    local ok, r = run(s.item, v[i], path, where)
    path[n + 1] = nil
    if not ok then return false, r end
    out[i] = r
  end
  if s.validate then
    local m = s.validate(out)
    if m then return false, err(path, m) end
  end
  return true, out
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

-- config-schema accepts an object or a record as JSON text (query strings,
-- multipart fields): from_json(v, path, what) -> v decoded | nil, message
local function from_json(v, path, what)
  if type(v) ~= "string" then return v end
  local d = json.decode(v)
  if type(d) ~= "table" or is_array(d) then
    return nil, err(path, "could not parse " .. what .. " value from json input")
  end
  return d
end

function V.object(s, v, path, where)
  local m
  v, m = from_json(v, path, "object")
  if m then return false, m end
  if type(v) ~= "table" or is_array(v) then
    return false, err(path, "expected a plain object value, but found [" .. detect(v) .. "] instead.")
  end
  local out = {}
  local fields = s.fields
  local n = #path
  for _, k in ipairs(s.order) do
    path[n + 1] = k
    local ok, r = run(fields[k], v[k], path, where)
    path[n + 1] = nil
    if not ok then return false, r end
    out[k] = r
  end
  if next(v) ~= nil then
    local unknown
    for k in pairs(v) do
      if fields[k] == nil then unknown = true; break end
    end
    if unknown then
      if s.unknowns == "forbid" then
        for _, k in ipairs(sorted_keys(v)) do
          if fields[k] == nil then
            path[n + 1] = k
            local e = err(path, "definition for this key is missing")
            path[n + 1] = nil
            return false, e
          end
        end
      elseif s.unknowns == "allow" then
        for k, x in pairs(v) do
          if fields[k] == nil then out[k] = x end
        end
      end
    end
  end
  if s.validate then
    local m = s.validate(out)
    if m then return false, err(path, m) end
  end
  return true, out
end

function V.record(s, v, path, where)
  local m
  v, m = from_json(v, path, "record")
  if m then return false, m end
  if type(v) ~= "table" or is_array(v) then return type_error(path, "object", v) end
  local out = {}
  if s.trivial then            -- free keys, free values: a copy, no per-key checks
    for k, x in pairs(v) do out[k] = x end
    return true, out
  end
  local n = #path
  for _, k in ipairs(sorted_keys(v)) do
    if s.key then
      path[n + 1] = 'key("' .. tostring(k) .. '")'
      local ok, r = run(s.key, k, path, where)
      if not ok then path[n + 1] = nil; return false, r end
    end
    path[n + 1] = k
    local x = v[k]
    if s.value then
      local ok, r = run(s.value, x, path, where)
      if not ok then path[n + 1] = nil; return false, r end
      x = r
    end
    path[n + 1] = nil
    out[k] = x
  end
  return true, out
end

local REQUIRED = {
  string = "expected value of type [string] but got [undefined]",
  number = "expected value of type [number] but got [undefined]",
  boolean = "expected value of type [boolean] but got [undefined]",
  any = "expected value of type [any] but got [undefined]",
  array = "expected value of type [array] but got [undefined]",
  object = "expected a plain object value, but found [undefined] instead.",
  record = "expected value of type [object] but got [undefined]",
  oneOf = "expected at least one defined value but got [undefined]",
}

run = function(s, v, path, where)
  if v == nil then
    if s.kind == "maybe" then return true, nil end
    if s.default ~= nil then return true, copy_default(s.default) end
    if s.kind == "literal" then return V.literal(s, v, path) end
    return false, err(path, REQUIRED[s.kind] or "expected a value but got [undefined]")
  end
  return V[s.kind](s, v, path, where)
end

-- validate(value, spec, where) -> value | nil, message
function _M.validate(value, spec, where)
  if value == nil and where == "request body" then value = null end  -- hapi gives null for no payload
  local ok, r = run(spec, value, {}, where)
  if ok then return r end
  return nil, format_error(r, where)
end

-- check(value, spec, where) -> nil | message
function _M.check(value, spec, where)
  local _, m = _M.validate(value, spec, where)
  return m
end

return _M
