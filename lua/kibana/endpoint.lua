-- kibana.endpoint: turns an endpoint table and the caller's parameters into a
-- request description {method, path, query, body, content_type}. Pure: no I/O.
--
-- An endpoint table (see lua/kibana/api/*.lua) has these fields:
--
--   method      "GET" | "POST" | "PUT" | "DELETE"
--   path        a template "/api/actions/connector/{id}", or a list of templates:
--               the first one whose {params} are all given is used
--               ({"/api/actions/connector/{id}", "/api/actions/connector"})
--   query       list of parameter names sent in the query string
--   json_query  set of query names whose table values are sent JSON-encoded
--               (has_reference = true)
--   body        list of parameter names sent as members of a JSON object body
--   body_param  name of the parameter whose value IS the JSON body (bulk arrays)
--   build_body  function(params, label) -> body, content_type (multipart import)
--   allowed     list of extra accepted names consumed by build_body
--   positional  names bare string/number arguments map to, in order ({"type", "id"})
--   global      true: not space-aware (no /s/ prefix, no space_id parameter)
--   names_space the parameter that names a space (spaces API): a 404 becomes
--               SpaceNotFoundError and err.space_id is that id
--   invalidates_space  the parameter naming a space whose cache entry is dropped
--               after the call, whether it succeeded or not
--   destinations  where the call names spaces it writes into, which must exist
--               like the space of the call (Kibana does not check them and
--               writes into an orphan namespace): {list = "spaces"} a list
--               parameter, {keys = "retries"} the keys of a table parameter,
--               {item_list = "initialNamespaces"} a list field of each item of
--               the body_param list. "default" and "*" (all spaces) are skipped.
--   response    "json" (default) or "text" (the body string is returned as is)
--
-- Path parameters are the {names} of the templates; they must be non-empty
-- strings or numbers. Unknown parameter names and wrongly typed path
-- parameters are misuse: a ValidationError raised whatever the raise mode.

local core = require "kibana.core"
local errors = require "kibana.errors"

local type = type
local pairs = pairs
local ipairs = ipairs
local tostring = tostring
local pcall = pcall
local select = select
local next = next
local setmetatable = setmetatable
local getmetatable = getmetatable
local string_format = string.format
local math_floor = math.floor
local math_huge = math.huge
local table_sort = table.sort
local table_concat = table.concat

local _M = {}

local misuse = errors.misuse

-- Parameter names of a template, in order.
local function template_params(tmpl)
  local names = {}
  for name in tmpl:gmatch("{([%w_]+)}") do
    names[#names + 1] = name
  end
  return names
end

local function templates_of(ep)
  if type(ep.path) == "table" then
    return ep.path
  end
  return { ep.path }
end

-- Prepares an endpoint table once: the set of accepted names and the path
-- parameters. Returns the same table (fields starting with '_' are ours).
function _M.compile(ep, label)
  if ep._compiled then
    return ep
  end
  local allowed = {}
  local path_params = {}
  for _, tmpl in ipairs(templates_of(ep)) do
    for _, name in ipairs(template_params(tmpl)) do
      allowed[name] = "path"
      path_params[name] = true
    end
  end
  for _, name in ipairs(ep.query or {}) do
    allowed[name] = allowed[name] or "query"
  end
  for _, name in ipairs(ep.body or {}) do
    allowed[name] = allowed[name] or "body"
  end
  if ep.body_param then
    allowed[ep.body_param] = allowed[ep.body_param] or "body"
  end
  for _, name in ipairs(ep.allowed or {}) do
    allowed[name] = allowed[name] or "extra"
  end
  if not ep.global then
    allowed.space_id = "space"
  end
  ep._allowed = allowed
  ep._path_params = path_params
  ep._label = label
  ep._compiled = true
  return ep
end

-- Levenshtein distance, for "did you mean" hints.
local function distance(a, b)
  local la, lb = #a, #b
  if la == 0 then return lb end
  if lb == 0 then return la end
  local prev = {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    local cur = { [0] = i }
    local ca = a:sub(i, i)
    for j = 1, lb do
      local cost = (ca == b:sub(j, j)) and 0 or 1
      local best = prev[j] + 1
      if cur[j - 1] + 1 < best then best = cur[j - 1] + 1 end
      if prev[j - 1] + cost < best then best = prev[j - 1] + cost end
      cur[j] = best
    end
    prev = cur
  end
  return prev[lb]
end

local function suggestion(name, allowed)
  local best, best_d = nil, math_huge
  local names = {}
  for k in pairs(allowed) do names[#names + 1] = k end
  table_sort(names)
  for _, k in ipairs(names) do
    local d = distance(name:lower(), k:lower())
    if d < best_d then best, best_d = k, d end
  end
  if best and best_d <= 2 and best_d < #name then
    return best
  end
  return nil
end

local function accepted_list(allowed)
  local names = {}
  for k in pairs(allowed) do names[#names + 1] = k end
  table_sort(names)
  return table_concat(names, ", ")
end

-- Numbers as path/query strings without "3.0" for integral floats.
local function number_string(n)
  if n == math_floor(n) and n > -9007199254740992 and n < 9007199254740992 then
    return string_format("%.0f", n)
  end
  return tostring(n)
end
_M.number_string = number_string

-- Merges the caller's arguments into one parameter table:
--   (table)                          the named parameters
--   ("id")                           bare positional values
--   ("dashboard", "abc", {space_id=})  positional values then named parameters
-- Raises on misuse. Returns a new table (the caller's is not modified).
function _M.collect(ep, label, ...)
  local n = select("#", ...)
  local args = { ... }
  local params = {}
  local positional = ep.positional or {}
  local npos = 0
  for i = 1, n do
    local a = args[i]
    local ta = type(a)
    if ta == "table" and i == n then
      for k, v in pairs(a) do
        if type(k) ~= "string" then
          misuse(string_format("%s expects named parameters; got a value at key [%s] (use {name = value})",
            label, tostring(k)), tostring(k))
        end
        if params[k] ~= nil and params[k] ~= v then
          misuse(string_format("%s: parameter '%s' given both positionally and by name", label, k), k)
        end
        params[k] = v
      end
    elseif (ta == "string" or ta == "number") and npos < #positional then
      npos = npos + 1
      params[positional[npos]] = a
    elseif ta == "string" or ta == "number" then
      if #positional == 0 then
        misuse(string_format("%s expects a table of named parameters, got %s %q", label, ta, tostring(a)))
      end
      misuse(string_format("%s takes at most %d positional argument(s) (%s), then a table of named parameters",
        label, #positional, table_concat(positional, ", ")))
    elseif a == nil and i == n and n > npos then
      -- a trailing nil (c.actions:get_all(nil)) is the same as no parameters
    else
      misuse(string_format("%s expects a table of named parameters%s, got %s as argument #%d", label,
        (#positional > 0) and (" or " .. table_concat(positional, ", ") .. " as strings") or "",
        ta, i))
    end
  end
  local allowed = ep._allowed
  for k in pairs(params) do
    if not allowed[k] then
      local msg
      if k == "space_id" and ep.global then
        msg = string_format("unknown parameter 'space_id' for %s (this API is global: it is not space-aware)", label)
      else
        local hint = suggestion(k, allowed)
        msg = string_format("unknown parameter '%s' for %s (%s)", k, label,
          hint and ("did you mean '" .. hint .. "'?") or ("accepted: " .. accepted_list(allowed)))
      end
      misuse(msg, k)
    end
  end
  return params
end

-- The destination space ids of a call (see `destinations` above), in order,
-- each once, without "default" and "*". Values are returned as given (the
-- caller checks that they are valid space ids).
function _M.destinations(ep, params)
  local d = ep.destinations
  local out, seen = {}, {}
  local function add(id)
    if id ~= nil and id ~= "default" and id ~= "*" and not seen[id] then
      seen[id] = true
      out[#out + 1] = id
    end
  end
  local function add_list(list)
    if type(list) == "table" then
      for i = 1, #list do add(list[i]) end
    elseif list ~= nil then
      add(list)
    end
  end
  if not d then
    return out
  end
  if d.list then
    add_list(params[d.list])
  end
  if d.keys and type(params[d.keys]) == "table" then
    local keys = {}
    for k in pairs(params[d.keys]) do keys[#keys + 1] = k end
    table_sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do add(k) end
  end
  if d.item_list and type(params[ep.body_param]) == "table" then
    local items = params[ep.body_param]
    for i = 1, #items do
      if type(items[i]) == "table" then add_list(items[i][d.item_list]) end
    end
  end
  return out
end

-- The first template whose path parameters are all present.
local function choose_template(ep, params)
  local list = templates_of(ep)
  for i, tmpl in ipairs(list) do
    local ok = true
    for _, name in ipairs(template_params(tmpl)) do
      if params[name] == nil then
        ok = false
        break
      end
    end
    if ok or i == #list then
      return tmpl
    end
  end
  return list[#list]
end

local function is_sequence(t)
  if getmetatable(t) == core.array_mt then
    return true
  end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  if n == 0 then
    return false
  end
  for i = 1, n do
    if t[i] == nil then return false end
  end
  return true
end

local function json_encode(value, what, label)
  local ok, res = pcall(core.json_encode, value, what)
  if not ok then
    misuse(string_format("%s: %s", label, tostring(res)), what)
  end
  return res
end
_M.json_encode = json_encode

local function query_value(name, v, ep, label)
  local tv = type(v)
  if tv == "string" or tv == "boolean" then
    return v
  elseif tv == "number" then
    return number_string(v)
  elseif tv == "table" then
    if ep.json_query and ep.json_query[name] then
      return json_encode(v, name, label)
    end
    if is_sequence(v) then
      local out = {}
      for i = 1, #v do
        local e = v[i]
        local te = type(e)
        if te == "number" then
          out[i] = number_string(e)
        elseif te == "string" or te == "boolean" then
          out[i] = e
        else
          misuse(string_format("%s: parameter '%s' must be a list of strings, got a %s at [%d]",
            label, name, te, i), name)
        end
      end
      return out
    end
    misuse(string_format("%s: parameter '%s' must be a string, number, boolean or a list of them, got a table",
      label, name), name)
  end
  misuse(string_format("%s: parameter '%s' must be a string, number, boolean or a list of them, got %s",
    label, name, tv), name)
end

-- Copies a list into a table marked as a JSON array (so {} is sent as []),
-- leaving the caller's table alone.
local function as_array(t)
  if getmetatable(t) == core.array_mt then
    return t
  end
  local out = {}
  for i = 1, #t do out[i] = t[i] end
  return setmetatable(out, core.array_mt)
end
_M.as_array = as_array

-- A list-valued field: an empty or sequence table is sent as a JSON array.
local function mark_list(v)
  if type(v) == "table" and getmetatable(v) == nil and (next(v) == nil or is_sequence(v)) then
    return as_array(v)
  end
  return v
end
_M.mark_list = mark_list

-- Builds the request description. ctx = {base_path = "", space = "marketing" | nil}.
-- Returns {method, path, query (string, may be ""), body (string | nil),
-- content_type (string | nil)}.
function _M.build(ep, params, ctx, label)
  -- path parameters
  local strparams = {}
  for name in pairs(ep._path_params) do
    local v = params[name]
    local tv = type(v)
    if tv == "string" then
      if v == "" then
        misuse(string_format("bad argument '%s' to %s (a non-empty string is required)", name, label), name)
      end
      strparams[name] = v
    elseif tv == "number" then
      strparams[name] = number_string(v)
    elseif v ~= nil then
      misuse(string_format("bad argument '%s' to %s (string expected, got %s)", name, label, tv), name)
    end
  end
  local tmpl = choose_template(ep, params)
  for _, name in ipairs(template_params(tmpl)) do
    if strparams[name] == nil then
      misuse(string_format("bad argument '%s' to %s (a non-empty string is required, got nil)", name, label), name)
    end
  end
  local path, perr = core.build_path(ctx.base_path or "", ctx.space, tmpl, strparams)
  if not path then
    misuse(string_format("%s: %s", label, tostring(perr)))
  end

  -- query
  local query = {}
  local has_query = false
  for _, name in ipairs(ep.query or {}) do
    local v = params[name]
    if v ~= nil then
      query[name] = query_value(name, v, ep, label)
      has_query = true
    end
  end
  local qs = has_query and core.encode_query(query) or ""

  -- body
  local body, content_type
  if ep.build_body then
    body, content_type = ep.build_body(params, label)
  elseif ep.body_param then
    local v = params[ep.body_param]
    if v == nil then
      misuse(string_format("bad argument '%s' to %s (a list is required, got nil)", ep.body_param, label), ep.body_param)
    elseif type(v) ~= "table" or (next(v) ~= nil and not is_sequence(v)) then
      misuse(string_format("bad argument '%s' to %s (a list is required, got %s)", ep.body_param, label,
        type(v) == "table" and "a table with non-list keys" or type(v)), ep.body_param)
    end
    local items = as_array(v)
    if ep.item_arrays then
      local copied = {}
      for i = 1, #items do
        local item = items[i]
        if type(item) == "table" then
          local c = {}
          for k, x in pairs(item) do
            c[k] = x
          end
          for _, name in ipairs(ep.item_arrays) do
            c[name] = mark_list(c[name])
          end
          item = setmetatable(c, getmetatable(item))
        end
        copied[i] = item
      end
      items = setmetatable(copied, core.array_mt)
    end
    body = json_encode(items, ep.body_param, label)
    content_type = "application/json"
  elseif ep.body then
    local obj = {}
    for _, name in ipairs(ep.body) do
      local v = params[name]
      if v ~= nil then
        if ep.array_body and ep.array_body[name] then
          v = mark_list(v)
        end
        obj[name] = v
      end
    end
    body = json_encode(obj, "body", label)
    content_type = "application/json"
  end

  return {
    method = ep.method,
    path = path,
    query = qs,
    body = body,
    content_type = content_type,
  }
end

return _M
