-- kibana.options: the options of kibana.new, checked and resolved into what
-- every request of a client shares (origin, base path, headers with the
-- authentication). Misuse raises a ValidationError naming the option.

local errors = require "kibana.errors"

local type = type
local pairs = pairs
local ipairs = ipairs
local tostring = tostring
local rawget = rawget
local _G = _G
local _VERSION = _VERSION
local os = os -- os.getenv is looked up at call time (specs may stub it)
local string_format = string.format
local string_byte = string.byte
local string_sub = string.sub
local table_concat = table.concat
local table_sort = table.sort
local math_floor = math.floor

local _M = {}

local misuse = errors.misuse

local DEFAULTS = {
  timeout = 30,
  connect_timeout = 10,
  retries = 2,
  retry_base = 0.5,       -- first backoff delay, doubled per attempt
  retry_max_delay = 8,    -- cap of the computed backoff
  max_retry_after = 60,   -- a Retry-After longer than this is not waited for
  verify = true,
  space_cache_ttl = 300,
  space_missing_ttl = 0,  -- "missing" answers are not cached by default
  validate_spaces = true,
  raise = true,
}

-- name -> expected Lua type(s)
local OPTIONS = {
  url = "string",
  api_key = "string|table",
  username = "string",
  password = "string",
  bearer = "string",
  headers = "table",
  timeout = "number",
  connect_timeout = "number",
  retries = "number",
  retry_base = "number",
  retry_max_delay = "number",
  max_retry_after = "number",
  verify = "boolean",
  ca_file = "string",
  client_cert = "string",
  client_key = "string",
  proxy = "string",
  base_path = "string",
  space_cache_ttl = "number",
  space_missing_ttl = "number",
  validate_spaces = "boolean",
  raise = "boolean",
  user_agent = "string",
  opaque_id = "string",
  transport = "table|userdata",
  sleep = "function",
}

-- Numeric options: numbers from 0 to this limit (NaN is refused). The TTLs
-- may be math.huge (cache for good); timeouts are libcurl's milliseconds.
local NUMBER_LIMITS = {
  timeout = 2e6,
  connect_timeout = 2e6,
  retries = 1e6,
  retry_base = 1e9,
  retry_max_delay = 1e9,
  max_retry_after = 1e9,
  space_cache_ttl = math.huge,
  space_missing_ttl = math.huge,
}

