-- emu/kql.lua - the subset of KQL the emulator understands in _find's `filter`
-- (BEHAVIOUR §5.3): `<type>.attributes.<field>:value`, `<type>.<root field>:value`,
-- quoted phrases, `field:(a or b)`, ranges (< <= > >=), and/or/not, parentheses. Fields
-- must name one of the searched types (400 `This type X is not allowed: Bad Request`);
-- syntax errors are 400 `KQLSyntaxError: ...: Bad Request`. Pure Lua (no ngx).
local ipairs, type, tostring, tonumber = ipairs, type, tostring, tonumber
local string_lower, string_sub, string_find, string_match = string.lower, string.sub, string.find, string.match
local string_rep = string.rep
local table_concat = table.concat

local objects = require("emu.objects")
local text = require("emu.objects_text")

local _M = {}

local compile_term, phrase_in, tokens_of, attr_value =
    text.compile_term, text.phrase_in, text.tokens_of, text.attr_value

-- ---------------------------------------------------------------------------------------
-- KQL subset for `filter`
-- ---------------------------------------------------------------------------------------
local ROOT_FIELDS = {
    updated_at = true, created_at = true, id = true, type = true, namespaces = true,
    originId = true, references = true, managed = true, coreMigrationVersion = true,
    typeMigrationVersion = true, updated_by = true, created_by = true,
}

local function kql_error(filter, pos, expected)
    local found = string_sub(filter, pos, pos)
    local found_text = found == "" and "end of input" or ('"' .. found .. '"')
    return objects.errors.bad_request("KQLSyntaxError: Expected " .. expected .. " but " .. found_text
        .. " found.\n" .. filter .. "\n" .. string_rep("-", pos - 1) .. "^")
end

