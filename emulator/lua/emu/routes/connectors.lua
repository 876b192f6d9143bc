-- emu/routes/connectors.lua: the Actions / Connectors API (BEHAVIOUR §4).
--
--   POST   /api/actions/connector[/{id}]          create
--   GET    /api/actions/connector/{id}            get
--   GET    /api/actions/connectors                list (+ referenced_by_count, preconfigured)
--   PUT    /api/actions/connector/{id}            update (type cannot change)
--   DELETE /api/actions/connector/{id}            delete (204)
--   POST   /api/actions/connector/{id}/_execute   run
--   GET    /api/actions/connector_types           types (no privilege needed)
-- Connectors live in the space of the URL; the preconfigured connector is global.
-- Secrets are stored and never returned.

local json = require "emu.json"
local http = require "emu.http"
local schema = require "emu.schema"
local store = require "emu.store"
local auth = require "emu.auth"
local util = require "emu.util"
local types = require "emu.connector_types"

local ipairs, pairs, type, pcall, tostring = ipairs, pairs, type, pcall, tostring
local sort, concat = table.sort, table.concat
local lower, sub = string.lower, string.sub

local s = schema

local PRECONFIGURED = {
  {
    id = "preconfigured-server-log",
    name = "Preconfigured server log",
    connector_type_id = ".server-log",
    config = {},
    secrets = {},
    is_preconfigured = true,
  },
}
local preconfigured_by_id = {}
for _, c in ipairs(PRECONFIGURED) do preconfigured_by_id[c.id] = c end

local function not_blank(v)
  -- validateEmptyStrings: any string (however deep) that trims to '' is refused
  if type(v) == "string" then
    if util.trim(v) == "" then return "value '' is not valid" end
  elseif type(v) == "table" then
    for _, x in pairs(v) do
      local m = not_blank(x)
      if m then return m end
    end
  end
end

local FREE = s.record(s.string(), s.any{ validate = not_blank }, { default = {} })

local CREATE_BODY = s.object({
  name = s.string{ validate = not_blank },
  connector_type_id = s.string{ validate = not_blank },
  config = FREE,
  secrets = FREE,
}, { order = { "name", "connector_type_id", "config", "secrets" } })

local UPDATE_BODY = s.object({
  name = s.string{ validate = not_blank },
  config = FREE,
  secrets = FREE,
}, { order = { "name", "config", "secrets" } })

local EXECUTE_BODY = s.object({
  params = s.record(s.string(), s.any()),
})

local function not_found(id)
  return http.error(404, "Saved object [action/" .. id .. "] not found")
end

local function connector_out(c)
  if c.is_preconfigured then
    return {
      id = c.id, name = c.name, connector_type_id = c.connector_type_id,
      is_preconfigured = true, is_deprecated = false, is_system_action = false,
    }
  end
  return {
    id = c.id, name = c.name, connector_type_id = c.connector_type_id,
    config = c.config,
    is_preconfigured = false, is_deprecated = false, is_missing_secrets = false,
    is_system_action = false,
  }
end

-- find_connector(space, id) -> connector | nil (preconfigured ones are everywhere)
local function find_connector(space, id)
  local p = preconfigured_by_id[id]
  if p then return p end
  local t = store.connectors_in(space)
  return t and t[id]
end

local function validate_type_data(t, config, secrets)
  local cfg, msg = types.validate_config(t, config)
  if not cfg then return nil, nil, msg end
  local sec
  sec, msg = types.validate_secrets(t, secrets)
  if not sec then return nil, nil, msg end
  return cfg, sec
end

local function create(req)
  local body, msg = schema.validate(req.body, CREATE_BODY, "request body")
  if not body then return http.error(400, msg) end
  local type_id = body.connector_type_id
  if not auth.allowed(req.user, req.space) then
    return http.error(403, 'Unauthorized to create a "' .. type_id .. '" action')
  end
  local id = req.params.id
  if id and preconfigured_by_id[id] then
    return http.error(400, "This " .. id .. " already exists in a preconfigured action.")
  end
  local t = types.get(type_id)
  if not t then return http.error(400, 'Action type "' .. type_id .. '" is not registered.') end
  local cfg, sec
  cfg, sec, msg = validate_type_data(t, body.config, body.secrets)
  if not cfg then return http.error(400, msg) end
  local list = store.connectors_in(req.space, true)
  id = id or util.uuid4()
  if list[id] then return http.error(409, "Saved object [action/" .. id .. "] conflict") end
  local c = { id = id, name = body.name, connector_type_id = type_id, config = cfg, secrets = sec }
  list[id] = c
  store.touch_connectors()
  return 200, connector_out(c)
end

local function get_one(req)
  if not auth.allowed(req.user, req.space) then return http.error(403, "Unauthorized to get actions") end
  local c = find_connector(req.space, req.params.id)
  if not c then return not_found(req.params.id) end
  return 200, connector_out(c)
end

-- Kibana sorts by name (localeCompare); lower-case first, then bytes, then id
local function sort_key(c)
  local k = c._sort_key
  if not k then
    k = lower(c.name) .. "\0" .. c.name .. "\0" .. c.id
    c._sort_key = k
  end
  return k
end

local function by_key(a, b) return a.key < b.key end

