-- emu/ndjson.lua - NDJSON for saved-object export/import (BEHAVIOUR §5.2, §7.13).
--
-- stringify() is a stable JSON encoder like json-stable-stringify (object keys sorted,
-- no whitespace, "/" not escaped), which Kibana uses for every exported line.
-- parse_lines() splits an NDJSON payload into decoded values. Pure Lua (no ngx).
local pairs, ipairs, type, tostring, tonumber = pairs, ipairs, type, tostring, tonumber
local getmetatable, pcall, require = getmetatable, pcall, require
local string_format, string_byte, string_gsub, string_sub = string.format, string.byte, string.gsub, string.sub
local string_find = string.find
local table_concat, table_sort = table.concat, table.sort
local math_floor, math_huge = math.floor, math.huge

local _M = {}

local json_ok, json = pcall(require, "emu.json")
if not json_ok then json = nil end
local cjson_ok, cjson = pcall(require, "cjson.safe")
if not cjson_ok then cjson = nil end

local objects = require("emu.objects")

local function is_null(v)
    if json and json.null ~= nil and v == json.null then return true end
    if cjson and v == cjson.null then return true end
    return false
end

local ESCAPES = {
    ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
    ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

local function escape_char(c)
    return ESCAPES[c] or string_format("\\u%04x", string_byte(c))
end

local function encode_string(s)
    return '"' .. string_gsub(s, '[%c"\\]', escape_char) .. '"'
end

local function encode_number(n)
    if n ~= n or n == math_huge or n == -math_huge then return "null" end
    if n == math_floor(n) and n > -2 ^ 53 and n < 2 ^ 53 then
        return string_format("%d", n)
    end
    for _, fmt in ipairs({ "%.15g", "%.16g", "%.17g" }) do
        local s = string_format(fmt, n)
        if tonumber(s) == n then return s end
    end
    return string_format("%.17g", n)
end

--- True when the table is encoded as a JSON array.
local function is_array(t)
    if objects.is_marked_array(t) then return true end
    if json and json.array_mt and getmetatable(t) == json.array_mt then return true end
    local n = #t
    if n == 0 then return false end
    local count = 0
    for k in pairs(t) do
        if type(k) ~= "number" then return false end
        count = count + 1
    end
    return count == n
end

local encode

local function encode_table(t, out)
    if is_array(t) then
        out[#out + 1] = "["
        for i = 1, #t do
            if i > 1 then out[#out + 1] = "," end
            encode(t[i], out)
        end
        out[#out + 1] = "]"
        return
    end
    local keys = {}
    for k, v in pairs(t) do
        if type(v) ~= "function" then keys[#keys + 1] = tostring(k) end
    end
    table_sort(keys)
    out[#out + 1] = "{"
    for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = encode_string(k)
        out[#out + 1] = ":"
        local v = t[k]
        if v == nil then v = t[tonumber(k)] end
        encode(v, out)
    end
    out[#out + 1] = "}"
end

encode = function(v, out)
    local tv = type(v)
    if tv == "string" then
        out[#out + 1] = encode_string(v)
    elseif tv == "number" then
        out[#out + 1] = encode_number(v)
    elseif tv == "boolean" then
        out[#out + 1] = v and "true" or "false"
    elseif tv == "table" then
        encode_table(v, out)
    elseif v == nil or is_null(v) then
        out[#out + 1] = "null"
    else
        out[#out + 1] = "null"
    end
end

--- Stable JSON text of v (sorted keys, compact).
function _M.stringify(v)
    local out = {}
    encode(v, out)
    return table_concat(out)
end

--- Decode one JSON text -> value | nil, message.
function _M.decode(s)
    if json and json.decode then
        local ok, v, err = pcall(json.decode, s)
        if ok and v ~= nil then return v end
        if ok then return nil, err or "invalid JSON" end
        return nil, tostring(v)
    end
    if cjson then return cjson.decode(s) end
    return nil, "no JSON decoder"
end

--- Node's JSON.parse message for a line that is not JSON (approximation, BEHAVIOUR does not
-- pin it down).
local function parse_error_message(line)
    local first = string_sub(line, 1, 1)
    local shown = line
    if #shown > 10 then shown = string_sub(shown, 1, 10) .. "..." end
    return "Unexpected token '" .. first .. "', \"" .. shown .. "\" is not valid JSON"
end

--- Split an NDJSON payload: blank lines are skipped; returns list | nil, message.
function _M.parse_lines(text)
    local out = {}
    local pos = 1
    local len = #text
    while pos <= len do
        local nl = string_find(text, "\n", pos, true)
        local line
        if nl then
            line = string_sub(text, pos, nl - 1)
            pos = nl + 1
        else
            line = string_sub(text, pos)
            pos = len + 1
        end
        line = string_gsub(line, "\r$", "")
        if string_find(line, "%S") then
            local v = _M.decode(line)
            if v == nil then return nil, parse_error_message(string_gsub(line, "^%s+", "")) end
            out[#out + 1] = v
        end
    end
    return out
end

return _M