--- Tokenize: returns list of {kind, text, pos} or nil, error payload.
local function kql_lex(filter)
    local toks = {}
    local pos, len = 1, #filter
    while pos <= len do
        local c = string_sub(filter, pos, pos)
        if string_find(c, "%s") then
            pos = pos + 1
        elseif c == "(" or c == ")" or c == ":" then
            toks[#toks + 1] = { kind = c, pos = pos }
            pos = pos + 1
        elseif c == "<" or c == ">" then
            local op = c
            if string_sub(filter, pos + 1, pos + 1) == "=" then op = op .. "=" end
            toks[#toks + 1] = { kind = "range", text = op, pos = pos }
            pos = pos + #op
        elseif c == '"' then
            local buf = {}
            local i = pos + 1
            local closed = false
            while i <= len do
                local ch = string_sub(filter, i, i)
                if ch == "\\" then
                    buf[#buf + 1] = string_sub(filter, i + 1, i + 1)
                    i = i + 2
                elseif ch == '"' then
                    closed = true
                    break
                else
                    buf[#buf + 1] = ch
                    i = i + 1
                end
            end
            if not closed then return nil, kql_error(filter, len + 1, '"\\""') end
            toks[#toks + 1] = { kind = "string", text = table_concat(buf), pos = pos }
            pos = i + 1
        else
            local s, e = string_find(filter, "^[^%s%(%):<>\"]+", pos)
            if not s then return nil, kql_error(filter, pos, "value") end
            local word = string_sub(filter, s, e)
            local lw = string_lower(word)
            if lw == "and" or lw == "or" or lw == "not" then
                toks[#toks + 1] = { kind = lw, text = word, pos = pos }
            else
                toks[#toks + 1] = { kind = "word", text = word, pos = pos }
            end
            pos = e + 1
        end
    end
    toks[#toks + 1] = { kind = "eof", pos = len + 1 }
    return toks
end

-- Nesting (parentheses and `not`) deeper than this is refused like Kibana's own
-- recursive parser fails on it: a RangeError (call stack exhausted) that is no
-- KQLSyntaxError, so the route answers 500. It also keeps the emulator's own
-- recursion far from Lua's stack limit.
_M.MAX_DEPTH = 1000
local TOO_DEEP = { statusCode = 500, error = "Internal Server Error",
                   message = "An internal server error occurred.", too_deep = true }

--- Parse into an AST; nodes: {op="and"|"or", list}, {op="not", e}, {op="cmp", field, values, range}
local function kql_parse(filter)
    local toks, lex_err = kql_lex(filter)
    if not toks then return nil, lex_err end
    local i = 1
    local depth = 0
    local function peek() return toks[i] end
    local function take() i = i + 1 return toks[i - 1] end
    local parse_or

    local function parse_value_list()
        -- after "field:(": value (or value)* ")"
        local values = {}
        while true do
            local t = take()
            if t.kind ~= "word" and t.kind ~= "string" then
                return nil, kql_error(filter, t.pos, "value")
            end
            values[#values + 1] = { text = t.text, quoted = t.kind == "string" }
            local nxt = take()
            if nxt.kind == ")" then break end
            if nxt.kind ~= "or" and nxt.kind ~= "and" then
                return nil, kql_error(filter, nxt.pos, '")", "or", "and"')
            end
        end
        return values
    end

    local function parse_primary()
        local t = peek()
        if t.kind == "(" then
            take()
            depth = depth + 1
            if depth > _M.MAX_DEPTH then return nil, TOO_DEEP end
            local e, err = parse_or()
            depth = depth - 1
            if not e then return nil, err end
            local close = take()
            if close.kind ~= ")" then return nil, kql_error(filter, close.pos, '")"') end
            return e
        end
        if t.kind ~= "word" then
            return nil, kql_error(filter, t.pos, '"(", "not", field name')
        end
        take()
        local op = take()
        if op.kind == ":" then
            local v = peek()
            if v.kind == "(" then
                take()
                local values, err = parse_value_list()
                if not values then return nil, err end
                return { op = "cmp", field = t.text, values = values, pos = t.pos }
            end
            if v.kind ~= "word" and v.kind ~= "string" then
                return nil, kql_error(filter, v.pos, '"(", "{", value, whitespace')
            end
            take()
            -- KQL: a bare multi-word value is allowed (`title:foo bar` means both words)
            local values = { { text = v.text, quoted = v.kind == "string" } }
            local after = peek()
            if after.kind == "range" or after.kind == ":" then
                return nil, kql_error(filter, after.pos, '"and", "or", end of input, whitespace')
            end
            return { op = "cmp", field = t.text, values = values, pos = t.pos }
        elseif op.kind == "range" then
            local v = take()
            if v.kind ~= "word" and v.kind ~= "string" then
                return nil, kql_error(filter, v.pos, "literal")
            end
            return { op = "cmp", field = t.text, range = op.text, values = { { text = v.text } }, pos = t.pos }
        end
        return nil, kql_error(filter, op.pos, '":", "<", "<=", ">", ">="')
    end

    local function parse_not()
        local nots = 0
        while peek().kind == "not" do
            take()
            nots = nots + 1
        end
        if depth + nots > _M.MAX_DEPTH then return nil, TOO_DEEP end
        depth = depth + nots
        local e, err = parse_primary()
        depth = depth - nots
        if not e then return nil, err end
        for _ = 1, nots do e = { op = "not", e = e } end
        return e
    end

    -- `a and b and c` is one node with a list (no recursion per operand)
    local function parse_chain(kind, parse_operand)
        local first, err = parse_operand()
        if not first then return nil, err end
        if peek().kind ~= kind then return first end
        local list = { first }
        while peek().kind == kind do
            take()
            local r, err2 = parse_operand()
            if not r then return nil, err2 end
            list[#list + 1] = r
        end
        return { op = kind, list = list }
    end

    local function parse_and() return parse_chain("and", parse_not) end
    parse_or = function() return parse_chain("or", parse_and) end

    local ast, err = parse_or()
    if not ast then return nil, err end
    if peek().kind ~= "eof" then
        return nil, kql_error(filter, peek().pos, '"and", "or", end of input')
    end
    return ast
end

--- Check every field of the AST names one of the searched types.
local function kql_validate(ast, type_set)
    if ast.op == "and" or ast.op == "or" then
        for _, e in ipairs(ast.list) do
            local err = kql_validate(e, type_set)
            if err then return err end
        end
        return nil
    elseif ast.op == "not" then
        return kql_validate(ast.e, type_set)
    end
    local t = string_match(ast.field, "^([^%.]+)")
    if not type_set[t] then
        return objects.errors.bad_request("This type " .. tostring(t) .. " is not allowed")
    end
    local rest = string_sub(ast.field, #t + 2)
    if rest ~= "" and not string_match(rest, "^attributes%.") and not ROOT_FIELDS[rest] then
        return objects.errors.bad_request("This key '" .. ast.field
            .. "' does NOT exist in " .. t .. " saved object index patterns")
    end
    return nil
end

local function value_matches(actual, value, range)
    if actual == nil then return false end
    if range then
        local a, b = tonumber(actual), tonumber(value.text)
        if not (a and b) then a, b = tostring(actual), value.text end
        if range == "<" then return a < b
        elseif range == "<=" then return a <= b
        elseif range == ">" then return a > b
        else return a >= b end
    end
    if type(actual) == "boolean" or type(actual) == "number" then
        return tostring(actual) == value.text
    end
    if value.text == "*" then return true end
    return phrase_in(compile_term(value.text), tokens_of(actual))
end

local function kql_eval(ast, rec)
    if ast.op == "and" then
        for _, e in ipairs(ast.list) do
            if not kql_eval(e, rec) then return false end
        end
        return true
    end
    if ast.op == "or" then
        for _, e in ipairs(ast.list) do
            if kql_eval(e, rec) then return true end
        end
        return false
    end
    if ast.op == "not" then return not kql_eval(ast.e, rec) end
    local t = string_match(ast.field, "^([^%.]+)")
    if t ~= rec.type then return false end
    local rest = string_sub(ast.field, #t + 2)
    local actual
    local attr_path = string_match(rest, "^attributes%.(.+)$")
    if attr_path then
        actual = attr_value(rec.attributes, attr_path)
    elseif rest == "namespaces" then
        actual = objects.rec_namespaces(rec)
    else
        actual = rec[rest]
    end
    for _, v in ipairs(ast.values) do
        if type(actual) == "table" and not attr_path then
            for _, a in ipairs(actual) do
                if value_matches(a, v, ast.range) then return true end
            end
        elseif value_matches(actual, v, ast.range) then
            return true
        end
    end
    return false
end

--- Compile a filter for the given types -> predicate | nil, payload.
function _M.compile(filter, types)
    local ast, err = kql_parse(filter)
    if not ast then return nil, err end
    local type_set = {}
    for _, t in ipairs(types) do type_set[t] = true end
    err = kql_validate(ast, type_set)
    if err then return nil, err end
    return function(rec) return kql_eval(ast, rec) end
end

return _M
