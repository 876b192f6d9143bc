-- kibana: a Kibana REST API client for Lua, with its core in C.
--
--   local kibana = require "kibana"
--   local client = kibana.new("http://localhost:5601", { api_key = os.getenv("KIBANA_API_KEY") })
--   local conn = client.actions:create{ name = "logs", connector_type_id = ".index",
--                                       config = { index = "logs" }, space_id = "marketing" }
--
-- Module fields: new, null, array, is_array, failures, split_export, errors,
-- VERSION. See DESIGN.md sections 4 and 5 for the contract.

local core = require "kibana.core"
local errors = require "kibana.errors"
local client = require "kibana.client"
local saved_objects = require "kibana.api.saved_objects"

local type = type
local pairs = pairs
local ipairs = ipairs
local table_sort = table.sort

local _M = {}

_M.VERSION = client.VERSION
_M.errors = errors
-- JSON null: decoded nulls are this value, and it encodes as null.
_M.null = core.null

-- kibana.new(url, opts) -> client. With no url, reads KIBANA_URL and
-- KIBANA_API_KEY or KIBANA_USERNAME + KIBANA_PASSWORD (at call time).
function _M.new(url, opts)
  return client.new(url, opts)
end

-- kibana.array(t) marks t (or a new table) as a JSON array, so that an empty
-- table is sent as [] rather than {}. Decoded arrays carry the mark already.
function _M.array(t)
  return core.array(t)
end

function _M.is_array(t)
  return core.is_array(t)
end

-- kibana.split_export(ndjson) -> objects, details
-- Decodes the text returned by saved_objects:export into a list of objects
-- and the trailing export-details record (nil when excluded).
_M.split_export = saved_objects.split_export

local null = core.null

local function present(v)
  return v ~= nil and v ~= null and v ~= false
end

local function add(out, item, err, space_id)
  out[#out + 1] = {
    type = type(item) == "table" and item.type or nil,
    id = type(item) == "table" and item.id or nil,
    error = err,
    space_id = space_id,
  }
end

local function list_of(v)
  if type(v) == "table" then
    return v
  end
  return {}
end

-- result[key] as a bulk answer's list, or nil. In a copy-to-spaces answer
-- every key is a space id ("statuses" and "saved_objects" are valid ones)
-- and every value a per-space result that has `success`.
local function bulk_list(result, key)
  local v = result[key]
  if type(v) == "table" and v.success == nil then
    return v
  end
  return nil
end

-- kibana.failures(result) -> list of {type, id, error, space_id?}
-- The failed items of a bulk, import or copy answer (all of which Kibana
-- sends as 200 with per-object errors inside):
--   bulk_create/bulk_get/bulk_update  saved_objects[i].error
--   bulk_resolve                      resolved_objects[i].saved_object.error
--   bulk_delete                       statuses[i].success == false
--   import / resolve_import_errors    errors[i]
--   spaces copy / resolve copy errors {[space] = {errors = {...}}}  (space_id set)
-- Any other value (true, a find result without errors) gives an empty list.
function _M.failures(result)
  local out = {}
  if type(result) ~= "table" then
    return out
  end
  local recognised = false
  if bulk_list(result, "saved_objects") then
    recognised = true
    for _, item in ipairs(result.saved_objects) do
      if type(item) == "table" and present(item.error) then
        add(out, item, item.error)
      end
    end
  end
  if bulk_list(result, "resolved_objects") then
    recognised = true
    for _, r in ipairs(result.resolved_objects) do
      local so = type(r) == "table" and r.saved_object
      if type(so) == "table" and present(so.error) then
        add(out, so, so.error)
      end
    end
  end
  if bulk_list(result, "statuses") then
    recognised = true
    for _, st in ipairs(result.statuses) do
      if type(st) == "table" and st.success == false then
        add(out, st, st.error)
      end
    end
  end
  if type(result.success) == "boolean" and result.errors ~= nil then
    -- import: errors entries are {id, type, meta, error} or, for a failure of
    -- the whole import, a bare {statusCode, error, message}
    recognised = true
    for _, e in ipairs(list_of(result.errors)) do
      if type(e) == "table" then
        add(out, e, (type(e.error) == "table" or e.type ~= nil) and e.error or e)
      end
    end
  end
  if not recognised then
    -- copy to spaces: {[space_id] = {success, successCount, errors?}}
    local spaces = {}
    for space_id, r in pairs(result) do
      if type(space_id) == "string" and type(r) == "table" and r.success ~= nil then
        spaces[#spaces + 1] = space_id
      end
    end
    table_sort(spaces)
    for _, space_id in ipairs(spaces) do
      for _, e in ipairs(list_of(result[space_id].errors)) do
        if type(e) == "table" then
          add(out, e, (type(e.error) == "table" or e.type ~= nil) and e.error or e, space_id)
        end
      end
    end
  end
  return out
end

return _M
