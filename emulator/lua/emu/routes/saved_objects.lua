-- emu/routes/saved_objects.lua - the Saved Objects HTTP API of the Kibana emulator
-- (BEHAVIOUR §5.2 every row, §5.3 _find, §6 bulk semantics, §2.5 error rows).
--
-- Returns a list of routes { method, path = {segments}, handler, deprecated }. Handlers get
-- the framework's `req` and return `status, body[, headers]`. Validation follows the Kibana
-- route schemas (strict objects, @kbn/config-schema wording via emu.schema); the object
-- semantics live in emu.objects (and its siblings objects_bulk, objects_find,
-- objects_transfer); NDJSON and multipart/form-data in emu.ndjson and emu.multipart.
-- Deprecated routes carry `deprecated = true` (the server adds the `warning` header);
-- _import/_resolve_import_errors accept 25 MiB bodies (`max_body`).
local ipairs, type = ipairs, type
local table_concat = table.concat
local ngx = ngx -- nil outside nginx

local http = require("emu.http")
local schema = require("emu.schema")
local auth = require("emu.auth")
local store = require("emu.store")
local json = require("emu.json")
local objects = require("emu.objects")
local find = require("emu.objects_find")
local transfer = require("emu.objects_transfer")
local ndjson = require("emu.ndjson")
local multipart = require("emu.multipart")

-- Dates with milliseconds: ngx.now() when running inside nginx.
if ngx and ngx.now then
    objects.set_clock(function() return ngx.now() * 1000 end)
end

local S = schema
-- savedObjects.maxImportPayloadBytes (BEHAVIOUR §5.2): the import routes accept 25 MiB
local MAX_IMPORT_PAYLOAD = 26214400

-- ---------------------------------------------------------------------------------------
-- helpers
-- ---------------------------------------------------------------------------------------
local function fail(payload)
    return http.error(payload.statusCode, payload.message, payload.attributes)
end

local function bad(message)
    return http.error(400, message)
end

--- Validate a request part; returns value | nil, status, body.
local function check(value, spec, where)
    local v, msg = schema.validate(value, spec, where)
    if msg then
        local status, body = bad(msg)
        return nil, status, body
    end
    return v
end

local function as_list(v)
    if v == nil then return nil end
    if type(v) == "table" then return v end
    return { v }
end

