-- emu/objects_registry.lua - the saved-object type registry of the emulator and the Boom
-- error payloads the saved-objects code answers with (BEHAVIOUR §5.1, §2.5, §6).
--
-- Types as Kibana 8.15 registers them: namespace type ("single", "multiple-isolated",
-- shareable "multiple"), model version (typeMigrationVersion), management icon and title,
-- the default search field. `action` (connectors) is hidden from the saved-objects HTTP API.
-- Pure Lua (no ngx).
local pairs, tostring = pairs, tostring
local table_sort = table.sort

local _M = {}

_M.CORE_MIGRATION_VERSION = "8.8.0"
_M.MAX_RESULT_WINDOW = 10000          -- ES index.max_result_window
_M.MAX_IMPORT_EXPORT_SIZE = 10000     -- savedObjects.maxImportExportSize

local function title_attr(o) return o.attributes and o.attributes.title end

local TYPES = {
    ["dashboard"] = { ns = "multiple-isolated", tmv = "10.2.0", icon = "dashboardApp", search_field = "title" },
    ["visualization"] = { ns = "multiple-isolated", tmv = "8.5.0", icon = "visualizeApp", search_field = "title" },
    ["index-pattern"] = { ns = "multiple", tmv = "8.0.0", icon = "indexPatternApp", search_field = "title" },
    ["search"] = { ns = "multiple-isolated", tmv = "8.0.0", icon = "discoverApp", search_field = "title" },
    ["lens"] = { ns = "multiple-isolated", tmv = "8.9.0", icon = "lensApp", search_field = "title" },
    ["map"] = { ns = "multiple-isolated", tmv = "8.4.0", icon = "gisApp", search_field = "title" },
    ["config"] = { ns = "single", tmv = "8.9.0", search_field = "buildNum",
        get_title = function(o) return "Advanced Settings [" .. tostring(o.id) .. "]" end },
    ["tag"] = { ns = "multiple-isolated", tmv = "8.0.0", icon = "tag", search_field = "name",
        get_title = function(o) return o.attributes and o.attributes.name end },
    ["query"] = { ns = "multiple-isolated", tmv = "8.0.0", icon = "search", search_field = "title" },
    -- connectors: hidden from the saved-objects HTTP API (BEHAVIOUR §4, §2.5)
    ["action"] = { ns = "multiple-isolated", tmv = "8.0.0", hidden = true },
}
for name, t in pairs(TYPES) do
    t.name = name
    t.exportable = not t.hidden
    if not t.get_title then t.get_title = title_attr end
end

--- The registered type, or nil.
function _M.type_info(name) return TYPES[name] end

--- Registered and visible to the saved-objects HTTP API (not hidden).
function _M.is_allowed(name)
    local t = TYPES[name]
    return t ~= nil and not t.hidden
end

--- Multi-namespace ("multiple" or "multiple-isolated").
function _M.is_multi(name)
    local t = TYPES[name]
    return t ~= nil and (t.ns == "multiple" or t.ns == "multiple-isolated")
end

--- Shareable to several spaces ("multiple").
function _M.is_shareable(name)
    local t = TYPES[name]
    return t ~= nil and t.ns == "multiple"
end

--- Sorted names of the importable/exportable types.
function _M.exportable_types()
    local out = {}
    for name, t in pairs(TYPES) do
        if t.exportable then out[#out + 1] = name end
    end
    table_sort(out)
    return out
end

--- Title and icon as import/copy results report them (`meta`).
function _M.meta_for(obj)
    local t = TYPES[obj.type]
    if not t then
        return { title = obj.attributes and obj.attributes.title }
    end
    return { title = t.get_title(obj), icon = t.icon }
end

-- ---------------------------------------------------------------------------------------
-- Boom payloads (BEHAVIOUR §2.5, §6): {statusCode, error, message}
-- ---------------------------------------------------------------------------------------
local REASONS = {
    [400] = "Bad Request", [403] = "Forbidden", [404] = "Not Found", [409] = "Conflict",
    [415] = "Unsupported Media Type", [500] = "Internal Server Error",
}

local errors = {}
_M.errors = errors

function errors.boom(status, message)
    return { statusCode = status, error = REASONS[status] or "Error", message = message }
end
function errors.not_found(t, id)
    return errors.boom(404, "Saved object [" .. tostring(t) .. "/" .. tostring(id) .. "] not found")
end
function errors.conflict(t, id)
    return errors.boom(409, "Saved object [" .. tostring(t) .. "/" .. tostring(id) .. "] conflict")
end
--- SavedObjectsErrorHelpers.createBadRequestError: the reason gets ": Bad Request" appended.
function errors.bad_request(reason)
    return errors.boom(400, reason .. ": Bad Request")
end
function errors.unsupported_type(t)
    return errors.bad_request("Unsupported saved object type: '" .. tostring(t) .. "'")
end
function errors.invalid_version(v)
    return errors.boom(400, "Invalid version [" .. tostring(v) .. "]")
end

return _M
