-- emu/objects_transfer.lua - export, import, resolve-import-errors and copy-to-space of
-- saved objects (BEHAVIOUR §5.2 import/export specifics, §3.1 copy, §6).
--
-- Follows Kibana's importer step by step: collect (unsupported types, limit, duplicates),
-- reference origins, missing references (index-pattern and search only), id regeneration
-- (createNewCopies), exact conflicts (a multi-namespace object living in another space gets
-- a new id), origin conflicts, then one bulk write that is skipped while any resolvable error
-- (conflict, ambiguous_conflict, missing_references) remains. Pure Lua (no ngx).
local pairs, ipairs, type, tostring = pairs, ipairs, type, tostring
local table_sort, table_concat = table.sort, table.concat

local objects = require("emu.objects")
local find = require("emu.objects_find")
local ndjson = require("emu.ndjson")
local util = require("emu.util")

local _M = {}

local array, copy, errors = objects.array, objects.copy, objects.errors
local js_string = util.js_string

-- the importer's `${type}:${id}` key (JavaScript strings: a missing id is "undefined")
local function key_of(t, id) return js_string(t) .. ":" .. js_string(id) end

-- ---------------------------------------------------------------------------------------
-- Export
-- ---------------------------------------------------------------------------------------
--- Kibana's sortObjects: referenced objects come before the objects referencing them.
local function sort_objects(list)
    local by_key = {}
    for _, o in ipairs(list) do by_key[key_of(o.type, o.id)] = o end
    local path, seen, out = {}, {}, {}
    local function include(objs)
        for _, o in ipairs(objs) do
            if not path[o] and not seen[o] then
                local refd = {}
                for _, r in ipairs(o.references or {}) do
                    local target = by_key[key_of(r.type, r.id)]
                    if target then refd[#refd + 1] = target end
                end
                if #refd > 0 then
                    path[o] = true
                    include(refd)
                    path[o] = nil
                end
                if not seen[o] then
                    seen[o] = true
                    out[#out + 1] = o
                end
            end
        end
    end
    include(list)
    return out
end
_M.sort_objects = sort_objects

local function size_error(limit)
    return errors.boom(400, "Can't export more than " .. limit .. " objects. If your server has enough "
        .. 'memory, this limit can be increased by adjusting the "savedObjects.maxImportExportSize" setting.')
end

--- Collect records referenced (deeply) by `recs`; returns the extended list and the
-- missing references [{id, type}].
local function add_references_deep(space, recs)
    local have = {}
    for _, r in ipairs(recs) do have[key_of(r.type, r.id)] = true end
    local missing, missing_seen = array(), {}
    local queue = {}
    for _, r in ipairs(recs) do queue[#queue + 1] = r end
    local i = 1
    while i <= #queue do
        local rec = queue[i]
        i = i + 1
        for _, ref in ipairs(rec.references or {}) do
            local k = key_of(ref.type, ref.id)
            if not have[k] then
                local target = objects.is_allowed(ref.type) and objects.lookup(space, ref.type, ref.id) or nil
                if target then
                    have[k] = true
                    recs[#recs + 1] = target
                    queue[#queue + 1] = target
                elseif not missing_seen[k] then
                    missing_seen[k] = true
                    missing[#missing + 1] = { id = ref.id, type = ref.type }
                end
            end
        end
    end
    return recs, missing
end

--- Export records. opts: types (list, "*" = all exportable) or objects ({type,id} list),
-- search, hasReference (list), includeReferencesDeep, excludeExportDetails.
-- Returns the NDJSON text | nil, payload. The caller validated the option combination.
function _M.export(space, opts)
    local recs
    if opts.objects then
        recs = {}
        local failed = array()
        for _, o in ipairs(opts.objects) do
            local rec = objects.is_allowed(o.type) and objects.lookup(space, o.type, o.id) or nil
            if rec then
                recs[#recs + 1] = rec
            else
                failed[#failed + 1] = { id = o.id, type = o.type, error = errors.not_found(o.type, o.id) }
            end
        end
        if #failed > 0 then
            local err = errors.boom(400, "Error fetching objects to export")
            err.attributes = { objects = failed }
            return nil, err
        end
    else
        local types = {}
        local all = false
        for _, t in ipairs(opts.types) do if t == "*" then all = true end end
        if all then types = objects.exportable_types() else types = opts.types end
        recs = find.matching(space, {
            types = types, search = opts.search, has_reference = opts.hasReference,
            has_reference_operator = "OR",
        })
        table_sort(recs, function(a, b) return a.id < b.id end)
    end
    if #recs > objects.MAX_IMPORT_EXPORT_SIZE then
        return nil, size_error(objects.MAX_IMPORT_EXPORT_SIZE)
    end
    local missing = array()
    if opts.includeReferencesDeep then
        recs, missing = add_references_deep(space, recs)
    end
    recs = sort_objects(recs)
    local lines = {}
    for i, rec in ipairs(recs) do
        lines[i] = ndjson.stringify(objects.render(rec, { export = true }))
    end
    if not opts.excludeExportDetails then
        lines[#lines + 1] = ndjson.stringify({
            excludedObjects = array(), excludedObjectsCount = 0, exportedCount = #recs,
            missingRefCount = #missing, missingReferences = missing,
        })
    end
    return table_concat(lines, "\n")
end

-- ---------------------------------------------------------------------------------------
-- Import
-- ---------------------------------------------------------------------------------------
local VALIDATED_REF_TYPES = { ["index-pattern"] = true, ["search"] = true }
local RESOLVABLE = { conflict = true, ambiguous_conflict = true, missing_references = true }

local function attr_title(o)
    return type(o.attributes) == "table" and o.attributes.title or nil
end

local function origin_matches(space, t, origin, exclude)
    -- objects of type t in space whose id or originId equals origin (not being imported)
    local out = {}
    for _, rec in ipairs(objects.list({ space }, { t })) do
        if (rec.id == origin or rec.originId == origin) and not exclude[key_of(rec.type, rec.id)] then
            out[#out + 1] = rec
        end
    end
    return out
end

local function destinations_of(recs)
    local out = {}
    for i, rec in ipairs(recs) do
        out[i] = { id = rec.id, title = rec.attributes and rec.attributes.title, updatedAt = rec.updated_at }
    end
    table_sort(out, function(a, b)
        if a.updatedAt ~= b.updatedAt then return (a.updatedAt or "") > (b.updatedAt or "") end
        return a.id < b.id
    end)
    return array(out)
end

--- JavaScript truthiness of a decoded NDJSON line (Kibana keeps `!!obj` lines).
local function truthy(v)
    if v == nil or v == false or v == 0 or v == "" or v ~= v then return false end
    if objects.null ~= nil and v == objects.null then return false end
    return true
end

--- The references of an imported line, as strings (lines are not validated, and a
-- reference without a type or id must not break the lookups).
local function import_references(refs)
    local out = array()
    if type(refs) ~= "table" then return out end
    for _, r in ipairs(refs) do
        if type(r) == "table" then
            out[#out + 1] = { name = r.name ~= nil and js_string(r.name) or nil,
                              type = js_string(r.type), id = js_string(r.id) }
        end
    end
    return out
end

--- Import decoded objects into `space`.
-- opts: overwrite, createNewCopies, compatibilityMode, retries (resolve-import-errors:
-- list of {type, id, overwrite, destinationId, replaceReferences, createNewCopy,
-- ignoreMissingReferences}; only objects with a retry are imported), skip_existing (copy:
-- objects whose `namespaces` already include the space are left out).
-- Returns the import response | nil, payload (whole-request errors).
function _M.import(space, list, opts)
    opts = opts or {}
    local retries = opts.retries
    local retry_map
    if retries then
        retry_map = {}
        for _, r in ipairs(retries) do retry_map[key_of(r.type, r.id)] = r end
    end
    if #list > objects.MAX_IMPORT_EXPORT_SIZE then
        return nil, errors.boom(400, "Can't import more than " .. objects.MAX_IMPORT_EXPORT_SIZE .. " objects")
    end

    -- collect
    local errs = {}
    local collected = {}
    local state = {} -- key -> {destinationId, omitOriginId, isOnlyReference}
    local seen, dups, dup_seen = {}, {}, {}
    for _, line in ipairs(list) do
        -- Kibana keeps every truthy line but the export details (`exportedCount`);
        -- a line that is no object has no type: unsupported_type
        local raw = line
        if type(line) ~= "table" then raw = {} end
        if truthy(line) and raw.exportedCount == nil then
            local k = key_of(raw.type, raw.id)
            if seen[k] and not dup_seen[k] then
                dup_seen[k] = true
                dups[#dups + 1] = k
            end
            seen[k] = true
            local wanted = not retry_map or retry_map[k] ~= nil
            if wanted and opts.skip_existing and type(raw.namespaces) == "table" then
                for _, ns in ipairs(raw.namespaces) do
                    if ns == space then wanted = false end
                end
            end
            if wanted then
                local info = objects.type_info(raw.type)
                if not info or not info.exportable then
                    errs[#errs + 1] = { id = raw.id, type = raw.type, meta = { title = attr_title(raw) },
                                        error = { type = "unsupported_type" } }
                else
                    local id = raw.id
                    if id ~= nil and type(id) ~= "string" then id = js_string(id) end
                    local obj = {
                        type = raw.type, id = id,
                        attributes = type(raw.attributes) == "table" and copy(raw.attributes) or {},
                        references = import_references(raw.references),
                        originId = raw.originId,
                        managed = raw.managed == true,
                    }
                    local retry = retry_map and retry_map[k]
                    if retry and retry.replaceReferences then
                        for _, ref in ipairs(obj.references) do
                            for _, rr in ipairs(retry.replaceReferences) do
                                if rr.type == ref.type and rr.from == ref.id then ref.id = rr.to end
                            end
                        end
                    end
                    collected[#collected + 1] = obj
                    state[k] = {}
                end
            end
        end
    end
    if #dups > 0 then
        return nil, errors.boom(400, "Non-unique import objects detected: [" .. table_concat(dups, ",") .. "]")
    end
    for _, obj in ipairs(collected) do
        for _, ref in ipairs(obj.references) do
            local k = key_of(ref.type, ref.id)
            if not state[k] then state[k] = { isOnlyReference = true } end
        end
    end
    local importing = {}
    for _, obj in ipairs(collected) do importing[key_of(obj.type, obj.id)] = true end

    -- reference origins: a reference not in the file may match an object by originId
    for k, st in pairs(state) do
        if st.isOnlyReference then
            local t, id = k:match("^(.-):(.*)$")
            if objects.is_multi(t) and not objects.lookup(space, t, id) then
                local matches = origin_matches(space, t, id, {})
                if #matches == 1 and matches[1].id ~= id then st.destinationId = matches[1].id end
            end
        end
    end

    -- missing references
    local skip_refs = {}
    if retries then
        for _, r in ipairs(retries) do
            if r.ignoreMissingReferences then skip_refs[key_of(r.type, r.id)] = true end
        end
    end
    for _, obj in ipairs(collected) do
        local ok_key = key_of(obj.type, obj.id)
        if not skip_refs[ok_key] then
            local missing, mseen = array(), {}
            for _, ref in ipairs(obj.references) do
                if VALIDATED_REF_TYPES[ref.type] then
                    local k = key_of(ref.type, ref.id)
                    local st = state[k] or {}
                    local resolved = importing[k] or (st.isOnlyReference and st.destinationId)
                        or objects.lookup(space, ref.type, ref.id)
                    if not resolved and not mseen[k] then
                        mseen[k] = true
                        missing[#missing + 1] = { type = ref.type, id = ref.id }
                    end
                end
            end
            if #missing > 0 then
                errs[#errs + 1] = { id = obj.id, type = obj.type, meta = { title = attr_title(obj) },
                                    error = { type = "missing_references", references = missing } }
            end
        end
    end

    local pending = {}
    if opts.createNewCopies then
        for _, obj in ipairs(collected) do
            state[key_of(obj.type, obj.id)] = { destinationId = objects.new_id(), omitOriginId = true }
        end
    else
        -- exact conflicts
        local filtered = {}
        for _, obj in ipairs(collected) do
            local k = key_of(obj.type, obj.id)
            local retry = retry_map and retry_map[k] or {}
            if retry.destinationId then
                state[k] = { destinationId = retry.destinationId,
                             omitOriginId = retry.createNewCopy and true or false }
            end
            local check_id = retry.destinationId or obj.id
            local here = check_id ~= nil and objects.lookup(space, obj.type, check_id)
            local anywhere = check_id ~= nil and objects.is_multi(obj.type)
                and objects.lookup_any(space, obj.type, check_id)
            if check_id == nil then
                -- no id: Kibana's bulk create generates one (reported as destinationId)
                state[k] = { destinationId = objects.new_id(), omitOriginId = true }
                filtered[#filtered + 1] = obj
            elseif anywhere and not here then
                state[k] = { destinationId = objects.new_id(), omitOriginId = retry.createNewCopy and true or false }
                filtered[#filtered + 1] = obj
            elseif here and not opts.overwrite and not retry.overwrite then
                local e = { type = "conflict" }
                if retry.destinationId then e.destinationId = retry.destinationId end
                errs[#errs + 1] = { id = obj.id, type = obj.type, meta = { title = attr_title(obj) }, error = e }
            else
                filtered[#filtered + 1] = obj
                if here then pending[k] = true end
            end
        end
        -- origin conflicts (multi-namespace types only)
        local retry_dest = {}
        if retries then
            for _, r in ipairs(retries) do
                if r.destinationId then retry_dest[key_of(r.type, r.destinationId)] = true end
            end
        end
        local exclude = {}
        for k in pairs(importing) do exclude[k] = true end
        for k in pairs(retry_dest) do exclude[k] = true end
        local inexact = {}
        for _, obj in ipairs(filtered) do
            local k = key_of(obj.type, obj.id)
            local retry = retry_map and retry_map[k] or {}
            if objects.is_multi(obj.type) and not pending[k] and not retry.destinationId and obj.id ~= nil then
                local dests = origin_matches(space, obj.type, obj.originId or obj.id, exclude)
                if #dests > 0 then
                    inexact[#inexact + 1] = { obj = obj, dests = dests,
                                              source = key_of(obj.type, obj.originId or obj.id) }
                end
            end
        end
        local sources = {}
        for _, m in ipairs(inexact) do sources[m.source] = (sources[m.source] or 0) + 1 end
        for _, m in ipairs(inexact) do
            local obj = m.obj
            local k = key_of(obj.type, obj.id)
            local retry = retry_map and retry_map[k] or {}
            if sources[m.source] == 1 and #m.dests == 1 then
                if opts.overwrite or retry.overwrite then
                    state[k] = { destinationId = m.dests[1].id }
                    pending[k] = true
                else
                    errs[#errs + 1] = { id = obj.id, type = obj.type, meta = { title = attr_title(obj) },
                                        error = { type = "conflict", destinationId = m.dests[1].id } }
                end
            elseif sources[m.source] > 1 then
                state[k] = { destinationId = objects.new_id(), omitOriginId = true }
            else
                errs[#errs + 1] = { id = obj.id, type = obj.type, meta = { title = attr_title(obj) },
                                    error = { type = "ambiguous_conflict", destinations = destinations_of(m.dests) } }
            end
        end
    end

    -- create (all or nothing while resolvable errors remain)
    local errored = {}
    local has_resolvable = false
    for _, e in ipairs(errs) do
        errored[key_of(e.type, e.id)] = true
        if RESOLVABLE[e.error.type] then has_resolvable = true end
    end
    local created = {}
    for _, obj in ipairs(collected) do
        local k = key_of(obj.type, obj.id)
        if not errored[k] then
            local st = state[k] or {}
            local fields = {
                type = obj.type, id = st.destinationId or obj.id, attributes = obj.attributes,
                references = array(), managed = obj.managed,
            }
            for i, ref in ipairs(obj.references) do
                local rst = state[key_of(ref.type, ref.id)]
                fields.references[i] = { name = ref.name, type = ref.type,
                                         id = rst and rst.destinationId or ref.id }
            end
            if st.destinationId then
                if not st.omitOriginId then fields.originId = obj.originId or obj.id end
            else
                fields.originId = obj.originId
            end
            if not objects.is_multi(obj.type) then fields.originId = nil end
            created[#created + 1] = { obj = obj, fields = fields, destinationId = st.destinationId }
        end
    end
    if not has_resolvable then
        for _, c in ipairs(created) do
            local f = c.fields
            local existing
            if objects.is_multi(f.type) then
                existing = objects.lookup_any(space, f.type, f.id)
            else
                existing = objects.lookup(space, f.type, f.id)
            end
            objects.put_record(space, f, existing)
            if opts.compatibilityMode and f.originId and f.originId ~= f.id then
                objects.add_alias(space, f.type, f.originId, f.id)
            end
        end
    end

    local success_results = array()
    for i, c in ipairs(created) do
        local k = key_of(c.obj.type, c.obj.id)
        local r = {
            type = c.obj.type, id = c.obj.id, managed = c.fields.managed and true or false,
            meta = objects.meta_for({ type = c.obj.type, id = c.fields.id, attributes = c.fields.attributes }),
        }
        if pending[k] then r.overwrite = true end
        if c.destinationId then
            r.destinationId = c.destinationId
            if not c.fields.originId and not opts.createNewCopies then r.createNewCopy = true end
        end
        success_results[i] = r
    end
    local error_results = array()
    for i, e in ipairs(errs) do
        local info = objects.type_info(e.type)
        e.meta.icon = info and info.icon or nil
        if pending[key_of(e.type, e.id)] then e.overwrite = true end
        error_results[i] = e
    end

    local result = { success = #errs == 0, successCount = #created, warnings = array() }
    if #success_results > 0 then result.successResults = success_results end
    if #error_results > 0 then result.errors = error_results end
    return result
end

--- Resolve import errors: like import, restricted to the retried objects.
function _M.resolve_import_errors(space, list, retries, opts)
    opts = opts or {}
    local seen, dups = {}, {}
    local dest_seen, dest_dups = {}, {}
    for _, r in ipairs(retries) do
        local k = key_of(r.type, r.id)
        if seen[k] then dups[#dups + 1] = k end
        seen[k] = true
        if r.destinationId then
            local dk = key_of(r.type, r.destinationId)
            if dest_seen[dk] then dest_dups[#dest_dups + 1] = dk end
            dest_seen[dk] = true
        end
    end
    if #dups > 0 then
        return nil, errors.boom(400, "Non-unique retry objects: [" .. table_concat(dups, ",") .. "]")
    end
    if #dest_dups > 0 then
        return nil, errors.boom(400, "Non-unique retry destinations: [" .. table_concat(dest_dups, ",") .. "]")
    end
    return _M.import(space, list, {
        retries = retries, createNewCopies = opts.createNewCopies, compatibilityMode = opts.compatibilityMode,
    })
end

-- ---------------------------------------------------------------------------------------
-- Copy to spaces (POST /api/spaces/_copy_saved_objects and its resolve route)
-- ---------------------------------------------------------------------------------------
--- Export the objects to copy from the source space -> list | nil, 404, message, attributes.
local function export_for_copy(source_space, list, include_refs, with_namespaces)
    local recs, missing = {}, {}
    for _, o in ipairs(list) do
        local info = objects.type_info(o.type)
        local rec = info and info.exportable and objects.lookup(source_space, o.type, o.id) or nil
        if rec then
            recs[#recs + 1] = rec
        else
            missing[#missing + 1] = { id = o.id, type = o.type }
        end
    end
    if #missing > 0 then
        return nil, 404, "Saved objects not found", { objects = array(missing) }
    end
    if include_refs then recs = add_references_deep(source_space, recs) end
    recs = sort_objects(recs)
    local exported = {}
    for i, rec in ipairs(recs) do
        local o = objects.render(rec, { export = true })
        if with_namespaces then o.namespaces = array(objects.rec_namespaces(rec)) end
        exported[i] = o
    end
    return exported
end

local function space_result(res, err)
    if res then
        return { success = res.success, successCount = res.successCount,
                 successResults = res.successResults, errors = res.errors }
    end
    return { success = false, successCount = 0, errors = array({ err }) }
end

--- POST /api/spaces/_copy_saved_objects.
-- opts: includeReferences, overwrite, createNewCopies (default true), compatibilityMode.
-- Returns { [space] = {success, successCount, successResults?, errors?} }
-- | nil, 404, "Saved objects not found", {objects = {{id, type}...}}.
function _M.copy_to_spaces(source_space, list, dest_spaces, opts)
    opts = opts or {}
    local create_new = opts.createNewCopies
    if create_new == nil then create_new = true end
    local exported, status, message, attributes =
        export_for_copy(source_space, list, opts.includeReferences, not create_new)
    if not exported then return nil, status, message, attributes end
    local result = {}
    for _, dest in ipairs(dest_spaces) do
        result[dest] = space_result(_M.import(dest, copy(exported), {
            overwrite = opts.overwrite, createNewCopies = create_new,
            compatibilityMode = opts.compatibilityMode, skip_existing = not create_new,
        }))
    end
    return result
end

--- POST /api/spaces/_resolve_copy_saved_objects_errors.
-- retries_by_space: { [space] = { {type, id, overwrite, destinationId?, createNewCopy?,
-- ignoreMissingReferences?}, ... } }; opts: includeReferences, createNewCopies (default
-- true), compatibilityMode. Same results as copy_to_spaces.
function _M.resolve_copy_errors(source_space, list, retries_by_space, opts)
    opts = opts or {}
    local create_new = opts.createNewCopies
    if create_new == nil then create_new = true end
    local exported, status, message, attributes =
        export_for_copy(source_space, list, opts.includeReferences, false)
    if not exported then return nil, status, message, attributes end
    local result = {}
    for dest, retries in pairs(retries_by_space) do
        result[dest] = space_result(_M.resolve_import_errors(dest, copy(exported), retries, {
            createNewCopies = create_new, compatibilityMode = opts.compatibilityMode,
        }))
    end
    return result
end

return _M
