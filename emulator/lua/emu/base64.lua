-- emu/base64.lua - standard base64 (RFC 4648, with padding) in pure Lua, using arithmetic
-- only (LuaJIT/5.1 have no bitwise operators). Saved-object versions are base64 of
-- "[seq_no,primary_term]" (BEHAVIOUR §5.1).
local type = type
local string_byte, string_char, string_sub = string.byte, string.char, string.sub
local table_concat = table.concat
local math_floor = math.floor

local _M = {}

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local INDEX = {}
for i = 1, 64 do INDEX[string_byte(ALPHABET, i)] = i - 1 end

local function char_at(n) return string_sub(ALPHABET, n + 1, n + 1) end

--- Encode a byte string.
function _M.encode(s)
    local out = {}
    for i = 1, #s, 3 do
        local a, b, c = string_byte(s, i, i + 2)
        local n = a * 65536 + (b or 0) * 256 + (c or 0)
        out[#out + 1] = char_at(math_floor(n / 262144) % 64) .. char_at(math_floor(n / 4096) % 64)
            .. (b and char_at(math_floor(n / 64) % 64) or "=")
            .. (c and char_at(n % 64) or "=")
    end
    return table_concat(out)
end

--- Decode; nil when s is not well-formed padded base64.
function _M.decode(s)
    if type(s) ~= "string" or #s % 4 ~= 0 then return nil end
    local out = {}
    for i = 1, #s, 4 do
        local n, pad = 0, 0
        for j = i, i + 3 do
            local ch = string_byte(s, j)
            local v
            if ch == 61 then -- '=' only in the last two positions of the last group
                if j < i + 2 or i + 3 ~= #s then return nil end
                pad = pad + 1
                v = 0
            else
                if pad > 0 then return nil end
                v = INDEX[ch]
                if not v then return nil end
            end
            n = n * 64 + v
        end
        out[#out + 1] = string_char(math_floor(n / 65536) % 256)
        if pad < 2 then out[#out + 1] = string_char(math_floor(n / 256) % 256) end
        if pad < 1 then out[#out + 1] = string_char(n % 256) end
    end
    return table_concat(out)
end

return _M
