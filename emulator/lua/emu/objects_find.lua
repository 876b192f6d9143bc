-- emu/objects_find.lua - saved-object search for GET /api/saved_objects/_find and the
-- type/search based export (BEHAVIOUR §5.3).
--
-- Emulates what Kibana asks Elasticsearch for: a simple_query_string `search` over
-- `search_fields` (default: the type's default search field; emu/objects_text.lua),
-- `has_reference`/`has_no_reference` with their operators, a KQL `filter` (emu/kql.lua),
-- simple metric/terms `aggs`, `sort_field`, paging with the 10 000 result window, and
-- `fields`. Every hit has score 1. Pure Lua (no ngx).
local pairs, ipairs, type, tostring, tonumber = pairs, ipairs, type, tostring, tonumber
local string_sub, string_match = string.sub, string.match
local table_sort = table.sort
local math_max, math_min = math.max, math.min

local objects = require("emu.objects")
local text = require("emu.objects_text")
local kql = require("emu.kql")

local _M = {}

local attr_value, parse_search, search_matches = text.attr_value, text.parse_search, text.search_matches

--- Compile a KQL filter for the given types -> predicate | nil, payload (emu/kql.lua).
_M.compile_filter = kql.compile

--- Does a record match a simple_query_string (emu/objects_text.lua)?
function _M.search_matches(rec, search, fields, operator)
    return search_matches(rec, parse_search(search or ""), fields, operator)
end

-- ---------------------------------------------------------------------------------------
-- References
-- ---------------------------------------------------------------------------------------
local function has_ref(rec, ref)
    for _, r in ipairs(rec.references or {}) do
        if r.type == ref.type and r.id == ref.id then return true end
    end
    return false
end

local function refs_match(rec, refs, operator)
    if operator == "AND" then
        for _, ref in ipairs(refs) do
            if not has_ref(rec, ref) then return false end
        end
        return true
    end
    for _, ref in ipairs(refs) do
        if has_ref(rec, ref) then return true end
    end
    return false
end

-- ---------------------------------------------------------------------------------------
-- Aggregations (metric aggs and terms on <type>.attributes.<field> or root fields)
-- ---------------------------------------------------------------------------------------
local METRICS = { max = true, min = true, sum = true, avg = true, value_count = true, cardinality = true }

local function agg_field_value(rec, field)
    local t = string_match(field, "^([^%.]+)")
    if t ~= rec.type then return nil end
    local rest = string_sub(field, #t + 2)
    local path = string_match(rest, "^attributes%.(.+)$")
    if path then return attr_value(rec.attributes, path) end
    return rec[rest]
end

local function validate_aggs(aggs, type_set)
    if type(aggs) ~= "table" then
        return objects.errors.bad_request("Invalid aggregation: aggs must be an object")
    end
    for name, def in pairs(aggs) do
        if type(def) ~= "table" then
            return objects.errors.bad_request("Invalid aggregation: [" .. tostring(name) .. "] must be an object")
        end
        for kind, body in pairs(def) do
            if not METRICS[kind] and kind ~= "terms" then
                return objects.errors.bad_request("Invalid aggregation: [" .. tostring(name) .. "." .. tostring(kind)
                    .. "]: definition for this key is missing")
            end
            if type(body) ~= "table" or type(body.field) ~= "string" then
                return objects.errors.bad_request("Invalid aggregation: [" .. tostring(name) .. "." .. kind
                    .. ".field]: expected value of type [string] but got [undefined]")
            end
            for key in pairs(body) do
                if key ~= "field" and key ~= "size" then
                    return objects.errors.bad_request("Invalid aggregation: [" .. tostring(name) .. "." .. kind
                        .. "." .. tostring(key) .. "]: definition for this key is missing")
                end
            end
            local t = string_match(body.field, "^([^%.]+)")
            if not type_set[t] then
                return objects.errors.bad_request("Invalid aggregation: [" .. tostring(name) .. "." .. kind
                    .. ".field] Invalid attribute path: " .. body.field)
            end
        end
    end
    return nil
end

local function run_aggs(aggs, recs)
    local out = {}
    for name, def in pairs(aggs) do
        for kind, body in pairs(def) do
            local values = {}
            for _, rec in ipairs(recs) do
                local v = agg_field_value(rec, body.field)
                if v ~= nil and type(v) ~= "table" and type(v) ~= "userdata" then values[#values + 1] = v end
            end
            if kind == "terms" then
                local counts, keys = {}, {}
                for _, v in ipairs(values) do
                    if counts[v] == nil then keys[#keys + 1] = v counts[v] = 0 end
                    counts[v] = counts[v] + 1
                end
                table_sort(keys, function(a, b)
                    if counts[a] ~= counts[b] then return counts[a] > counts[b] end
                    return tostring(a) < tostring(b)
                end)
                local buckets = objects.array()
                local size = tonumber(body.size) or 10
                for i = 1, math_min(size, #keys) do
                    buckets[i] = { key = keys[i], doc_count = counts[keys[i]] }
                end
                local shown = 0
                for _, b in ipairs(buckets) do shown = shown + b.doc_count end
                out[name] = { doc_count_error_upper_bound = 0, sum_other_doc_count = #values - shown,
                              buckets = buckets }
            elseif kind == "value_count" then
                out[name] = { value = #values }
            elseif kind == "cardinality" then
                local seen, n = {}, 0
                for _, v in ipairs(values) do
                    if not seen[v] then seen[v] = true n = n + 1 end
                end
                out[name] = { value = n }
            else
                local nums = {}
                for _, v in ipairs(values) do
                    local n = tonumber(v)
                    if n then nums[#nums + 1] = n end
                end
                local result
                if #nums > 0 then
                    if kind == "max" then
                        result = nums[1]
                        for _, n in ipairs(nums) do result = math_max(result, n) end
                    elseif kind == "min" then
                        result = nums[1]
                        for _, n in ipairs(nums) do result = math_min(result, n) end
                    else
                        local sum = 0
                        for _, n in ipairs(nums) do sum = sum + n end
                        result = kind == "sum" and sum or sum / #nums
                    end
                elseif kind == "sum" then
                    result = 0
                end
                -- Elasticsearch: min/max/avg of no value is `"value": null`
                if result == nil then result = objects.null end
                out[name] = { value = result }
            end
        end
    end
    return out
end

-- ---------------------------------------------------------------------------------------
-- Find
-- ---------------------------------------------------------------------------------------
local function window_error(n)
    return objects.errors.boom(400, "all shards failed: search_phase_execution_exception: "
        .. "[illegal_argument_exception] Reason: Result window is too large, from + size must be less "
        .. "than or equal to: [10000] but was [" .. tostring(n) .. "]. See the scroll api for a more "
        .. "efficient way to request large data sets. This limit can be set by changing the "
        .. "[index.max_result_window] index level setting.")
end

local ROOT_SORT = { updated_at = true, created_at = true, type = true, id = true }

local function sort_value(rec, field)
    if ROOT_SORT[field] then return rec[field] end
    return attr_value(rec.attributes, field)
end

local function compare_values(a, b)
    if a == nil then return false end
    if b == nil then return true end
    if type(a) == "number" and type(b) == "number" then return a < b end
    return tostring(a) < tostring(b)
end

--- Matching records (no paging) for a normalized query; used by _find and _export.
-- q: types, namespaces (list; default {space}), search, search_fields, default_search_operator,
-- has_reference, has_reference_operator, has_no_reference, has_no_reference_operator,
-- filter (predicate), sort_field.
function _M.matching(space, q)
    local types = {}
    for _, t in ipairs(q.types or {}) do
        if objects.is_allowed(t) then types[#types + 1] = t end
    end
    if #types == 0 then return {} end
    local spaces = q.namespaces or { space }
    local clauses = parse_search(q.search or "")
    local out = {}
    for _, rec in ipairs(objects.list(spaces, types)) do
        local ok = true
        if q.has_reference and #q.has_reference > 0 then
            ok = refs_match(rec, q.has_reference, q.has_reference_operator)
        end
        if ok and q.has_no_reference and #q.has_no_reference > 0 then
            ok = not refs_match(rec, q.has_no_reference, q.has_no_reference_operator)
        end
        if ok and q.search and q.search ~= "" then
            ok = search_matches(rec, clauses, q.search_fields, q.default_search_operator)
        end
        if ok and q.filter then ok = q.filter(rec) end
        if ok then out[#out + 1] = rec end
    end
    if q.sort_field then
        local field = q.sort_field
        local keyed = {}
        for i, rec in ipairs(out) do keyed[i] = { rec = rec, v = sort_value(rec, field), i = i } end
        table_sort(keyed, function(a, b)
            if a.v == b.v then return a.i < b.i end
            if compare_values(a.v, b.v) then return true end
            if compare_values(b.v, a.v) then return false end
            return a.i < b.i
        end)
        for i, k in ipairs(keyed) do out[i] = k.rec end
    end
    return out
end

--- GET _find on a normalized query (see the route): returns the response | nil, payload.
-- q additionally has page, per_page, fields (list), filter (string), aggs (table).
function _M.find(space, q)
    local page, per_page = q.page or 1, q.per_page or 20
    local empty = { page = page, per_page = per_page, total = 0, saved_objects = objects.array() }
    local types = {}
    for _, t in ipairs(q.types or {}) do
        if objects.is_allowed(t) then types[#types + 1] = t end
    end
    if #types == 0 then return empty end
    local type_set = {}
    for _, t in ipairs(types) do type_set[t] = true end

    local query = {}
    for k, v in pairs(q) do query[k] = v end
    query.types = types
    if type(q.filter) == "string" and q.filter ~= "" then
        local pred, err = _M.compile_filter(q.filter, types)
        if not pred then return nil, err end
        query.filter = pred
    else
        query.filter = nil
    end
    if q.aggs ~= nil then
        local err = validate_aggs(q.aggs, type_set)
        if err then return nil, err end
    end
    -- no searchable space (Kibana checks this after the filter and aggs, before
    -- Elasticsearch sees the paging): the empty answer
    if q.namespaces and #q.namespaces == 0 then return empty end
    if page * per_page > objects.MAX_RESULT_WINDOW then
        return nil, window_error(page * per_page)
    end

    local recs = _M.matching(space, query)
    local result = { page = page, per_page = per_page, total = #recs, saved_objects = objects.array() }
    local first = (page - 1) * per_page + 1
    local last = math_min(#recs, page * per_page)
    for i = math_max(first, 1), last do
        local obj = objects.render(recs[i], { fields = q.fields })
        obj.score = 1
        result.saved_objects[#result.saved_objects + 1] = obj
    end
    if q.aggs ~= nil then result.aggregations = run_aggs(q.aggs, recs) end
    return result
end

return _M