_M.DEFAULTS = DEFAULTS

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = string_byte(s, i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math_floor(n / 262144) % 64
    local c2 = math_floor(n / 4096) % 64
    local c3 = math_floor(n / 64) % 64
    local c4 = n % 64
    out[#out + 1] = string_sub(B64, c1 + 1, c1 + 1) .. string_sub(B64, c2 + 1, c2 + 1)
      .. (b and string_sub(B64, c3 + 1, c3 + 1) or "=")
      .. (c and string_sub(B64, c4 + 1, c4 + 1) or "=")
  end
  return table_concat(out)
end

local function type_matches(v, spec)
  local tv = type(v)
  for t in spec:gmatch("[^|]+") do
    if t == tv then
      return true
    end
  end
  return false
end

local function check_header_value(name, value)
  if type(value) ~= "string" and type(value) ~= "number" then
    misuse(string_format("kibana.new: header '%s' must be a string, got %s", tostring(name), type(value)), "headers")
  end
  value = tostring(value)
  if value:find("[\r\n]") or tostring(name):find("[\r\n:]") then
    misuse(string_format("kibana.new: header '%s' contains a line break or a colon in its name", tostring(name)), "headers")
  end
  return value
end

-- A credential goes into the Authorization header as it is: a line break
-- (a key read from a file with its newline) or any other control character
-- would make every request fail, so it is refused here, naming its source.
local function check_credential(value, name, source)
  if value:find("%c") then
    misuse(string_format("kibana.new: %s contains a line break or another control character%s",
      source or name, source and (" (used as " .. name .. ")") or ""), name)
  end
  return value
end

local function auth_header(opts, sources)
  local methods = {}
  if opts.api_key ~= nil then methods[#methods + 1] = "api_key" end
  if opts.username ~= nil or opts.password ~= nil then methods[#methods + 1] = "username+password" end
  if opts.bearer ~= nil then methods[#methods + 1] = "bearer" end
  if #methods > 1 then
    misuse("kibana.new: give exactly one authentication method, got " .. table_concat(methods, " and "), methods[2])
  end
  if opts.api_key ~= nil then
    local key = opts.api_key
    if type(key) == "table" then
      if type(key.id) ~= "string" or type(key.api_key) ~= "string" or key.id == "" or key.api_key == "" then
        misuse("kibana.new: api_key as a table must be {id = <string>, api_key = <string>}", "api_key")
      end
      return "ApiKey " .. base64(key.id .. ":" .. key.api_key)
    end
    if key == "" then
      misuse("kibana.new: api_key must not be empty", "api_key")
    end
    return "ApiKey " .. check_credential(key, "api_key", sources.api_key)
  end
  if opts.username ~= nil or opts.password ~= nil then
    if type(opts.username) ~= "string" or type(opts.password) ~= "string" then
      misuse("kibana.new: username and password go together (both strings)",
        opts.username == nil and "username" or "password")
    end
    return "Basic " .. base64(opts.username .. ":" .. opts.password)
  end
  if opts.bearer ~= nil then
    if opts.bearer == "" then
      misuse("kibana.new: bearer must not be empty", "bearer")
    end
    return "Bearer " .. check_credential(opts.bearer, "bearer")
  end
  return nil
end

-- The URL with the password of its userinfo (http://user:password@host)
-- replaced by ***, for messages and tostring.
local function redact(url)
  return (url:gsub("^(%a+://)([^/?#@]*)@", function(scheme, userinfo)
    local user, password = userinfo:match("^([^:]*):(.*)$")
    if password then
      return scheme .. user .. ":***@"
    end
    return scheme .. userinfo .. "@"
  end))
end

local function normalize_path(p)
  if p == nil or p == "" or p == "/" then
    return ""
  end
  if p:sub(1, 1) ~= "/" then
    p = "/" .. p
  end
  return (p:gsub("/+$", ""))
end

local function default_user_agent(version)
  local jit = rawget(_G, "jit")
  local runtime = (type(jit) == "table" and jit.version) or _VERSION or "Lua"
  return string_format("lua-kibana/%s (%s)", version, runtime)
end

_M.redact = redact

-- resolve(url, opts) -> config: checks every option (misuse raises, naming
-- it), fills in defaults and the environment (KIBANA_URL, KIBANA_API_KEY,
-- KIBANA_USERNAME + KIBANA_PASSWORD, read at call time) and computes what
-- every request shares: {opts, origin, base_path, headers, has_xsrf, has_auth}.
function _M.resolve(url, opts)
  if type(url) == "table" and opts == nil then
    opts, url = url, url.url
  end
  if opts == nil then
    opts = {}
  end
  if url == nil and type(opts) == "table" then
    url = opts.url
  end
  if type(opts) ~= "table" then
    misuse("kibana.new(url, opts): opts must be a table, got " .. type(opts), "opts")
  end
  for k, v in pairs(opts) do
    local spec = OPTIONS[k]
    if spec == nil then
      misuse(string_format("unknown option '%s' for kibana.new", tostring(k)), tostring(k))
    end
    if not type_matches(v, spec) then
      misuse(string_format("kibana.new: option '%s' must be a %s, got %s", k, spec:gsub("|", " or "), type(v)), k)
    end
    local limit = NUMBER_LIMITS[k]
    if limit and not (v >= 0 and v <= limit) then
      misuse(string_format("kibana.new: option '%s' must be a number from 0 to %s, got %s", k,
        limit == math.huge and "math.huge" or string_format("%.0f", limit), tostring(v)), k)
    end
  end
  local o = {}
  for k, v in pairs(DEFAULTS) do o[k] = v end
  for k, v in pairs(opts) do o[k] = v end

  -- environment, read at call time
  local sources = {}
  if url == nil then
    sources.url = "KIBANA_URL"
    url = os.getenv("KIBANA_URL")
    if url == nil or url == "" then
      misuse("kibana.new: no URL given and KIBANA_URL is not set", "url")
    end
  end
  if type(url) ~= "string" then
    misuse("kibana.new: url must be a string, got " .. type(url), "url")
  end
  if o.api_key == nil and o.username == nil and o.password == nil and o.bearer == nil then
    local key = os.getenv("KIBANA_API_KEY")
    local user, pass = os.getenv("KIBANA_USERNAME"), os.getenv("KIBANA_PASSWORD")
    if key and key ~= "" then
      o.api_key = key
      sources.api_key = "KIBANA_API_KEY"
    elseif user and user ~= "" then
      o.username, o.password = user, pass or ""
    end
  end

  local origin, upath = url:match("^(https?://[^/?#]+)([^?#]*)$")
  if not origin then
    misuse(string_format("kibana.new: %s must look like http(s)://host[:port][/path], got %q",
      sources.url or "url", redact(url)), "url")
  end
  -- libcurl refuses such URLs at every request; say so now, naming the source
  if url:find("[%s%c]") then
    misuse(string_format("kibana.new: %s must not contain spaces or control characters "
      .. "(percent-encode them: %%20), got %q", sources.url or "url", redact(url)), "url")
  end
  if o.base_path and o.base_path:find("[%s%c]") then
    misuse(string_format("kibana.new: base_path must not contain spaces or control characters "
      .. "(percent-encode them: %%20), got %q", o.base_path), "base_path")
  end

  local headers = {}
  local seen = {}
  local function add(name, value)
    local lname = name:lower()
    if not seen[lname] then
      seen[lname] = true
      headers[#headers + 1] = name .. ": " .. value
    end
  end
  -- the caller's headers win over ours
  if o.headers then
    local names = {}
    for name in pairs(o.headers) do names[#names + 1] = tostring(name) end
    table_sort(names)
    for _, name in ipairs(names) do
      -- the body's type is the client's business: an import is multipart with
      -- a boundary, everything else JSON; a second Content-Type would clash
      if name:lower() == "content-type" then
        misuse("kibana.new: headers must not set Content-Type (each request sets its own)", "headers")
      end
      add(name, check_header_value(name, o.headers[name]))
    end
  end
  local auth = auth_header(o, sources)
  if auth then add("Authorization", auth) end
  o.user_agent = o.user_agent or default_user_agent(_M.VERSION)
  add("Accept", "application/json")
  add("User-Agent", check_header_value("User-Agent", o.user_agent))
  if o.opaque_id then add("x-opaque-id", check_header_value("x-opaque-id", o.opaque_id)) end

  return {
    opts = o,
    origin = origin,
    base_path = normalize_path(upath) .. normalize_path(o.base_path),
    headers = headers,
    has_xsrf = seen["kbn-xsrf"],
    has_auth = seen["authorization"],
  }
end

return _M
