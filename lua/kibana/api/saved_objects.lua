-- kibana.api.saved_objects: the saved objects API. Space-aware.
-- Endpoint tables (see lua/kibana/endpoint.lua) plus small helpers:
--   saved_objects:iter{type=, per_page=, ...}  walks every page of `find`
--   split_export(ndjson)                       decodes an export (kibana.split_export)
--   import / resolve_import_errors             multipart bodies from `objects` or `ndjson`

local core = require "kibana.core"
local errors = require "kibana.errors"
local multipart = require "kibana.multipart"
local endpoint = require "kibana.endpoint"

local type = type
local pairs = pairs
local tostring = tostring
local pcall = pcall
local tonumber = tonumber
local error = error
local string_format = string.format
local table_concat = table.concat

local _M = {}

_M.name = "saved_objects"

-- Kibana (Elasticsearch's index.max_result_window) refuses page*per_page > 10000.
_M.MAX_RESULT_WINDOW = 10000

local misuse = errors.misuse

local function encode_ndjson(objects, label)
  if type(objects) ~= "table" then
    misuse(string_format("bad argument 'objects' to %s (a list of tables is required, got %s)", label, type(objects)), "objects")
  end
  local lines = {}
  for i = 1, #objects do
    local o = objects[i]
    if type(o) ~= "table" then
      misuse(string_format("bad argument 'objects' to %s (item [%d] is a %s, a table is required)", label, i, type(o)), "objects")
    end
    local ok, line = pcall(core.json_encode, o)
    if not ok then
      misuse(string_format("%s: cannot encode objects[%d] as JSON: %s", label, i, tostring(line)), "objects")
    end
    lines[#lines + 1] = line
  end
  return table_concat(lines, "\n") .. "\n"
end
_M.encode_ndjson = encode_ndjson

-- The file part of an import: exactly one of `objects` (list of tables) or
-- `ndjson` (text); `filename` must end in .ndjson (default "import.ndjson").
local function file_part(params, label)
  local data
  if params.objects ~= nil and params.ndjson ~= nil then
    misuse(label .. ": give either 'objects' or 'ndjson', not both", "objects")
  elseif params.objects ~= nil then
    data = encode_ndjson(params.objects, label)
  elseif params.ndjson ~= nil then
    if type(params.ndjson) ~= "string" then
      misuse(string_format("bad argument 'ndjson' to %s (string expected, got %s)", label, type(params.ndjson)), "ndjson")
    end
    data = params.ndjson
  else
    misuse(label .. ": 'objects' (a list of tables) or 'ndjson' (text) is required", "objects")
  end
  local filename = params.filename or "import.ndjson"
  if type(filename) ~= "string" or not filename:find("%.ndjson$") then
    misuse(string_format("bad argument 'filename' to %s (must be a string ending in .ndjson, got %s)", label,
      tostring(filename)), "filename")
  end
  return { name = "file", filename = filename, content_type = "application/ndjson", data = data }
end

local function import_body(params, label)
  return multipart.encode({ file_part(params, label) })
end

local function resolve_import_body(params, label)
  local retries = params.retries
  if type(retries) ~= "table" then
    misuse(string_format("bad argument 'retries' to %s (a list is required, got %s)", label, type(retries)), "retries")
  end
  local ok, json = pcall(core.json_encode, endpoint.as_array(retries))
  if not ok then
    misuse(string_format("%s: cannot encode 'retries' as JSON: %s", label, tostring(json)), "retries")
  end
  return multipart.encode({
    file_part(params, label),
    { name = "retries", data = json },
  })
end

_M.endpoints = {
  create = {
    method = "POST",
    path = { "/api/saved_objects/{type}/{id}", "/api/saved_objects/{type}" },
    query = { "overwrite" },
    body = { "attributes", "references", "initialNamespaces", "migrationVersion",
             "coreMigrationVersion", "typeMigrationVersion" },
    array_body = { references = true, initialNamespaces = true },
    destinations = { list = "initialNamespaces" },
  },
  get = {
    method = "GET",
    path = "/api/saved_objects/{type}/{id}",
    positional = { "type", "id" },
  },
  resolve = {
    method = "GET",
    path = "/api/saved_objects/resolve/{type}/{id}",
    positional = { "type", "id" },
  },
  find = {
    method = "GET",
    path = "/api/saved_objects/_find",
    query = { "type", "search", "default_search_operator", "search_fields", "page", "per_page",
              "sort_field", "sort_order", "fields", "has_reference", "has_reference_operator",
              "has_no_reference", "has_no_reference_operator", "namespaces", "filter", "aggs" },
    json_query = { has_reference = true, has_no_reference = true, aggs = true },
  },
  update = {
    method = "PUT",
    path = "/api/saved_objects/{type}/{id}",
    positional = { "type", "id" },
    body = { "attributes", "version", "references", "upsert" },
    array_body = { references = true },
  },
  delete = {
    method = "DELETE",
    path = "/api/saved_objects/{type}/{id}",
    positional = { "type", "id" },
    query = { "force" },
  },
  bulk_create = {
    method = "POST",
    path = "/api/saved_objects/_bulk_create",
    query = { "overwrite" },
    body_param = "objects",
    item_arrays = { "references", "initialNamespaces" },
    destinations = { item_list = "initialNamespaces" },
  },
  bulk_get = {
    method = "POST",
    path = "/api/saved_objects/_bulk_get",
    body_param = "objects",
    item_arrays = { "fields", "namespaces" },
  },
  bulk_update = {
    method = "PUT",
    path = "/api/saved_objects/_bulk_update",
    body_param = "objects",
    item_arrays = { "references" },
  },
  bulk_delete = {
    method = "POST",
    path = "/api/saved_objects/_bulk_delete",
    query = { "force" },
    body_param = "objects",
  },
  bulk_resolve = {
    method = "POST",
    path = "/api/saved_objects/_bulk_resolve",
    body_param = "objects",
  },
  -- Returns the NDJSON text; kibana.split_export(text) decodes it.
  export = {
    method = "POST",
    path = "/api/saved_objects/_export",
    body = { "type", "objects", "search", "hasReference", "includeReferencesDeep", "excludeExportDetails" },
    array_body = { objects = true },
    response = "text",
  },
  import = {
    method = "POST",
    path = "/api/saved_objects/_import",
    query = { "overwrite", "createNewCopies", "compatibilityMode" },
    allowed = { "objects", "ndjson", "filename" },
    build_body = import_body,
  },
  resolve_import_errors = {
    method = "POST",
    path = "/api/saved_objects/_resolve_import_errors",
    query = { "createNewCopies", "compatibilityMode" },
    allowed = { "objects", "ndjson", "filename", "retries" },
    build_body = resolve_import_body,
  },
}

-- split_export(ndjson) -> objects, details
-- Decodes an export: `objects` is the list of saved objects, `details` the
-- trailing export-details line ({exportedCount, missingRefCount, ...}) or nil.
-- Raises a ResponseError naming the line when a line is not JSON.
function _M.split_export(text)
  if type(text) ~= "string" then
    misuse("split_export expects the NDJSON text returned by saved_objects:export, got " .. type(text))
  end
  local objects, details = {}, nil
  local n = 0
  for line in text:gmatch("[^\r\n]+") do
    n = n + 1
    if line:find("%S") then
      local obj, err = core.json_decode(line)
      if obj == nil then
        error(errors.ResponseError({ message = string_format("export line %d is not JSON: %s", n, tostring(err)) }), 0)
      end
      if type(obj) == "table" and obj.exportedCount ~= nil and obj.type == nil then
        details = obj
      else
        objects[#objects + 1] = obj
      end
    end
  end
  return objects, details
end

-- Helpers exposed as namespace methods: helper(ns, ...) where `ns` is the
-- bound namespace (ns:find(...) runs through the client).
_M.helpers = {}

-- for obj in c.saved_objects:iter{type = "dashboard", per_page = 100} do ... end
-- Walks every page of `find`. Errors always raise (a for loop has no place for
-- them), also with raise = false. Stops with a ValidationError before asking
-- for a page beyond Kibana's 10000-result window.
function _M.helpers.iter(ns, params)
  local label = "saved_objects:iter"
  if params == nil then params = {} end
  if type(params) ~= "table" then
    misuse(label .. " expects a table of named parameters, got " .. type(params))
  end
  local q = {}
  for k, v in pairs(params) do q[k] = v end
  local per_page = q.per_page or 100
  local page = q.page or 1
  if type(per_page) ~= "number" or per_page < 1 or per_page % 1 ~= 0 then
    misuse(string_format("bad argument 'per_page' to %s (a positive whole number is required, got %s)", label, tostring(per_page)), "per_page")
  end
  if type(page) ~= "number" or page < 1 or page % 1 ~= 0 then
    misuse(string_format("bad argument 'page' to %s (a positive whole number is required, got %s)", label, tostring(page)), "page")
  end
  local buf, idx, done = nil, 1, false
  local seen, total = (page - 1) * per_page, nil
  return function()
    while true do
      if buf and idx <= #buf then
        idx = idx + 1
        return buf[idx - 1]
      end
      if done then
        return nil
      end
      if page * per_page > _M.MAX_RESULT_WINDOW then
        error(errors.ValidationError({
          message = string_format("%s cannot read past Kibana's %d-result window: page %d with per_page %d "
            .. "would reach result %d%s; use saved_objects:export to read every object", label,
            _M.MAX_RESULT_WINDOW, page, per_page, page * per_page,
            total and string_format(" of %d", total) or ""),
          space_id = q.space_id or ns._space_id,
        }), 0)
      end
      q.page = page
      q.per_page = per_page
      local res, err = ns:find(q)
      if res == nil then
        error(err, 0)
      end
      buf = type(res) == "table" and res.saved_objects or {}
      idx = 1
      total = type(res) == "table" and tonumber(res.total) or nil
      seen = seen + #buf
      if #buf == 0 or #buf < per_page or (total and seen >= total) then
        done = true
      end
      page = page + 1
    end
  end
end

return _M
