-- emu/multipart.lua - minimal multipart/form-data parser for the saved-objects _import and
-- _resolve_import_errors routes (BEHAVIOUR §5.2). Pure Lua (no ngx).
local ipairs, type = ipairs, type
local string_find, string_sub, string_match, string_lower, string_gsub =
    string.find, string.sub, string.match, string.lower, string.gsub

local _M = {}

--- The boundary of a `multipart/form-data; boundary=...` content type, or nil.
function _M.boundary(content_type)
    if type(content_type) ~= "string" then return nil end
    local ct = string_lower(content_type)
    if not string_find(ct, "^%s*multipart/form%-data") then return nil end
    local b = string_match(content_type, '[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]="([^"]+)"')
        or string_match(content_type, "[Bb][Oo][Uu][Nn][Dd][Aa][Rr][Yy]=([^;%s]+)")
    return b
end

local function parse_headers(block)
    local headers = {}
    for line in (block .. "\n"):gmatch("([^\n]*)\n") do
        line = string_gsub(line, "\r$", "")
        local name, value = string_match(line, "^([^:]+):%s*(.*)$")
        if name then headers[string_lower(name)] = value end
    end
    return headers
end

--- Parse a multipart body -> list of {name, filename, content_type, data} | nil, message.
function _M.parse(body, boundary)
    if type(body) ~= "string" or not boundary then return nil, "no multipart body" end
    local delim = "--" .. boundary
    local parts = {}
    local s, e = string_find(body, delim, 1, true)
    if not s then return nil, "boundary not found" end
    local pos = e + 1
    while true do
        -- after a delimiter: "--" ends the body, otherwise a line break then headers
        if string_sub(body, pos, pos + 1) == "--" then break end
        local hs = string_find(body, "\n", pos, true)
        if not hs then break end
        local he_s, he_e = string_find(body, "\r\n\r\n", hs + 1, true)
        local alt_s, alt_e = string_find(body, "\n\n", hs + 1, true)
        if not he_s or (alt_s and alt_s < he_s) then he_s, he_e = alt_s, alt_e end
        if not he_s then return nil, "malformed part headers" end
        local headers = parse_headers(string_sub(body, hs + 1, he_s - 1))
        local ns, ne = string_find(body, delim, he_e + 1, true)
        if not ns then return nil, "unterminated part" end
        local data_end = ns - 1
        if string_sub(body, data_end - 1, data_end) == "\r\n" then
            data_end = data_end - 2
        elseif string_sub(body, data_end, data_end) == "\n" then
            data_end = data_end - 1
        end
        local disp = headers["content-disposition"] or ""
        parts[#parts + 1] = {
            name = string_match(disp, '[; ]name="([^"]*)"') or string_match(disp, "[; ]name=([^;%s]+)"),
            filename = string_match(disp, 'filename="([^"]*)"') or string_match(disp, "filename=([^;%s]+)"),
            content_type = headers["content-type"],
            data = string_sub(body, he_e + 1, data_end),
        }
        pos = ne + 1
    end
    return parts
end

--- The first part named `name`, or nil.
function _M.field(parts, name)
    for _, p in ipairs(parts) do
        if p.name == name then return p end
    end
    return nil
end

--- Lower-cased extension of a file name as Node's path.extname gives it (".ndjson", "").
function _M.extname(filename)
    if type(filename) ~= "string" then return "" end
    local base = string_match(filename, "([^/\\]*)$") or filename
    local ext = string_match(base, "^.+(%.[^%.]*)$")
    return ext and string_lower(ext) or ""
end

return _M
