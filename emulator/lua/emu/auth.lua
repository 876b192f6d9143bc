-- emu/auth.lua: who is calling (BEHAVIOUR §2.4) and may they use a space.
--
-- authenticate(authorization_header) -> principal | nil, status, message
--   principal = { name, spaces = nil | { "space", ... }, space_set = nil | set }
-- allowed(principal, space) -> boolean
-- Accepted: `Basic b64(user:pass)`, `ApiKey b64(id:key)` (compared as given),
-- `Bearer <token>` for tokens listed in the config. Results are cached by header.

local store = require "emu.store"

local type = type
local find, sub, lower, match = string.find, string.sub, string.lower, string.match

local _M = {}

local MSG_USER = "[security_exception: [security_exception] Reason: unable to authenticate user [%s] " ..
  "for REST request [/_security/_authenticate]]: unable to authenticate user [%s] for REST request " ..
  "[/_security/_authenticate]"
local MSG_CREDS = "[security_exception: [security_exception] Reason: unable to authenticate with " ..
  "provided credentials and anonymous access is not allowed for this request]: unable to authenticate " ..
  "with provided credentials and anonymous access is not allowed for this request"

local decode_base64 = ngx and ngx.decode_base64

local cache, cache_size, cache_config = {}, 0, nil

local function user_failure(name)
  return { fail = true, message = (MSG_USER:gsub("%%s", (name:gsub("%%", "%%%%")))) }
end

local function resolve(header)
  local config = store.config
  local scheme, cred = match(header, "^%s*(%S+)%s+(.-)%s*$")
  if not scheme then return { fail = true, message = "Unauthorized" } end
  scheme = lower(scheme)
  if scheme == "basic" then
    local plain = decode_base64 and decode_base64(cred)
    if not plain then return user_failure("") end
    local colon = find(plain, ":", 1, true)
    if not colon then return user_failure(plain) end
    local name, pass = sub(plain, 1, colon - 1), sub(plain, colon + 1)
    local u = config.users and config.users[name]
    if u and u.password == pass then return u end
    return user_failure(name)
  elseif scheme == "apikey" then
    local k = config.api_keys and config.api_keys[cred]
    if k then return k end
    return { fail = true, message = MSG_CREDS }
  elseif scheme == "bearer" then
    local t = config.bearer and config.bearer[cred]
    if t then return t end
    return { fail = true, message = MSG_CREDS }
  end
  -- a scheme no provider handles: Kibana answers the generic 401
  return { fail = true, message = "Unauthorized" }
end

function _M.authenticate(header)
  if header == nil then return nil, 401, "Unauthorized" end
  if type(header) == "table" then header = header[1] end
  if cache_config ~= store.config then
    cache, cache_size, cache_config = {}, 0, store.config
  end
  local p = cache[header]
  if not p then
    p = resolve(header)
    if cache_size >= 1000 then cache, cache_size = {}, 0 end
    cache[header] = p
    cache_size = cache_size + 1
  end
  if p.fail then return nil, 401, p.message end
  return p
end

function _M.allowed(principal, space)
  if not principal then return false end
  local set = principal.space_set
  if set == nil then return true end
  return set[space] == true
end

-- unrestricted(principal) -> true when the principal may use every space
function _M.unrestricted(principal)
  return principal ~= nil and principal.space_set == nil
end

return _M
