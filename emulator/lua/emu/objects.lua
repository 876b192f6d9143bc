-- emu/objects.lua - the in-memory saved-object repository of the Kibana emulator.
--
-- Pure Lua (5.1/LuaJIT and 5.4, no ngx): it is loaded by the route handlers and by the
-- unit specs alike. It follows BEHAVIOUR.md §5 (object shape, CRUD and bulk semantics),
-- §6 (per-object Boom payloads) and §3.4 (what deleting a space does to its objects).
--
-- Storage model (as in Kibana): objects of a single-namespace type live once per space
-- (ES _id "<space>:<type>:<id>"); objects of a multi-namespace type ("multiple-isolated"
-- or shareable "multiple") live once globally (ES _id "<type>:<id>") with a list of
-- spaces. So the same id of a multi-namespace type cannot exist in two spaces: creating
-- it in a second space is a 409, and import/copy regenerate its id instead.
--
-- Errors are returned, never raised: `nil, payload` where payload is the Boom payload
-- `{statusCode, error, message}` that Kibana would send (route handlers relay it).
--
-- Siblings: objects_registry (types, errors), objects_bulk (bulk operations),
-- objects_find (+ objects_text, kql), objects_transfer (export/import/copy, ndjson,
-- multipart), objects_spaces (what the Spaces API does to objects). This module re-exports
-- what they offer to the routes, so `require "emu.objects"` is the single entry point.
local pairs, ipairs, type, tostring, tonumber = pairs, ipairs, type, tostring, tonumber
local setmetatable, getmetatable, pcall, require = setmetatable, getmetatable, pcall, require
local string_format, string_sub, string_match = string.format, string.sub, string.match
local table_concat, table_sort = table.concat, table.sort
local math_floor, math_random = math.floor, math.random
local os_time, os_date = os.time, os.date

local _M = {}

-- ---------------------------------------------------------------------------------------
-- JSON marks: arrays must encode as [] even when empty. We use the framework's mark
-- (emu/json.lua) when it is loadable; a local mark otherwise (plain unit specs).
-- ---------------------------------------------------------------------------------------
local registry = require("emu.objects_registry")
local base64 = require("emu.base64")
local json_ok, json = pcall(require, "emu.json")
if not json_ok then json = nil end

local fallback_array_mt = { __name = "json.array" }

