-- emu/routes/spaces.lua: the Spaces API (BEHAVIOUR §3).
--
--   POST   /api/spaces/space                       create (versioned)
--   GET    /api/spaces/space                       list, sorted by name (versioned)
--   GET    /api/spaces/space/{id}                  get (versioned)
--   PUT    /api/spaces/space/{id}                  update (versioned)
--   DELETE /api/spaces/space/{id}                  delete, with its objects (versioned)
--   POST   /api/spaces/_copy_saved_objects         copy objects from the URL's space
--   POST   /api/spaces/_resolve_copy_saved_objects_errors
--   POST   /api/spaces/_update_objects_spaces      share / unshare (emu.objects does the work)
--   POST   /api/spaces/_get_shareable_references
--   POST   /api/spaces/_disable_legacy_url_aliases (204)
-- The management routes are global: the /s/<id> prefix does not change them.

local json = require "emu.json"
local http = require "emu.http"
local schema = require "emu.schema"
local store = require "emu.store"
local auth = require "emu.auth"
local util = require "emu.util"

local type, pairs, ipairs, pcall, tostring, sort = type, pairs, ipairs, pcall, tostring, table.sort
local ngx = ngx
local find, sub = string.find, string.sub

local s = schema

local MAX_SPACE_INITIALS = 2
local MAX_DISABLED_FEATURES = 100
local MAX_EXCEEDED = "Unable to create Space, this exceeds the maximum number of spaces set by the " ..
                     "xpack.spaces.maxSpaces setting"

local function valid_space_id(v) return find(v, "^[a-z0-9_%-]+$") ~= nil end

local function literals(list)
  local out = {}
  for i, v in ipairs(list) do out[i] = s.literal(v) end
  return s.oneOf(out)
end

local SPACE_BODY = s.object({
  id = s.string{ validate = function(v)
    if not valid_space_id(v) then return "must be lower case, a-z, 0-9, '_', and '-' are allowed" end
  end },
  name = s.string{ min = 1 },
  description = s.maybe(s.string()),
  initials = s.maybe(s.string{ max = MAX_SPACE_INITIALS }),
  color = s.maybe(s.string{ validate = function(v)
    if not find(v, "^#[a-zA-Z0-9][a-zA-Z0-9][a-zA-Z0-9][a-zA-Z0-9][a-zA-Z0-9][a-zA-Z0-9]$") then
      return "must be a 6 digit hex color, starting with a #"
    end
  end }),
  disabledFeatures = s.array(s.string(), { default = json.array(), max = MAX_DISABLED_FEATURES }),
  _reserved = s.maybe(s.boolean()),
  imageUrl = s.maybe(s.string{ validate = function(v)
    if v ~= "" and (sub(v, 1, 10) ~= "data:image" or find(v, "[\r\n]")) then
      return "must start with 'data:image'"
    end
  end }),
  solution = s.maybe(literals{ "security", "oblt", "es", "classic" }),
}, { order = { "id", "name", "description", "initials", "color", "disabledFeatures", "_reserved",
               "imageUrl", "solution" } })

local GET_ALL_QUERY = s.object({
  purpose = s.maybe(literals{ "any", "copySavedObjectsIntoSpace", "shareSavedObjectsIntoSpace" }),
  include_authorized_purposes = s.maybe(s.boolean()),
}, {
  order = { "purpose", "include_authorized_purposes" },
  validate = function(q)
    if q.purpose ~= nil and q.include_authorized_purposes == true then
      return "include_authorized_purposes can only be false when purpose is specified"
    end
  end,
})

local SPACE_ID_ITEM = s.string{ validate = function(v)
  if not valid_space_id(v) then return 'lower case, a-z, 0-9, "_", and "-" are allowed' end
end }

local function unique_objects(list)
  local seen = {}
  for _, o in ipairs(list) do
    local key = o.type .. "\0" .. o.id
    if seen[key] then return "duplicate objects are not allowed" end
    seen[key] = true
  end
end

local OBJECT_REF = s.object({ type = s.string(), id = s.string() }, { order = { "type", "id" } })

