-- emu/objects_spaces.lua - what the Spaces API does to saved objects (BEHAVIOUR §3.1, §3.4):
-- deleting a space's objects, counting references (connectors' referenced_by_count),
-- sharing objects to spaces (_update_objects_spaces), collecting shareable references
-- (_get_shareable_references) and disabling legacy URL aliases. Reached through emu.objects.
-- Pure Lua (no ngx).
local ipairs, pairs = ipairs, pairs
local table_sort, table_remove = table.sort, table.remove

local objects = require("emu.objects")

local _M = {}

local array, errors = objects.array, objects.errors

--- deleteByNamespace: single-namespace objects of the space are deleted; multi-namespace
-- objects lose the space and are deleted when none remains; the space's aliases go too.
function _M.delete_namespace(space)
    for _, rec in ipairs(objects.records()) do
        if rec.namespace then
            if rec.namespace == space then objects.remove_record(rec) end
        else
            for i = #rec.namespaces, 1, -1 do
                if rec.namespaces[i] == space then table_remove(rec.namespaces, i) end
            end
            if #rec.namespaces == 0 then objects.remove_record(rec) end
        end
    end
    for _, a in ipairs(objects.aliases()) do
        if a.space == space then objects.set_alias_state(a.space, a.type, a.source_id, nil) end
    end
end

--- referenced_by_count of GET /api/actions/connectors: Kibana counts the documents
-- of the Kibana index with a reference {type, id}, with a match_all query as the
-- internal user, so objects of every space count (actions plugin, get_all
-- injectExtraFindData: nested `references.id` + `references.type` filter
-- aggregations over `match_all`). One pass over the records, no sorting.
-- Returns id -> count (ids without references are absent); the table is cached
-- until the records change (objects.revision()): callers must not modify it.
local cache_rev, cache_type, cache_counts
function _M.reference_counts(ref_type)
    local rev = objects.revision()
    if cache_rev == rev and cache_type == ref_type then return cache_counts end
    local counts = {}
    objects.each_record(function(rec)
        local refs = rec.references
        if refs and refs[1] then
            local seen
            for _, r in ipairs(refs) do
                local id = r.id
                if r.type == ref_type and not (seen and seen[id]) then
                    counts[id] = (counts[id] or 0) + 1
                    seen = seen or {}
                    seen[id] = true
                end
            end
        end
    end)
    cache_rev, cache_type, cache_counts = rev, ref_type, counts
    return counts
end

--- Number of objects (in any space; `space` is kept for the callers) whose references
-- include {type, id}.
function _M.count_references(_, ref_type, ref_id)
    local n = 0
    objects.each_record(function(rec)
        for _, r in ipairs(rec.references or {}) do
            if r.type == ref_type and r.id == ref_id then
                n = n + 1
                break
            end
        end
    end)
    return n
end

