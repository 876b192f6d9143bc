-- emu/objects_bulk.lua - the bulk saved-object operations of the emulator (BEHAVIOUR §6):
-- every item is handled like its single-object counterpart in emu.objects; a failed item
-- becomes its Boom payload inside the 200 answer, in request order. Pure Lua (no ngx).
local ipairs = ipairs

local objects = require("emu.objects")

local _M = {}

local array, errors = objects.array, objects.errors

--- _bulk_create: items {type, id?, attributes, version?, references?, initialNamespaces?,
-- managed?} -> saved_objects list (object or {type, id, error}).
function _M.bulk_create(space, items, overwrite)
    local out = array()
    for i, item in ipairs(items) do
        local obj, err = objects.create(space, item.type, item.attributes, {
            id = item.id,
            overwrite = overwrite,
            version = item.version,
            references = item.references,
            initialNamespaces = item.initialNamespaces,
            managed = item.managed,
        })
        if obj then
            out[i] = obj
        else
            -- the id as requested: absent when none was given (Kibana: left({ id: requestId, ... }))
            out[i] = { type = item.type, id = item.id, error = err }
        end
    end
    return out
end

--- The spaces a _bulk_get item is looked up in -> list | nil (none) | nil, error payload.
local function bulk_get_spaces(space, item)
    local ns = item.namespaces
    if not ns then return { space } end
    if #ns == 0 then return nil end
    local star = false
    for _, s in ipairs(ns) do if s == "*" then star = true end end
    if not objects.is_shareable(item.type) and (#ns > 1 or star) then
        return nil, errors.bad_request(
            '"namespaces" can only specify a single space when used with space-isolated types')
    end
    return ns
end

--- _bulk_get: items {type, id, fields?, namespaces?} -> saved_objects list.
function _M.bulk_get(space, items)
    local out = array()
    for i, item in ipairs(items) do
        local t, id = item.type, item.id
        if not objects.is_allowed(t) then
            out[i] = { type = t, id = id, error = errors.unsupported_type(t) }
        else
            local spaces, err = bulk_get_spaces(space, item)
            local rec
            for _, s in ipairs(spaces or {}) do
                if s == "*" then rec = objects.lookup_any(space, t, id) else rec = objects.lookup(s, t, id) end
                if rec then break end
            end
            if err then
                out[i] = { type = t, id = id, error = err }
            elseif rec then
                out[i] = objects.render(rec, { fields = item.fields })
            else
                out[i] = { type = t, id = id, error = errors.not_found(t, id) }
            end
        end
    end
    return out
end

--- _bulk_resolve: items {type, id} -> resolved_objects list; a failed item is
-- {saved_object = {type, id, error}, outcome = "exactMatch"}.
function _M.bulk_resolve(space, items)
    local out = array()
    for i, item in ipairs(items) do
        local res, err
        if not objects.is_allowed(item.type) then
            err = errors.unsupported_type(item.type)
        else
            res, err = objects.resolve(space, item.type, item.id)
        end
        if res then
            out[i] = res
        else
            out[i] = { saved_object = { type = item.type, id = item.id, error = err }, outcome = "exactMatch" }
        end
    end
    return out
end

--- _bulk_update: items {type, id, attributes, version?, references?, namespace?}.
function _M.bulk_update(space, items)
    local out = array()
    for i, item in ipairs(items) do
        local res, err = objects.update(space, item.type, item.id, item.attributes, {
            version = item.version, references = item.references, namespace = item.namespace,
        })
        if res then
            out[i] = res
        else
            out[i] = { type = item.type, id = item.id, error = err }
        end
    end
    return out
end

--- _bulk_delete: items {type, id} -> statuses list.
function _M.bulk_delete(space, items, force)
    local out = array()
    for i, item in ipairs(items) do
        local ok, err
        if not objects.is_allowed(item.type) then
            err = errors.unsupported_type(item.type)
        else
            ok, err = objects.delete(space, item.type, item.id, force)
        end
        if ok then
            out[i] = { id = item.id, type = item.type, success = true }
        else
            out[i] = { id = item.id, type = item.type, success = false, error = err }
        end
    end
    return out
end

return _M