local COPY_BODY = s.object({
  spaces = s.array(SPACE_ID_ITEM, { validate = function(ids)
    local seen = {}
    for _, id in ipairs(ids) do
      if seen[id] then return "duplicate space ids are not allowed" end
      seen[id] = true
    end
  end }),
  objects = s.array(OBJECT_REF, { validate = unique_objects }),
  includeReferences = s.boolean{ default = false },
  overwrite = s.boolean{ default = false },
  createNewCopies = s.boolean{ default = true },
  compatibilityMode = s.boolean{ default = false },
}, {
  order = { "spaces", "objects", "includeReferences", "overwrite", "createNewCopies", "compatibilityMode" },
  validate = function(b)
    if b.overwrite and b.createNewCopies then return "cannot use [overwrite] with [createNewCopies]" end
    if b.compatibilityMode and b.createNewCopies then
      return "cannot use [compatibilityMode] with [createNewCopies]"
    end
  end,
})

local RETRY = s.object({
  type = s.string(),
  id = s.string(),
  overwrite = s.boolean{ default = false },
  destinationId = s.maybe(s.string()),
  createNewCopy = s.maybe(s.boolean()),
  ignoreMissingReferences = s.maybe(s.boolean()),
}, { order = { "type", "id", "overwrite", "destinationId", "createNewCopy", "ignoreMissingReferences" } })

local RESOLVE_BODY = s.object({
  retries = s.record(s.string{ validate = function(id)
    if not valid_space_id(id) then return "Invalid space id: " .. id end
  end }, s.array(RETRY)),
  objects = s.array(OBJECT_REF, { validate = unique_objects }),
  includeReferences = s.boolean{ default = false },
  createNewCopies = s.boolean{ default = true },
  compatibilityMode = s.boolean{ default = false },
}, {
  order = { "retries", "objects", "includeReferences", "createNewCopies", "compatibilityMode" },
  validate = function(b)
    if b.createNewCopies and b.compatibilityMode then
      return "cannot use [createNewCopies] with [compatibilityMode]"
    end
  end,
})

local SHARE_SPACES = s.array(s.string{ validate = function(v)
  if v ~= "*" and not valid_space_id(v) then return 'lower case, a-z, 0-9, "_", and "-" are allowed, OR "*"' end
end }, { validate = function(ids)
  local seen = {}
  for _, id in ipairs(ids) do
    if seen[id] then return "duplicate space ids are not allowed" end
    seen[id] = true
  end
end })

local UPDATE_OBJECTS_SPACES_BODY = s.object({
  objects = s.array(OBJECT_REF),
  spacesToAdd = SHARE_SPACES,
  spacesToRemove = SHARE_SPACES,
}, { order = { "objects", "spacesToAdd", "spacesToRemove" } })

local SHAREABLE_REFERENCES_BODY = s.object({ objects = s.array(OBJECT_REF) })

local DISABLE_ALIASES_BODY = s.object({
  aliases = s.array(s.object({ targetSpace = s.string(), targetType = s.string(), sourceId = s.string() },
                             { order = { "targetSpace", "targetType", "sourceId" } })),
})

---------------------------------------------------------------------------

local OUT_FIELDS = { "id", "name", "description", "color", "initials", "imageUrl", "solution" }

-- the response shape: undefined fields omitted (BEHAVIOUR §3, §7.8)
local function space_out(space, purposes)
  local o = {}
  for _, f in ipairs(OUT_FIELDS) do
    if space[f] ~= nil then o[f] = space[f] end
  end
  local df = json.array()
  for i, v in ipairs(space.disabledFeatures or {}) do df[i] = v end
  o.disabledFeatures = df
  if space._reserved then o._reserved = true end
  if purposes then
    o.authorizedPurposes = { any = true, copySavedObjectsIntoSpace = true, findSavedObjects = true,
                             shareSavedObjectsIntoSpace = true }
  end
  return o
end

local function apply_fields(space, body)
  for _, f in ipairs(store.SPACE_FIELDS) do
    if body[f] ~= nil then space[f] = body[f] end
  end
  local df = json.array()
  for i, v in ipairs(body.disabledFeatures or {}) do df[i] = v end
  space.disabledFeatures = df
end

local function create_space(req)
  local body, msg = schema.validate(req.body, SPACE_BODY, "request body")
  if not body then return http.error(400, msg) end
  if not auth.unrestricted(req.user) then return http.error(403, "Unauthorized to create spaces") end
  if store.space_count() >= (store.config.max_spaces or 1000) then return http.error(400, MAX_EXCEEDED) end
  if store.spaces[body.id] then
    return http.error(409, "A space with the identifier " .. body.id .. " already exists.")
  end
  local space = { id = body.id }
  apply_fields(space, body)
  space.name = util.trim(body.name)
  store.spaces[space.id] = space
  return 200, space_out(space)
