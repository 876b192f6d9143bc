-- emu/objects_text.lua - text matching for saved-object search (BEHAVIOUR §5.3): an
-- approximation of Elasticsearch's standard analyzer (lower-case alphanumeric tokens) and of
-- simple_query_string (terms, "phrases", trailing-* prefixes, +must / -not, OR/AND).
-- Shared by _find's `search` and the KQL `filter`. Pure Lua (no ngx).
local ipairs, type, tostring = ipairs, type, tostring
local string_lower, string_sub, string_find, string_match = string.lower, string.sub, string.find, string.match
local string_gsub, string_gmatch = string.gsub, string.gmatch

local registry = require("emu.objects_registry")

local _M = {}

-- a token: ASCII letters, digits, "_" and any non-ASCII byte (so UTF-8 words stay whole)
local WORD = "[%w_\128-\255]+"

-- ---------------------------------------------------------------------------------------
-- Text matching (an approximation of the standard analyzer)
-- ---------------------------------------------------------------------------------------
--- Lower-case alphanumeric tokens of a field value.
local function tokens_of(value)
    local out = {}
    if type(value) == "table" then
        for _, v in ipairs(value) do
            for _, t in ipairs(tokens_of(v)) do out[#out + 1] = t end
        end
        return out
    end
    if value == nil or type(value) == "userdata" then return out end
    for tok in string_gmatch(string_lower(tostring(value)), WORD) do
        out[#out + 1] = tok
    end
    return out
end
_M.tokens_of = tokens_of

--- Compile one query term into a list of {text, prefix} parts: "my-vis*" -> my, vis*.
local function compile_term(term)
    local parts = {}
    term = string_lower(term)
    for piece in string_gmatch(term, "[^%s]+") do
        -- split on every non-alphanumeric character; a '*' right after a part makes it a prefix
        local pos = 1
        local len = #piece
        while pos <= len do
            local s, e = string_find(piece, WORD, pos)
            if not s then break end
            local text = string_sub(piece, s, e)
            local prefix = string_sub(piece, e + 1, e + 1) == "*"
            parts[#parts + 1] = { text = text, prefix = prefix }
            pos = e + 1
        end
    end
    return parts
end

local function part_matches(part, token)
    if part.prefix then return string_sub(token, 1, #part.text) == part.text end
    return token == part.text
end

--- True when the token list contains the compiled parts consecutively (a phrase).
local function phrase_in(parts, toks)
    if #parts == 0 then return true end
    for start = 1, #toks - #parts + 1 do
        local ok = true
        for j = 1, #parts do
            if not part_matches(parts[j], toks[start + j - 1]) then
                ok = false
                break
            end
        end
        if ok then return true end
    end
    return false
end

--- Split a simple_query_string into clauses {parts, negate, must}.
local function parse_search(search)
    local clauses = {}
    local pos = 1
    local len = #search
    while pos <= len do
        local s = string_find(search, "%S", pos)
        if not s then break end
        local negate, must = false, false
        local c = string_sub(search, s, s)
        if c == "-" then negate = true s = s + 1 elseif c == "+" then must = true s = s + 1 end
        local raw
        if string_sub(search, s, s) == '"' then
            local e = string_find(search, '"', s + 1, true)
            if not e then e = len + 1 end
            raw = string_sub(search, s + 1, e - 1)
            pos = e + 1
        else
            local e = string_find(search, "%s", s) or (len + 1)
            raw = string_sub(search, s, e - 1)
            pos = e
        end
        if raw ~= "|" and raw ~= "" then
            local whole_wildcard = string_match(raw, "^%*+$") ~= nil
            clauses[#clauses + 1] = { parts = compile_term(raw), negate = negate, must = must,
                                      all = whole_wildcard }
        end
    end
    return clauses
end

local function strip_boost(field)
    return (string_gsub(field, "%^[%d%.]+$", ""))
end

--- Value of a dotted attribute path.
local function attr_value(attrs, path)
    local v = attrs
    for seg in string_gmatch(path, "[^%.]+") do
        if type(v) ~= "table" then return nil end
        v = v[seg]
    end
    return v
end

--- Does a record match the simple_query_string?
local function search_matches(rec, clauses, fields, operator)
    if #clauses == 0 then return true end
    local info = registry.type_info(rec.type)
    local field_list = fields
    if not field_list or #field_list == 0 then
        field_list = { info and info.search_field or "title" }
    end
    local toks = {}
    for _, f in ipairs(field_list) do
        local name = strip_boost(f)
        local v = attr_value(rec.attributes, name)
        for _, t in ipairs(tokens_of(v)) do toks[#toks + 1] = t end
        toks[#toks + 1] = "\0" -- phrases do not span fields
    end
    local any_positive, all_positive, has_positive = false, true, false
    for _, cl in ipairs(clauses) do
        local hit = cl.all or phrase_in(cl.parts, toks)
        if cl.negate then
            if hit then return false end
        else
            has_positive = true
            if cl.must and not hit then return false end
            if hit then any_positive = true else all_positive = false end
        end
    end
    if not has_positive then return true end
    if operator == "AND" then return all_positive end
    return any_positive
end
_M.compile_term = compile_term
_M.phrase_in = phrase_in
_M.parse_search = parse_search
_M.attr_value = attr_value
_M.search_matches = search_matches

return _M