-- ---------------------------------------------------------------------------------------
-- _update_objects_spaces
-- ---------------------------------------------------------------------------------------
--- Share/unshare objects. Returns {objects = [{type, id, spaces[, error]}]} | nil, payload.
function _M.update_objects_spaces(space, list, to_add, to_remove)
    if #to_add == 0 and #to_remove == 0 then
        return nil, errors.bad_request("spacesToAdd and/or spacesToRemove must be a non-empty array of strings")
    end
    local remove_set = {}
    for _, s in ipairs(to_remove) do remove_set[s] = true end
    for _, s in ipairs(to_add) do
        if remove_set[s] then
            return nil, errors.bad_request("spacesToAdd and spacesToRemove cannot contain any of the same strings")
        end
    end
    local out = array()
    for i, o in ipairs(list) do
        local rec = objects.is_allowed(o.type) and objects.lookup(space, o.type, o.id) or nil
        if not objects.is_allowed(o.type) then
            out[i] = { id = o.id, type = o.type, spaces = array(), error = errors.not_found(o.type, o.id) }
        elseif not objects.is_shareable(o.type) then
            out[i] = { id = o.id, type = o.type, spaces = array(),
                       error = errors.bad_request(o.type .. " doesn't support multiple namespaces") }
        elseif not rec then
            out[i] = { id = o.id, type = o.type, spaces = array(), error = errors.not_found(o.type, o.id) }
        else
            local add_left = {}
            for _, s in ipairs(to_add) do add_left[s] = true end
            local removed = false
            local updated = {}
            for _, ns in ipairs(rec.namespaces) do
                add_left[ns] = nil
                if remove_set[ns] then removed = true else updated[#updated + 1] = ns end
            end
            local added = false
            for _, s in ipairs(to_add) do
                if add_left[s] then
                    updated[#updated + 1] = s
                    add_left[s] = nil
                    added = true
                end
            end
            if added or removed then
                if #updated == 0 then
                    objects.remove_record(rec)
                else
                    rec.namespaces = updated
                    objects.touch(rec)
                end
            end
            out[i] = { id = o.id, type = o.type, spaces = array(objects.copy(updated)) }
        end
    end
    return { objects = out }
end

-- ---------------------------------------------------------------------------------------
-- _get_shareable_references (collectMultiNamespaceReferences, purpose updateObjectsSpaces)
-- ---------------------------------------------------------------------------------------
local function key_of(t, id) return t .. ":" .. id end

local function sorted_array(set)
    local list = {}
    for s in pairs(set) do list[#list + 1] = s end
    table_sort(list)
    return array(list)
end

--- The graph of shareable objects reachable from `list`. Returns {objects = [...]}: each
-- {type, id, spaces, inboundReferences, originId?, isMissing?, spacesWithMatchingAliases?,
-- spacesWithMatchingOrigins?}.
function _M.get_shareable_references(space, list)
    local order, inbound, found = {}, {}, {}
    local function note(t, id)
        local k = key_of(t, id)
        if not inbound[k] then
            inbound[k] = {}
            order[#order + 1] = { type = t, id = id, key = k }
        end
        return k
    end
    local queue = {}
    for _, o in ipairs(list) do
        note(o.type, o.id)
        if objects.is_allowed(o.type) and objects.is_shareable(o.type) then queue[#queue + 1] = o end
    end
    local visited = {}
    local i = 1
    while i <= #queue do
        local o = queue[i]
        i = i + 1
        local k = key_of(o.type, o.id)
        if not visited[k] then
            visited[k] = true
            local rec = objects.lookup(space, o.type, o.id)
            found[k] = rec or false
            if rec then
                for _, r in ipairs(rec.references or {}) do
                    if objects.is_allowed(r.type) and objects.is_shareable(r.type) then
                        local rk = note(r.type, r.id)
                        local seen = false
                        for _, ref in ipairs(inbound[rk]) do
                            if ref.type == rec.type and ref.id == rec.id then seen = true end
                        end
                        if not seen then inbound[rk][#inbound[rk] + 1] = { type = rec.type, id = rec.id, name = r.name } end
                        if not visited[rk] then queue[#queue + 1] = { type = r.type, id = r.id } end
                    end
                end
            end
        end
    end
    local out = array()
    for n, entry in ipairs(order) do
        local rec = found[entry.key]
        local item = {
            type = entry.type, id = entry.id,
            spaces = array(rec and objects.rec_namespaces(rec) or {}),
            inboundReferences = array(inbound[entry.key]),
        }
        if rec == false then item.isMissing = true end
        if rec then
            item.originId = rec.originId
            local alias_spaces, has_alias = {}, false
            for _, a in ipairs(objects.aliases()) do
                if a.type == rec.type and a.target_id == rec.id and not a.disabled then
                    alias_spaces[a.space] = true
                    has_alias = true
                end
            end
            if has_alias then item.spacesWithMatchingAliases = sorted_array(alias_spaces) end
            local origin = rec.originId or rec.id
            local origin_spaces = {}
            for _, other in ipairs(objects.records()) do
                if other.type == rec.type and (other.id == origin or other.originId == origin) then
                    for _, ns in ipairs(objects.rec_namespaces(other)) do origin_spaces[ns] = true end
                end
            end
            item.spacesWithMatchingOrigins = sorted_array(origin_spaces)
        end
        out[n] = item
    end
    return { objects = out }
end

--- Disable legacy URL aliases: list of {targetSpace, targetType, sourceId}. Unknown aliases
-- are ignored (Kibana updates by query).
function _M.disable_legacy_url_aliases(aliases)
    for _, a in ipairs(aliases) do
        objects.set_alias_state(a.targetSpace, a.targetType, a.sourceId, true)
    end
    return true
end

return _M