end

local function get_all(req)
  local q, msg = schema.validate(req.query, GET_ALL_QUERY, "request query")
  if not q then return http.error(400, msg) end
  local list = {}
  for id, space in pairs(store.spaces) do
    if auth.allowed(req.user, id) then list[#list + 1] = space end
  end
  if #list == 0 then return http.error(403, "Forbidden") end
  sort(list, function(a, b)
    if a.name ~= b.name then return a.name < b.name end
    return a.id < b.id
  end)
  local out = json.array()
  local purposes = q.include_authorized_purposes == true
  for i, space in ipairs(list) do out[i] = space_out(space, purposes) end
  return 200, out
end

local function get_one(req)
  local id = req.params.id
  if not auth.allowed(req.user, id) then return http.error(403, "Unauthorized to get " .. id .. " space") end
  local space = store.spaces[id]
  if not space then return http.error(404) end
  return 200, space_out(space)
end

local function update_space(req)
  local body, msg = schema.validate(req.body, SPACE_BODY, "request body")
  if not body then return http.error(400, msg) end
  if not auth.unrestricted(req.user) then return http.error(403, "Unauthorized to update spaces") end
  local space = store.spaces[req.params.id]
  if not space then return http.error(404) end
  -- a partial update of the stored attributes: fields left out keep their value
  apply_fields(space, body)
  return 200, space_out(space)
end

local function delete_space(req)
  if not auth.unrestricted(req.user) then return http.error(403, "Unauthorized to delete spaces") end
  local id = req.params.id
  local space = store.spaces[id]
  if not space then return http.error(404) end
  if space._reserved then
    return http.error(400, "The " .. id .. " space cannot be deleted because it is reserved.")
  end
  store.delete_space(id)
  return 204
end

local function forbidden_space_result(types)
  return {
    success = false,
    successCount = 0,
    errors = json.array{ { statusCode = 403, error = "Forbidden", message = "Unable to bulk_create " .. types } },
  }
end

local function sorted_types(objects)
  local seen, list = {}, {}
  for _, o in ipairs(objects) do
    if not seen[o.type] then seen[o.type] = true; list[#list + 1] = o.type end
  end
  sort(list)
  return table.concat(list, ",")
end

-- run a copy-like operation for the allowed destinations; others fail with 403
local function copy_like(req, dest_spaces, run)
  if not auth.allowed(req.user, req.space) then return http.error(403, "Forbidden") end
  local allowed, denied = {}, {}
  for _, id in ipairs(dest_spaces) do
    if auth.allowed(req.user, id) then allowed[#allowed + 1] = id else denied[#denied + 1] = id end
  end
  local result = {}
  if #allowed > 0 then
    local r, status, message, attributes = run(allowed)
    if r == nil then return http.error(status or 500, message, attributes) end
    result = r
  end
  for _, id in ipairs(denied) do result[id] = forbidden_space_result(sorted_types(req.body.objects or {})) end
  return 200, result
end

local function not_found_objects(objects)
  local list = json.array()
  for i, o in ipairs(objects) do list[i] = { id = o.id, type = o.type } end
  return nil, 404, "Saved objects not found", { objects = list }
end

local function copy_saved_objects(req)
  local body, msg = schema.validate(req.body, COPY_BODY, "request body")
  if not body then return http.error(400, msg) end
  local objects = store.objects()
  return copy_like(req, body.spaces, function(dest)
    if not objects or not objects.copy_to_spaces then return not_found_objects(body.objects) end
    return objects.copy_to_spaces(req.space, body.objects, dest, {
      includeReferences = body.includeReferences,
      overwrite = body.overwrite,
      createNewCopies = body.createNewCopies,
      compatibilityMode = body.compatibilityMode,
    })
  end)
end

local function resolve_copy_errors(req)
  local body, msg = schema.validate(req.body, RESOLVE_BODY, "request body")
  if not body then return http.error(400, msg) end
  local dest = {}
  for id in pairs(body.retries) do dest[#dest + 1] = id end
  sort(dest)
  local objects = store.objects()
  return copy_like(req, dest, function(allowed)
    if not objects or not objects.resolve_copy_errors then return not_found_objects(body.objects) end
    local retries = {}
    for _, id in ipairs(allowed) do retries[id] = body.retries[id] end
    return objects.resolve_copy_errors(req.space, body.objects, retries, {
      includeReferences = body.includeReferences,
      createNewCopies = body.createNewCopies,
      compatibilityMode = body.compatibilityMode,
    })
  end)
end

-- repository(name, ...) -> status, body: runs emu.objects[name], which answers
-- result | nil, Boom payload
local function repository(name, ...)
  local objects = store.objects()
  if not objects or not objects[name] then return http.error(404) end
  local ok, result, payload = pcall(objects[name], ...)
  if not ok then
    ngx.log(ngx.ERR, "emu.objects.", name, " failed: ", tostring(result))
    return http.error(500, http.INTERNAL_ERROR_MESSAGE)
  end
  if result == nil then
    if type(payload) == "table" and payload.statusCode then return payload.statusCode, payload end
    return http.error(500, http.INTERNAL_ERROR_MESSAGE)
  end
  return 200, result
end

-- share_forbidden(req, objects, spaces) -> status, body | nil: a principal limited to
-- some spaces lacks the `share_to_space` saved-object privilege elsewhere; Kibana's
-- security extension (authzAction of UPDATE_OBJECTS_SPACES and of
-- COLLECT_MULTINAMESPACE_REFERENCES_UPDATE_SPACES) then answers
-- 403 `Unable to share_to_space <sorted types>` (BEHAVIOUR §2.5 saved-objects row)
local function share_forbidden(req, objs, spaces)
  if req.user == nil or auth.unrestricted(req.user) then return nil end
  local denied = not auth.allowed(req.user, req.space)
  for _, id in ipairs(spaces or {}) do
    if not auth.allowed(req.user, id) then denied = true end
  end
  if not denied then return nil end
  local objects = store.objects()
  local seen, list = {}, {}
  for _, o in ipairs(objs) do
    if not seen[o.type] and (not objects or objects.is_allowed(o.type)) then
      seen[o.type] = true
      list[#list + 1] = o.type
    end
  end
  if #list == 0 then return nil end
  sort(list)
  return http.error(403, "Unable to share_to_space " .. table.concat(list, ","))
end

local function update_objects_spaces(req)
  local body, msg = schema.validate(req.body, UPDATE_OBJECTS_SPACES_BODY, "request body")
  if not body then return http.error(400, msg) end
  local spaces = {}
  for _, id in ipairs(body.spacesToAdd) do spaces[#spaces + 1] = id end
  for _, id in ipairs(body.spacesToRemove) do spaces[#spaces + 1] = id end
  local st, fb = share_forbidden(req, body.objects, spaces)
  if st then return st, fb end
  return repository("update_objects_spaces", req.space, body.objects, body.spacesToAdd, body.spacesToRemove)
end

local function get_shareable_references(req)
  local body, msg = schema.validate(req.body, SHAREABLE_REFERENCES_BODY, "request body")
  if not body then return http.error(400, msg) end
  local st, fb = share_forbidden(req, body.objects)
  if st then return st, fb end
  return repository("get_shareable_references", req.space, body.objects)
end

local function disable_legacy_url_aliases(req)
  local body, msg = schema.validate(req.body, DISABLE_ALIASES_BODY, "request body")
  if not body then return http.error(400, msg) end
  local status, result = repository("disable_legacy_url_aliases", body.aliases)
  if status == 200 then return 204 end
  return status, result
end

local ID = { param = "id" }
return {
  { method = "POST", path = { "api", "spaces", "space" }, handler = create_space, versioned = true },
  { method = "GET", path = { "api", "spaces", "space" }, handler = get_all, versioned = true },
  { method = "GET", path = { "api", "spaces", "space", ID }, handler = get_one, versioned = true },
  { method = "PUT", path = { "api", "spaces", "space", ID }, handler = update_space, versioned = true },
  { method = "DELETE", path = { "api", "spaces", "space", ID }, handler = delete_space, versioned = true },
  { method = "POST", path = { "api", "spaces", "_copy_saved_objects" }, handler = copy_saved_objects },
  { method = "POST", path = { "api", "spaces", "_resolve_copy_saved_objects_errors" },
    handler = resolve_copy_errors },
  { method = "POST", path = { "api", "spaces", "_update_objects_spaces" }, handler = update_objects_spaces },
  { method = "POST", path = { "api", "spaces", "_get_shareable_references" }, handler = get_shareable_references },
  { method = "POST", path = { "api", "spaces", "_disable_legacy_url_aliases" },
    handler = disable_legacy_url_aliases },
}