--- JSON null (the framework's when loadable).
_M.null = json and json.null or setmetatable({}, { __name = "json.null" })

local function array_mt()
    if json then
        if json.array_mt then return json.array_mt end
    end
    return fallback_array_mt
end

--- Mark a table (or a new one) as a JSON array.
local function array(t)
    t = t or {}
    if json and json.array then return json.array(t) end
    return setmetatable(t, array_mt())
end
_M.array = array

--- True when t carries an array mark (any of the known ones).
local function is_marked_array(t)
    local mt = getmetatable(t)
    return mt ~= nil and (mt == fallback_array_mt or (json ~= nil and mt == json.array_mt))
end
_M.is_marked_array = is_marked_array

--- Deep copy that keeps metatables (array marks) and copies nested tables.
local function copy(v)
    if type(v) ~= "table" then return v end
    local out = {}
    for k, val in pairs(v) do out[k] = copy(val) end
    local mt = getmetatable(v)
    if mt then setmetatable(out, mt) end
    return out
end
_M.copy = copy

-- ---------------------------------------------------------------------------------------
-- Type registry, errors, base64 (re-exported: other modules use them through emu.objects)
-- ---------------------------------------------------------------------------------------
_M.CORE_MIGRATION_VERSION = registry.CORE_MIGRATION_VERSION
_M.MAX_RESULT_WINDOW = registry.MAX_RESULT_WINDOW
_M.MAX_IMPORT_EXPORT_SIZE = registry.MAX_IMPORT_EXPORT_SIZE
_M.type_info = registry.type_info
_M.is_allowed = registry.is_allowed
_M.is_multi = registry.is_multi
_M.is_shareable = registry.is_shareable
_M.exportable_types = registry.exportable_types
_M.meta_for = registry.meta_for
local errors = registry.errors
_M.errors = errors
local b64_encode, b64_decode = base64.encode, base64.decode
_M.b64_encode = b64_encode
_M.b64_decode = b64_decode

-- ---------------------------------------------------------------------------------------
-- State, clock, ids
-- ---------------------------------------------------------------------------------------
local state

local function default_clock()
    return os_time() * 1000
end
local clock = default_clock

local function default_uuid()
    local hex = "0123456789abcdef"
    local parts = {}
    local template = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
    for i = 1, #template do
        local ch = string_sub(template, i, i)
        if ch == "x" then
            local r = math_random(1, 16)
            parts[i] = string_sub(hex, r, r)
        elseif ch == "y" then
            local r = math_random(9, 12) -- 8, 9, a, b
            parts[i] = string_sub(hex, r, r)
        else
            parts[i] = ch
        end
    end
    return table_concat(parts)
end
local uuid = default_uuid

--- Inject the clock: fn() -> milliseconds since the epoch (nil restores os.time()).
function _M.set_clock(fn) clock = fn or default_clock end

--- Inject the id generator: fn() -> string (nil restores random UUID v4).
function _M.set_id_generator(fn) uuid = fn or default_uuid end

--- A new UUID v4 (or whatever the injected generator returns).
function _M.new_id() return uuid() end

--- ISO-8601 UTC with milliseconds of the current clock.
local function now_iso()
    local ms = clock()
    local secs = math_floor(ms / 1000)
    local frac = math_floor(ms - secs * 1000 + 0.5)
    if frac >= 1000 then frac = 999 end
    return os_date("!%Y-%m-%dT%H:%M:%S", secs) .. string_format(".%03dZ", frac)
end
_M.now_iso = now_iso

-- Bumped whenever a record is stored, removed or has its references replaced (never
-- reset): lets readers cache what they derive from references (reference_counts).
local revision = 0

--- The current revision of the stored records and their references.
function _M.revision() return revision end

--- Forget every object, alias and counter.
function _M.reset()
    revision = revision + 1
    state = {
        objects = {},  -- raw key -> record
        order = 0,     -- insertion counter (ES index order stand-in)
        seq = 0,       -- global sequence number (ES _seq_no stand-in)
        aliases = {},  -- "<space>\1<type>\1<sourceId>" -> target id (legacy URL aliases)
    }
end
_M.reset()

local function next_seq()
    state.seq = state.seq + 1
    return state.seq
end

local function encode_version(seq)
    return b64_encode("[" .. tostring(seq) .. ",1]")
end
_M.encode_version = encode_version

--- Decode a version string -> seq_no, primary_term | nil (not decodable).
local function decode_version(v)
    if type(v) ~= "string" then return nil end
    local raw = b64_decode(v)
    if not raw then return nil end
    local seq, term = string_match(raw, "^%[%s*(%d+)%s*,%s*(%d+)%s*%]$")
    if not seq then return nil end
    return tonumber(seq), tonumber(term)
end
_M.decode_version = decode_version

-- ---------------------------------------------------------------------------------------
-- Records
-- ---------------------------------------------------------------------------------------
local function raw_key(space, t, id)
    if _M.is_multi(t) then
        return "\1" .. t .. "\1" .. id
    end
    return space .. "\1" .. t .. "\1" .. id
end

local function has_space(rec, space)
    if rec.namespace then return rec.namespace == space end
    for _, ns in ipairs(rec.namespaces) do
        if ns == space or ns == "*" then return true end
    end
    return false
end

--- The record of type/id visible from `space`, or nil.
local function lookup(space, t, id)
    local rec = state.objects[raw_key(space, t, id)]
    if rec and has_space(rec, space) then return rec end
    return nil
end
_M.lookup = lookup

--- The raw record of type/id whatever its spaces (multi types only), or nil.
local function lookup_any(space, t, id)
    return state.objects[raw_key(space, t, id)]
end

local function rec_namespaces(rec)
    if rec.namespace then return { rec.namespace } end
    local out = {}
    for i, ns in ipairs(rec.namespaces) do out[i] = ns end
    return out
end
_M.rec_namespaces = rec_namespaces

local function copy_references(refs)
    local out = array()
    if type(refs) == "table" then
        for i, r in ipairs(refs) do
            out[i] = { name = r.name, type = r.type, id = r.id }
        end
    end
    return out
end
_M.copy_references = copy_references

local function limit_fields(attrs, fields)
    if not fields then return copy(attrs) end
    local out = {}
    for _, f in ipairs(fields) do
        if attrs[f] ~= nil then out[f] = copy(attrs[f]) end
    end
    return out
end

--- Response body of a stored record (BEHAVIOUR §5.1).
-- opts.fields: limit attributes to these names; opts.export: the export shape (no
-- namespaces, no migrationVersion).
local function render(rec, opts)
    opts = opts or {}
    local tmv = rec.typeMigrationVersion
    local out = {
        id = rec.id,
        type = rec.type,
        updated_at = rec.updated_at,
        created_at = rec.created_at,
        version = encode_version(rec.seq),
        attributes = limit_fields(rec.attributes, opts.fields),
        references = copy_references(rec.references),
        coreMigrationVersion = rec.coreMigrationVersion,
        typeMigrationVersion = tmv,
        managed = rec.managed and true or false,
        originId = rec.originId,
    }
    if not opts.export then
        out.namespaces = array(rec_namespaces(rec))
        out.migrationVersion = { [rec.type] = tmv }
    end
    return out
end
_M.render = render

--- Every record of `types` (nil = all) visible in one of `spaces` (list; "*" = all), in
-- insertion order.
function _M.list(spaces, types)
    local type_set
    if types then
        type_set = {}
        for _, t in ipairs(types) do type_set[t] = true end
    end
    local all_spaces = false
    for _, s in ipairs(spaces) do if s == "*" then all_spaces = true end end
    local out = {}
    for _, rec in pairs(state.objects) do
        if not type_set or type_set[rec.type] then
            local visible = all_spaces
            if not visible then
                for _, s in ipairs(spaces) do
                    if has_space(rec, s) then visible = true break end
                end
            end
            if visible then out[#out + 1] = rec end
        end
    end
    table_sort(out, function(a, b) return a.order < b.order end)
    return out
end

local function store(rec)
    revision = revision + 1
    state.order = state.order + 1
    rec.order = rec.order or state.order
    state.objects[raw_key(rec.namespace or "", rec.type, rec.id)] = rec
end

local function remove(rec)
    revision = revision + 1
    state.objects[raw_key(rec.namespace or "", rec.type, rec.id)] = nil
end

-- ---------------------------------------------------------------------------------------
-- Create (single and bulk share this)
-- ---------------------------------------------------------------------------------------
local function validate_initial_namespaces(t, initial)
    if initial == nil then return nil end
    if #initial == 0 then
        return errors.bad_request('"initialNamespaces" must be a non-empty array of strings')
    end
    if not _M.is_shareable(t) then
        local star = false
        for _, ns in ipairs(initial) do if ns == "*" then star = true end end
        if #initial > 1 or star then
            return errors.bad_request(
                '"initialNamespaces" can only specify a single space when used with space-isolated types')
        end
    end
    return nil
end

--- Create one object.
-- opts: id, overwrite, references, initialNamespaces, coreMigrationVersion,
-- typeMigrationVersion, managed, originId (false = explicitly none), version (with
-- overwrite: optimistic concurrency).
-- Returns the rendered object | nil, boom payload.
function _M.create(space, t, attributes, opts)
    opts = opts or {}
    if not _M.is_allowed(t) then return nil, errors.unsupported_type(t) end
    local err = validate_initial_namespaces(t, opts.initialNamespaces)
    if err then return nil, err end
    if opts.originId ~= nil and not _M.is_multi(t) then
        return nil, errors.bad_request('"originId" can only be set for multi-namespace object types')
    end
    local id = opts.id
    if id == nil or id == "" then id = uuid() end
    local info = registry.type_info(t)
    local multi = _M.is_multi(t)
    local initial = opts.initialNamespaces

    local existing
    if multi then
        existing = lookup_any(space, t, id)
        if existing then
            -- preflight check: the object exists; it must exist in the target space(s)
            local targets = initial or { space }
            local in_targets = false
            for _, ns in ipairs(targets) do
                if has_space(existing, ns) then in_targets = true end
            end
            if not opts.overwrite or not in_targets then
                return nil, errors.conflict(t, id)
            end
        end
    else
        local target = initial and initial[1] or space
        existing = state.objects[raw_key(target, t, id)]
        if existing and not opts.overwrite then
            return nil, errors.conflict(t, id)
        end
    end
    -- Kibana only uses a truthy version (getExpectedVersionProperties: `if (version)`)
    if existing and opts.version ~= nil and opts.version ~= "" then
        local seq = decode_version(opts.version)
        if not seq then return nil, errors.invalid_version(opts.version) end
        if seq ~= existing.seq then return nil, errors.conflict(t, id) end
    end

    local now = now_iso()
    local rec = {
        type = t,
        id = id,
        attributes = copy(attributes or {}),
        references = copy_references(opts.references),
        created_at = now,
        updated_at = now,
        seq = next_seq(),
        managed = opts.managed and true or false,
        coreMigrationVersion = _M.CORE_MIGRATION_VERSION,
        typeMigrationVersion = info.tmv,
    }
    if multi then
        if initial then
            rec.namespaces = {}
            for i, ns in ipairs(initial) do rec.namespaces[i] = ns end
        elseif existing then
            rec.namespaces = rec_namespaces(existing)
        else
            rec.namespaces = { space }
        end
        if opts.originId ~= nil then
            if opts.originId ~= false then rec.originId = opts.originId end
        elseif existing then
            rec.originId = existing.originId
        end
    else
        rec.namespace = initial and initial[1] or space
    end
    if existing then
        rec.order = existing.order
        remove(existing)
    end
    store(rec)
    return render(rec)
end

-- ---------------------------------------------------------------------------------------
-- Get / resolve
-- ---------------------------------------------------------------------------------------
--- Returns the rendered object | nil, 404 payload.
function _M.get(space, t, id)
    if not _M.is_allowed(t) then return nil, errors.not_found(t, id) end
    local rec = lookup(space, t, id)
    if not rec then return nil, errors.not_found(t, id) end
    return render(rec)
end

local function alias_key(space, t, id) return space .. "\1" .. t .. "\1" .. id end

--- Record a legacy URL alias (created by compatibilityMode imports).
function _M.add_alias(space, t, source_id, target_id)
    state.aliases[alias_key(space, t, source_id)] = { space = space, type = t, source_id = source_id,
                                                      target_id = target_id, disabled = false }
end

--- Returns {saved_object, outcome[, alias_target_id, alias_purpose]} | nil, payload.
function _M.resolve(space, t, id)
    if not _M.is_allowed(t) then return nil, errors.not_found(t, id) end
    local exact = lookup(space, t, id)
    local alias = state.aliases[alias_key(space, t, id)]
    local target_id = alias and not alias.disabled and alias.target_id or nil
    local alias_rec = target_id and lookup(space, t, target_id) or nil
    if exact and alias_rec then
        return { saved_object = render(exact), outcome = "conflict", alias_target_id = target_id,
                 alias_purpose = "savedObjectImport" }
    elseif exact then
        return { saved_object = render(exact), outcome = "exactMatch" }
    elseif alias_rec then
        return { saved_object = render(alias_rec), outcome = "aliasMatch", alias_target_id = target_id,
                 alias_purpose = "savedObjectImport" }
    end
    return nil, errors.not_found(t, id)
end

-- ---------------------------------------------------------------------------------------
-- Update
-- ---------------------------------------------------------------------------------------
--- Partial update (BEHAVIOUR §5.2, §5.4, §7.4).
-- opts: version, references (replace when given), upsert (attributes used when the object
-- does not exist), namespace (bulk: target another space).
-- Returns {id, type, updated_at, version, namespaces, attributes (only those sent),
-- references (only if sent), originId?} | nil, payload.
function _M.update(space, t, id, attributes, opts)
    opts = opts or {}
    if id == nil or id == "" then return nil, errors.bad_request("id cannot be empty") end
    if not _M.is_allowed(t) then return nil, errors.not_found(t, id) end
    local ns = opts.namespace or space
    local seq_wanted
    if opts.version ~= nil and opts.version ~= "" then
        seq_wanted = decode_version(opts.version)
        if not seq_wanted then return nil, errors.invalid_version(opts.version) end
    end
    local rec = lookup(ns, t, id)
    if not rec then
        if opts.upsert == nil then return nil, errors.not_found(t, id) end
        if _M.is_multi(t) and lookup_any(ns, t, id) then
            -- exists in another space: cannot be upserted here
            return nil, errors.conflict(t, id)
        end
        local obj, err = _M.create(ns, t, opts.upsert, { id = id, references = opts.references })
        if not obj then return nil, err end
        local out = {
            id = obj.id, type = obj.type, updated_at = obj.updated_at, version = obj.version,
            namespaces = obj.namespaces, attributes = obj.attributes,
        }
        if opts.references ~= nil then out.references = copy_references(opts.references) end
        return out
    end
    if seq_wanted and seq_wanted ~= rec.seq then return nil, errors.conflict(t, id) end
    for k, v in pairs(attributes or {}) do rec.attributes[k] = copy(v) end
    if opts.references ~= nil then
        rec.references = copy_references(opts.references)
        revision = revision + 1
    end
    rec.updated_at = now_iso()
    rec.seq = next_seq()
    local out = {
        id = rec.id,
        type = rec.type,
        updated_at = rec.updated_at,
        version = encode_version(rec.seq),
        namespaces = array(rec_namespaces(rec)),
        attributes = copy(attributes or {}),
        originId = rec.originId,
    }
    if opts.references ~= nil then out.references = copy_references(opts.references) end
    return out
end

-- ---------------------------------------------------------------------------------------
-- Delete
-- ---------------------------------------------------------------------------------------
local MULTI_DELETE =
    "Unable to delete saved object that exists in multiple namespaces, use the `force` option to delete it anyway"

--- Returns true | nil, payload.
function _M.delete(space, t, id, force)
    if not _M.is_allowed(t) then return nil, errors.not_found(t, id) end
    local rec = lookup(space, t, id)
    if not rec then return nil, errors.not_found(t, id) end
    if rec.namespaces and not force then
        local star = false
        for _, ns in ipairs(rec.namespaces) do if ns == "*" then star = true end end
        if #rec.namespaces > 1 or star then
            return nil, errors.bad_request(MULTI_DELETE)
        end
    end
    remove(rec)
    return true
end

-- ---------------------------------------------------------------------------------------
-- Bulk operations (BEHAVIOUR §6): emu/objects_bulk.lua
-- ---------------------------------------------------------------------------------------
local function bulk_mod() return require("emu.objects_bulk") end
function _M.bulk_create(space, items, overwrite) return bulk_mod().bulk_create(space, items, overwrite) end
function _M.bulk_get(space, items) return bulk_mod().bulk_get(space, items) end
function _M.bulk_resolve(space, items) return bulk_mod().bulk_resolve(space, items) end
function _M.bulk_update(space, items) return bulk_mod().bulk_update(space, items) end
function _M.bulk_delete(space, items, force) return bulk_mod().bulk_delete(space, items, force) end

-- ---------------------------------------------------------------------------------------
-- Raw access for the sibling modules (objects_spaces, objects_transfer)
-- ---------------------------------------------------------------------------------------
--- Every stored record (any space), in insertion order.
function _M.records()
    local out = {}
    for _, rec in pairs(state.objects) do out[#out + 1] = rec end
    table_sort(out, function(a, b) return a.order < b.order end)
    return out
end

--- Call fn(rec) for every stored record (any space), in no particular order: no list
-- is built or sorted (cheaper than records() where the order does not matter).
function _M.each_record(fn)
    for _, rec in pairs(state.objects) do fn(rec) end
end

--- True when the record is visible in `space`.
_M.has_space = has_space

--- Delete a stored record.
function _M.remove_record(rec) remove(rec) end

--- Mark a record as written now (new updated_at and version).
function _M.touch(rec)
    rec.updated_at = now_iso()
    rec.seq = next_seq()
end

--- Legacy URL aliases: {key, space, type, source_id, target_id, disabled} list.
function _M.aliases()
    local out = {}
    for key, a in pairs(state.aliases) do
        out[#out + 1] = { key = key, space = a.space, type = a.type, source_id = a.source_id,
                          target_id = a.target_id, disabled = a.disabled }
    end
    table_sort(out, function(a, b) return a.key < b.key end)
    return out
end

--- Disable (disabled=true) or forget (disabled=nil) one alias.
function _M.set_alias_state(space, t, source_id, disabled)
    local key = space .. "\1" .. t .. "\1" .. source_id
    local a = state.aliases[key]
    if not a then return false end
    if disabled == nil then state.aliases[key] = nil else a.disabled = disabled end
    return true
end

-- ---------------------------------------------------------------------------------------
-- For the framework (spaces and connectors routes): see emu/objects_spaces.lua and
-- emu/objects_transfer.lua. Loaded lazily: those modules require this one.
-- ---------------------------------------------------------------------------------------
local function spaces_mod() return require("emu.objects_spaces") end
local function transfer_mod() return require("emu.objects_transfer") end

--- deleteByNamespace (BEHAVIOUR §3.4).
function _M.delete_namespace(space) return spaces_mod().delete_namespace(space) end

--- Number of objects (in any space) whose references include {type, id}.
function _M.count_references(space, ref_type, ref_id)
    return spaces_mod().count_references(space, ref_type, ref_id)
end

--- id -> number of objects (in any space) referencing {ref_type, id}, in one pass.
function _M.reference_counts(ref_type)
    return spaces_mod().reference_counts(ref_type)
end

--- POST /api/spaces/_update_objects_spaces.
function _M.update_objects_spaces(space, objects_list, spaces_to_add, spaces_to_remove)
    return spaces_mod().update_objects_spaces(space, objects_list, spaces_to_add, spaces_to_remove)
end

--- POST /api/spaces/_get_shareable_references.
function _M.get_shareable_references(space, objects_list)
    return spaces_mod().get_shareable_references(space, objects_list)
end

--- POST /api/spaces/_disable_legacy_url_aliases.
function _M.disable_legacy_url_aliases(aliases)
    return spaces_mod().disable_legacy_url_aliases(aliases)
end

--- POST /api/spaces/_copy_saved_objects (BEHAVIOUR §3.1, §6).
function _M.copy_to_spaces(source_space, objects_list, dest_spaces, opts)
    return transfer_mod().copy_to_spaces(source_space, objects_list, dest_spaces, opts)
end

--- POST /api/spaces/_resolve_copy_saved_objects_errors.
function _M.resolve_copy_errors(source_space, objects_list, retries_by_space, opts)
    return transfer_mod().resolve_copy_errors(source_space, objects_list, retries_by_space, opts)
end

--- Store an already-shaped record (import/copy). rec: type, id, attributes, references,
-- namespace(s), originId, managed. Overwrites an existing one (keeping its position and
-- its other spaces for multi types). Returns the stored record.
function _M.put_record(space, fields, existing)
    local now = now_iso()
    local rec = {
        type = fields.type,
        id = fields.id,
        attributes = copy(fields.attributes or {}),
        references = copy_references(fields.references),
        created_at = now,
        updated_at = now,
        seq = next_seq(),
        managed = fields.managed and true or false,
        coreMigrationVersion = _M.CORE_MIGRATION_VERSION,
        typeMigrationVersion = registry.type_info(fields.type).tmv,
        originId = fields.originId,
    }
    if _M.is_multi(fields.type) then
        if existing and existing.namespaces then
            rec.namespaces = rec_namespaces(existing)
        else
            rec.namespaces = { space }
        end
    else
        rec.namespace = space
    end
    if existing then
        rec.order = existing.order
        remove(existing)
    end
    store(rec)
    return rec
end

--- The raw record (any space) for import conflict checks.
_M.lookup_any = lookup_any

return _M