--- A principal limited to some spaces (config `spaces`) lacks every saved-object
-- privilege elsewhere. Kibana's security extension then answers 403
-- `Unable to <action> <sorted,comma-joined types>` (BEHAVIOUR §2.5; the action
-- names are the extension's authzAction: create, bulk_create, get, bulk_get (also
-- resolve), update, bulk_update, delete, bulk_delete, share_to_space).
-- types: list of types (unsupported ones are left out: they fail before the
-- authorization check); spaces: extra spaces the request writes to (initialNamespaces).
-- Returns status, body | nil.
local function forbidden(req, action, types, spaces)
    local user = req.user
    if user == nil or auth.unrestricted(user) then return nil end
    local denied = not auth.allowed(user, req.space)
    for _, sp in ipairs(spaces or {}) do
        if not auth.allowed(user, sp) then denied = true end
    end
    if not denied then return nil end
    local seen, list = {}, {}
    for _, t in ipairs(types) do
        if objects.is_allowed(t) and not seen[t] then
            seen[t] = true
            list[#list + 1] = t
        end
    end
    if #list == 0 then return nil end
    table.sort(list)
    return http.error(403, "Unable to " .. action .. " " .. table_concat(list, ","))
end

local function types_of(items)
    local out = {}
    for i, item in ipairs(items) do out[i] = item.type end
    return out
end

local function obj(fields, order, opts)
    local o = opts or {}
    o.order = order
    return S.object(fields, o)
end

local REFERENCE = obj({ name = S.string(), type = S.string(), id = S.string() }, { "name", "type", "id" })
local REFERENCES = S.maybe(S.array(REFERENCE, { max = 1000 }))
local ATTRIBUTES = S.record(S.string(), S.any())
local TYPE_ID = obj({ type = S.string(), id = S.string() }, { "type", "id" })
local EMPTY_QUERY = obj({}, {})

-- ---------------------------------------------------------------------------------------
-- create / get / resolve / update / delete
-- ---------------------------------------------------------------------------------------
local CREATE_QUERY = obj({ overwrite = S.boolean({ default = false }) }, { "overwrite" })
local CREATE_BODY = obj({
    attributes = ATTRIBUTES,
    migrationVersion = S.maybe(S.record(S.string(), S.string())),
    coreMigrationVersion = S.maybe(S.string()),
    typeMigrationVersion = S.maybe(S.string()),
    references = REFERENCES,
    initialNamespaces = S.maybe(S.array(S.string(), { min = 1, max = 100 })),
}, { "attributes", "migrationVersion", "coreMigrationVersion", "typeMigrationVersion", "references",
     "initialNamespaces" })

local function create(req)
    local q, s1, b1 = check(req.query or {}, CREATE_QUERY, "request query")
    if not q then return s1, b1 end
    local body, s2, b2 = check(req.body, CREATE_BODY, "request body")
    if not body then return s2, b2 end
    local s3, b3 = forbidden(req, "create", { req.params.type }, body.initialNamespaces)
    if s3 then return s3, b3 end
    local res, err = objects.create(req.space, req.params.type, body.attributes, {
        id = req.params.id,
        overwrite = q.overwrite,
        references = body.references,
        initialNamespaces = body.initialNamespaces,
    })
    if not res then return fail(err) end
    return 200, res
end

-- get, resolve, update, the bulk get/resolve/update routes and _export declare no
-- query schema: Kibana's RouteValidator then ignores the query (returns {}), so
-- unknown query parameters are no error there.
local function get(req)
    local s, b = forbidden(req, "get", { req.params.type })
    if s then return s, b end
    local res, err = objects.get(req.space, req.params.type, req.params.id)
    if not res then return fail(err) end
    return 200, res
end

local function resolve(req)
    local s, b = forbidden(req, "bulk_get", { req.params.type })
    if s then return s, b end
    local res, err = objects.resolve(req.space, req.params.type, req.params.id)
    if not res then return fail(err) end
    return 200, res
end

local UPDATE_BODY = obj({
    attributes = ATTRIBUTES,
    version = S.maybe(S.string()),
    references = REFERENCES,
    upsert = S.maybe(S.record(S.string(), S.any())),
}, { "attributes", "version", "references", "upsert" })

local function update(req)
    local body, s2, b2 = check(req.body, UPDATE_BODY, "request body")
    if not body then return s2, b2 end
    local s3, b3 = forbidden(req, "update", { req.params.type })
    if s3 then return s3, b3 end
    local res, err = objects.update(req.space, req.params.type, req.params.id, body.attributes, {
        version = body.version, references = body.references, upsert = body.upsert,
    })
    if not res then return fail(err) end
    return 200, res
end

local DELETE_QUERY = obj({ force = S.maybe(S.boolean()) }, { "force" })

local function delete(req)
    local q, s, b = check(req.query or {}, DELETE_QUERY, "request query")
    if not q then return s, b end
    local s2, b2 = forbidden(req, "delete", { req.params.type })
    if s2 then return s2, b2 end
    local ok, err = objects.delete(req.space, req.params.type, req.params.id, q.force)
    if not ok then return fail(err) end
    return 200, {}
end

-- ---------------------------------------------------------------------------------------
-- bulk routes (§6: 200 with per-object errors)
-- ---------------------------------------------------------------------------------------
local BULK_CREATE_BODY = S.array(obj({
    type = S.string(),
    id = S.maybe(S.string()),
    attributes = ATTRIBUTES,
    version = S.maybe(S.string()),
    migrationVersion = S.maybe(S.record(S.string(), S.string())),
    coreMigrationVersion = S.maybe(S.string()),
    typeMigrationVersion = S.maybe(S.string()),
    references = REFERENCES,
    initialNamespaces = S.maybe(S.array(S.string(), { min = 1 })),
}, { "type", "id", "attributes", "version", "migrationVersion", "coreMigrationVersion",
     "typeMigrationVersion", "references", "initialNamespaces" }), { max = 10000 })

local function bulk_create(req)
    local q, s1, b1 = check(req.query or {}, CREATE_QUERY, "request query")
    if not q then return s1, b1 end
    local body, s2, b2 = check(req.body, BULK_CREATE_BODY, "request body")
    if not body then return s2, b2 end
    local spaces = {}
    for _, item in ipairs(body) do
        for _, sp in ipairs(item.initialNamespaces or {}) do spaces[#spaces + 1] = sp end
    end
    local s3, b3 = forbidden(req, "bulk_create", types_of(body), spaces)
    if s3 then return s3, b3 end
    return 200, { saved_objects = objects.bulk_create(req.space, body, q.overwrite) }
end

local BULK_GET_BODY = S.array(obj({
    type = S.string(),
    id = S.string(),
    fields = S.maybe(S.array(S.string())),
    namespaces = S.maybe(S.array(S.string())),
}, { "type", "id", "fields", "namespaces" }), { max = 10000 })

local function bulk_get(req)
    local body, s2, b2 = check(req.body, BULK_GET_BODY, "request body")
    if not body then return s2, b2 end
    local s3, b3 = forbidden(req, "bulk_get", types_of(body))
    if s3 then return s3, b3 end
    return 200, { saved_objects = objects.bulk_get(req.space, body) }
end

local BULK_TYPE_ID_BODY = S.array(TYPE_ID, { max = 10000 })

local function bulk_resolve(req)
    local body, s2, b2 = check(req.body, BULK_TYPE_ID_BODY, "request body")
    if not body then return s2, b2 end
    local s3, b3 = forbidden(req, "bulk_get", types_of(body))
    if s3 then return s3, b3 end
    return 200, { resolved_objects = objects.bulk_resolve(req.space, body) }
end

local BULK_UPDATE_BODY = S.array(obj({
    type = S.string(),
    id = S.string(),
    attributes = ATTRIBUTES,
    version = S.maybe(S.string()),
    references = REFERENCES,
    namespace = S.maybe(S.string({ min = 1 })),
}, { "type", "id", "attributes", "version", "references", "namespace" }), { max = 10000 })

local function bulk_update(req)
    local body, s2, b2 = check(req.body, BULK_UPDATE_BODY, "request body")
    if not body then return s2, b2 end
    local spaces = {}
    for _, item in ipairs(body) do
        if item.namespace then spaces[#spaces + 1] = item.namespace end
    end
    local s3, b3 = forbidden(req, "bulk_update", types_of(body), spaces)
    if s3 then return s3, b3 end
    return 200, { saved_objects = objects.bulk_update(req.space, body) }
end

local function bulk_delete(req)
    local q, s1, b1 = check(req.query or {}, DELETE_QUERY, "request query")
    if not q then return s1, b1 end
    local body, s2, b2 = check(req.body, BULK_TYPE_ID_BODY, "request body")
    if not body then return s2, b2 end
    local s3, b3 = forbidden(req, "bulk_delete", types_of(body))
    if s3 then return s3, b3 end
    return 200, { statuses = objects.bulk_delete(req.space, body, q.force) }
end

-- ---------------------------------------------------------------------------------------
-- _find (§5.3)
-- ---------------------------------------------------------------------------------------
local STRINGS = S.oneOf({ S.string(), S.array(S.string(), { max = 100 }) })
local OPERATOR = S.oneOf({ S.literal("OR"), S.literal("AND") }, { default = "OR" })
local REFS = S.maybe(S.oneOf({ TYPE_ID, S.array(TYPE_ID, { max = 100 }) }))

local FIND_QUERY = obj({
    per_page = S.number({ min = 0, default = 20 }),
    page = S.number({ min = 0, default = 1 }),
    type = STRINGS,
    search = S.maybe(S.string()),
    default_search_operator = OPERATOR,
    search_fields = S.maybe(STRINGS),
    sort_field = S.maybe(S.string()),
    has_reference = REFS,
    has_reference_operator = OPERATOR,
    has_no_reference = REFS,
    has_no_reference_operator = OPERATOR,
    fields = S.maybe(STRINGS),
    filter = S.maybe(S.string()),
    aggs = S.maybe(S.string()),
    namespaces = S.maybe(STRINGS),
}, { "per_page", "page", "type", "search", "default_search_operator", "search_fields", "sort_field",
     "has_reference", "has_reference_operator", "has_no_reference", "has_no_reference_operator",
     "fields", "filter", "aggs", "namespaces" })

local function refs_list(v)
    if v == nil then return nil end
    if json.is_array(v) then return v end
    return { v }
end

--- The spaces _find searches (Kibana's spaces extension, getSearchableNamespaces):
-- without `namespaces` the URL's space (even one that does not exist); with it,
-- only the listed spaces that exist and the caller may see (`*`: all of those).
-- A restricted caller finds nothing in the spaces it lacks (the security
-- extension's authorizeFind: an unauthorized find is the empty answer).
local function searchable_spaces(req, namespaces)
    local user = req.user
    local function visible(id)
        return user == nil or auth.allowed(user, id)
    end
    if namespaces == nil then
        if visible(req.space) then return { req.space } end
        return {}
    end
    local out, seen = {}, {}
    local all = false
    for _, ns in ipairs(namespaces) do if ns == "*" then all = true end end
    if all then
        for id in pairs(store.spaces) do
            if visible(id) then out[#out + 1] = id end
        end
        table.sort(out)
        return out
    end
    for _, ns in ipairs(namespaces) do
        if store.spaces[ns] and visible(ns) and not seen[ns] then
            seen[ns] = true
            out[#out + 1] = ns
        end
    end
    return out
end

local function find_route(req)
    local q, s, b = check(req.query or {}, FIND_QUERY, "request query")
    if not q then return s, b end
    local spaces = searchable_spaces(req, as_list(q.namespaces))
    local aggs
    if q.aggs then
        aggs = json.decode(q.aggs)
        if aggs == nil then return bad("invalid aggs value") end
    end
    local res, err = find.find(req.space, {
        types = as_list(q.type),
        page = q.page,
        per_page = q.per_page,
        search = q.search,
        default_search_operator = q.default_search_operator,
        search_fields = as_list(q.search_fields),
        sort_field = q.sort_field,
        has_reference = refs_list(q.has_reference),
        has_reference_operator = q.has_reference_operator,
        has_no_reference = refs_list(q.has_no_reference),
        has_no_reference_operator = q.has_no_reference_operator,
        fields = as_list(q.fields),
        filter = q.filter,
        aggs = aggs,
        namespaces = spaces,
    })
    if not res then
        if err.too_deep and ngx then
            ngx.log(ngx.ERR, "_find: filter nested deeper than ", require("emu.kql").MAX_DEPTH,
                " levels (Kibana's KQL parser exhausts its call stack: RangeError, 500)")
        end
        return fail(err)
    end
    return 200, res
end

-- ---------------------------------------------------------------------------------------
-- _export
-- ---------------------------------------------------------------------------------------
local EXPORT_BODY = obj({
    type = S.maybe(STRINGS),
    hasReference = S.maybe(S.oneOf({ TYPE_ID, S.array(TYPE_ID) })),
    objects = S.maybe(S.array(TYPE_ID, { max = objects.MAX_IMPORT_EXPORT_SIZE })),
    search = S.maybe(S.string()),
    includeReferencesDeep = S.boolean({ default = false }),
    excludeExportDetails = S.boolean({ default = false }),
}, { "type", "hasReference", "objects", "search", "includeReferencesDeep", "excludeExportDetails" })

local function export(req)
    local body, s2, b2 = check(req.body, EXPORT_BODY, "request body")
    if not body then return s2, b2 end
    local types = as_list(body.type)
    local objs = body.objects
    local has_types = types ~= nil and #types > 0
    local has_objects = objs ~= nil and #objs > 0
    if not has_types and not has_objects then
        return bad("Either `type` or `objects` are required.")
    end
    if has_types and has_objects then
        return bad("Can't specify both \"types\" and \"objects\" properties when exporting")
    end
    local exportable = {}
    for _, t in ipairs(objects.exportable_types()) do exportable[t] = true end
    local opts = {
        includeReferencesDeep = body.includeReferencesDeep,
        excludeExportDetails = body.excludeExportDetails,
    }
    if has_objects then
        if #objs > objects.MAX_IMPORT_EXPORT_SIZE then
            return bad("Can't export more than " .. objects.MAX_IMPORT_EXPORT_SIZE .. " objects")
        end
        if body.search ~= nil then
            return bad("Can't specify both \"search\" and \"objects\" properties when exporting")
        end
        if body.hasReference ~= nil and #refs_list(body.hasReference) > 0 then
            return bad("Can't specify both \"references\" and \"objects\" properties when exporting")
        end
        local invalid = {}
        for _, o in ipairs(objs) do
            if not exportable[o.type] then invalid[#invalid + 1] = o.type .. ":" .. o.id end
        end
        if #invalid > 0 then
            return bad("Trying to export object(s) with non-exportable types: " .. table_concat(invalid, ", "))
        end
        opts.objects = objs
        -- the exporter reads them with bulkGet
        local s3, b3 = forbidden(req, "bulk_get", types_of(objs))
        if s3 then return s3, b3 end
    else
        local invalid = {}
        for _, t in ipairs(types) do
            if t ~= "*" and not exportable[t] then invalid[#invalid + 1] = t end
        end
        if #invalid > 0 then
            return bad("Trying to export non-exportable type(s): " .. table_concat(invalid, ", "))
        end
        opts.types = types
        -- the exporter pages with a point-in-time finder: opening it unauthorized is
        -- a 403 whose message is "unauthorized" (security extension authorizeOpenPointInTime)
        if req.user and not auth.unrestricted(req.user) and not auth.allowed(req.user, req.space) then
            return http.error(403, "unauthorized")
        end
        opts.search = body.search
        opts.hasReference = refs_list(body.hasReference)
    end
    local text, err = transfer.export(req.space, opts)
    if not text then return fail(err) end
    return 200, text, {
        ["Content-Type"] = "application/ndjson",
        ["Content-Disposition"] = 'attachment; filename="export.ndjson"',
    }
end

-- ---------------------------------------------------------------------------------------
-- _import and _resolve_import_errors (multipart/form-data)
-- ---------------------------------------------------------------------------------------
local function exclusive_options(o)
    if o.overwrite and o.createNewCopies then return "cannot use [overwrite] with [createNewCopies]" end
    if o.createNewCopies and o.compatibilityMode then
        return "cannot use [createNewCopies] with [compatibilityMode]"
    end
    return nil
end

local IMPORT_QUERY = obj({
    overwrite = S.boolean({ default = false }),
    createNewCopies = S.boolean({ default = false }),
    compatibilityMode = S.boolean({ default = false }),
}, { "overwrite", "createNewCopies", "compatibilityMode" }, { validate = exclusive_options })

local RESOLVE_QUERY = obj({
    createNewCopies = S.boolean({ default = false }),
    compatibilityMode = S.boolean({ default = false }),
}, { "createNewCopies", "compatibilityMode" }, { validate = exclusive_options })

local RETRIES = S.array(obj({
    type = S.string(),
    id = S.string(),
    overwrite = S.boolean({ default = false }),
    destinationId = S.maybe(S.string()),
    replaceReferences = S.array(obj({ type = S.string(), from = S.string(), to = S.string() },
        { "type", "from", "to" }), { default = {} }),
    createNewCopy = S.maybe(S.boolean()),
    ignoreMissingReferences = S.maybe(S.boolean()),
}, { "type", "id", "overwrite", "destinationId", "replaceReferences", "createNewCopy",
     "ignoreMissingReferences" }))

--- Parse the multipart payload -> parts | nil, status, body (415 like hapi's `accepts`).
local function multipart_parts(req)
    local headers = req.headers or {}
    local boundary = multipart.boundary(headers["content-type"])
    if not boundary or type(req.body_raw) ~= "string" then
        return nil, http.error(415, "Unsupported Media Type")
    end
    local parts = multipart.parse(req.body_raw, boundary)
    if not parts then
        return nil, http.error(400, "Invalid multipart payload format")
    end
    return parts
end

--- The `file` part decoded into objects -> list | nil, status, body.
local function file_objects(parts)
    local file = multipart.field(parts, "file")
    if not file then
        local status, body = bad("[request body.file]: expected value of type [Stream] but got [undefined]")
        return nil, status, body
    end
    local ext = multipart.extname(file.filename)
    if ext ~= ".ndjson" then
        local status, body = bad("Invalid file extension " .. ext)
        return nil, status, body
    end
    -- Kibana reads the file as UTF-8 text: ill-formed sequences become U+FFFD
    local list, perr = ndjson.parse_lines(require("emu.util").utf8_sanitize(file.data))
    if not list then
        local status, body = bad(perr)
        return nil, status, body
    end
    return list
end

--- The types of the objects in an import file (lines that are objects).
local function file_types(list)
    local out = {}
    for _, o in ipairs(list) do
        if type(o) == "table" and type(o.type) == "string" then out[#out + 1] = o.type end
    end
    return out
end

local function unknown_parts(parts, allowed)
    for _, p in ipairs(parts) do
        if p.name and not allowed[p.name] then
            return "[request body." .. p.name .. "]: definition for this key is missing"
        end
    end
    return nil
end

local function import(req)
    local parts, s0, b0 = multipart_parts(req)
    if not parts then return s0, b0 end
    local q, s1, b1 = check(req.query or {}, IMPORT_QUERY, "request query")
    if not q then return s1, b1 end
    local unknown = unknown_parts(parts, { file = true })
    if unknown then return bad(unknown) end
    local list, s2, b2 = file_objects(parts)
    if not list then return s2, b2 end
    -- the importer checks conflicts / creates in bulk (authzAction bulk_create)
    local s4, b4 = forbidden(req, "bulk_create", file_types(list))
    if s4 then return s4, b4 end
    local res, err = transfer.import(req.space, list, {
        overwrite = q.overwrite, createNewCopies = q.createNewCopies, compatibilityMode = q.compatibilityMode,
    })
    if not res then return fail(err) end
    return 200, res
end

local function resolve_import_errors(req)
    local parts, s0, b0 = multipart_parts(req)
    if not parts then return s0, b0 end
    local q, s1, b1 = check(req.query or {}, RESOLVE_QUERY, "request query")
    if not q then return s1, b1 end
    local unknown = unknown_parts(parts, { file = true, retries = true })
    if unknown then return bad(unknown) end
    local retries_part = multipart.field(parts, "retries")
    local retries, s3, b3 = check({ retries = retries_part and retries_part.data or nil },
        obj({ retries = RETRIES }, { "retries" }), "request body")
    if not retries then return s3, b3 end
    local list, s2, b2 = file_objects(parts)
    if not list then return s2, b2 end
    -- the importer checks conflicts / creates in bulk (authzAction bulk_create)
    local s4, b4 = forbidden(req, "bulk_create", file_types(list))
    if s4 then return s4, b4 end
    local res, err = transfer.resolve_import_errors(req.space, list, retries.retries, {
        createNewCopies = q.createNewCopies, compatibilityMode = q.compatibilityMode,
    })
    if not res then return fail(err) end
    return 200, res
end

-- ---------------------------------------------------------------------------------------
-- route table
-- ---------------------------------------------------------------------------------------
local function p(name) return { param = name } end
local BASE = { "api", "saved_objects" }
local function path(...)
    local out = { BASE[1], BASE[2] }
    for _, seg in ipairs({ ... }) do out[#out + 1] = seg end
    return out
end

return {
    { method = "POST", path = path("_bulk_create"), handler = bulk_create, deprecated = true },
    { method = "POST", path = path("_bulk_get"), handler = bulk_get, deprecated = true },
    { method = "POST", path = path("_bulk_resolve"), handler = bulk_resolve, deprecated = true },
    { method = "PUT", path = path("_bulk_update"), handler = bulk_update, deprecated = true },
    { method = "POST", path = path("_bulk_delete"), handler = bulk_delete, deprecated = true },
    { method = "GET", path = path("_find"), handler = find_route, deprecated = true },
    { method = "POST", path = path("_export"), handler = export },
    { method = "POST", path = path("_import"), handler = import, max_body = MAX_IMPORT_PAYLOAD },
    { method = "POST", path = path("_resolve_import_errors"), handler = resolve_import_errors,
      max_body = MAX_IMPORT_PAYLOAD },
    { method = "GET", path = path("resolve", p("type"), p("id")), handler = resolve, deprecated = true },
    { method = "POST", path = path(p("type")), handler = create, deprecated = true },
    { method = "POST", path = path(p("type"), p("id")), handler = create, deprecated = true },
    { method = "GET", path = path(p("type"), p("id")), handler = get, deprecated = true },
    { method = "PUT", path = path(p("type"), p("id")), handler = update, deprecated = true },
    { method = "DELETE", path = path(p("type"), p("id")), handler = delete, deprecated = true },
}