-- the connector's JSON, encoded once (until it changes)
local function fragment(c)
  local f = c._json
  if not f then
    f = json.encode(connector_out(c))
    c._json = f
  end
  return f
end

local JSON_CT = { ["content-type"] = "application/json; charset=utf-8" }

-- per-space list of connectors (preconfigured included), sorted; rebuilt when
-- store.connectors_rev changes
local sorted_cache, sorted_rev = {}, -1

local function sorted_connectors(space)
  if sorted_rev ~= store.connectors_rev then
    sorted_cache, sorted_rev = {}, store.connectors_rev
  end
  local list = sorted_cache[space]
  if list then return list end
  local keyed, n = {}, 0
  local t = store.connectors_in(space)
  if t then
    for _, c in pairs(t) do
      n = n + 1
      keyed[n] = { key = sort_key(c), c = c }
    end
  end
  for _, c in ipairs(PRECONFIGURED) do
    n = n + 1
    keyed[n] = { key = sort_key(c), c = c }
  end
  sort(keyed, by_key)
  list = {}
  for i = 1, n do list[i] = keyed[i].c end
  sorted_cache[space] = list
  return list
end

local function get_all(req)
  local space = req.space
  if not auth.allowed(req.user, space) then return http.error(403, "Unauthorized to get actions") end
  local list = sorted_connectors(space)
  local n = #list
  -- one pass over the saved objects for all connectors (references from every
  -- space count, as in Kibana); referenced_by_count is not computed for
  -- preconfigured connectors (BEHAVIOUR §4.1)
  local counts
  if n > #PRECONFIGURED then counts = store.call_objects("reference_counts", "action") end
  counts = counts or {}
  local parts = {}
  for i = 1, n do
    local c = list[i]
    local count = (not c.is_preconfigured and counts[c.id]) or 0
    parts[i] = '{"referenced_by_count":' .. count .. "," .. sub(fragment(c), 2)
  end
  return 200, "[" .. concat(parts, ",") .. "]", JSON_CT
end

local function update(req)
  local body, msg = schema.validate(req.body, UPDATE_BODY, "request body")
  if not body then return http.error(400, msg) end
  local id = req.params.id
  if not auth.allowed(req.user, req.space) then return http.error(403, "Unauthorized to update actions") end
  if preconfigured_by_id[id] then
    return http.error(400, "Preconfigured action " .. id .. " can not be updated.")
  end
  local c = find_connector(req.space, id)
  if not c then return not_found(id) end
  local t = types.get(c.connector_type_id)
  local cfg, sec
  cfg, sec, msg = validate_type_data(t, body.config, body.secrets)
  if not cfg then return http.error(400, msg) end
  c.name, c.config, c.secrets = body.name, cfg, sec
  c._json, c._sort_key = nil, nil
  store.touch_connectors()
  return 200, connector_out(c)
end

local function delete(req)
  local id = req.params.id
  if not auth.allowed(req.user, req.space) then return http.error(403, "Unauthorized to delete actions") end
  if preconfigured_by_id[id] then
    return http.error(400, "Preconfigured action " .. id .. " is not allowed to delete.")
  end
  local t = store.connectors_in(req.space)
  if not t or not t[id] then return not_found(id) end
  t[id] = nil
  store.touch_connectors()
  return 204
end

local function execute(req)
  local body, msg = schema.validate(req.body, EXECUTE_BODY, "request body")
  if not body then return http.error(400, msg) end
  if not auth.allowed(req.user, req.space) then return http.error(403, "Unauthorized to execute actions") end
  local id = req.params.id
  local c = find_connector(req.space, id)
  if not c then return not_found(id) end
  local t = types.get(c.connector_type_id)
  local params
  params, msg = types.validate_params(t, body.params)
  if not params then
    return 200, { status = "error", connector_id = id, message = msg, retry = false, errorSource = "user" }
  end
  return 200, t.execute(c, params)
end

-- connectorTypesQuerySchemaV1: a strict object with one optional string
local TYPES_QUERY = s.object({ feature_id = s.maybe(s.string()) })

local function list_types(req)
  local q, msg = schema.validate(req.query, TYPES_QUERY, "request query")
  if not q then return http.error(400, msg) end
  local feature = q.feature_id
  local out = json.array()
  for _, t in ipairs(types.list) do
    -- the type registry filters only on a truthy featureId: `?feature_id=` lists all
    local ok = feature == nil or feature == ""
    if not ok then
      for _, f in ipairs(t.supported_feature_ids) do
        if f == feature then ok = true; break end
      end
    end
    if ok then out[#out + 1] = types.describe(t) end
  end
  return 200, out
end

local ID = { param = "id" }
return {
  { method = "POST", path = { "api", "actions", "connector", { param = "id", optional = true } }, handler = create },
  { method = "GET", path = { "api", "actions", "connector", ID }, handler = get_one },
  { method = "GET", path = { "api", "actions", "connectors" }, handler = get_all },
  { method = "PUT", path = { "api", "actions", "connector", ID }, handler = update },
  { method = "DELETE", path = { "api", "actions", "connector", ID }, handler = delete },
  { method = "POST", path = { "api", "actions", "connector", ID, "_execute" }, handler = execute },
  { method = "GET", path = { "api", "actions", "connector_types" }, handler = list_types },
}
