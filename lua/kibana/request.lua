-- kibana.request: one request on the wire and its answer. send() applies the
-- retry policy (idempotent methods on connection errors, timeouts, 429, 502,
-- 503, 504; POST only on a 429 that carries Retry-After); interpret() turns an
-- HTTP answer into a decoded body or a typed error that names the space.

local core = require "kibana.core"
local errors = require "kibana.errors"

local type = type
local tostring = tostring
local tonumber = tonumber
local os_time = os.time
local string_format = string.format

local _M = {}

-- First 200 characters of a body, tags and control characters removed.
local function snippet(body)
  local s = tostring(body or "")
  s = s:gsub("<[^>]*>", " "):gsub("[%c]", " "):gsub("%s+", " ")
  s = s:gsub("^ ", ""):gsub(" $", "")
  if #s > 200 then
    s = s:sub(1, 200) .. "..."
  end
  if s == "" then
    s = "(empty)"
  end
  return s
end

local REASONS = {
  [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found",
  [405] = "Method Not Allowed", [409] = "Conflict", [413] = "Payload Too Large",
  [415] = "Unsupported Media Type", [429] = "Too Many Requests", [500] = "Internal Server Error",
  [502] = "Bad Gateway", [503] = "Service Unavailable", [504] = "Gateway Timeout",
}

local REASONS = {
  [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found",
  [405] = "Method Not Allowed", [409] = "Conflict", [413] = "Payload Too Large",
  [415] = "Unsupported Media Type", [429] = "Too Many Requests", [500] = "Internal Server Error",
  [502] = "Bad Gateway", [503] = "Service Unavailable", [504] = "Gateway Timeout",
}

local function space_suffix(space)
  return " (space '" .. tostring(space) .. "')"
end

local IDEMPOTENT = { GET = true, HEAD = true, PUT = true, DELETE = true, OPTIONS = true }
local RETRY_STATUS = { [429] = true, [502] = true, [503] = true, [504] = true }
local TRANSPORT_CLASS = {
  connection = errors.ConnectionError,
  timeout = errors.TimeoutError,
  tls = errors.TLSError,
}

local function header_of(resp, name)
  local h = resp and resp.headers
  if type(h) ~= "table" then
    return nil
  end
  return h[name]
end

-- Sends req with retries. Returns resp (any HTTP answer, also 4xx/5xx) or
-- nil, err (a TransportError); plus attempts and duration.
function _M.send(shared, req)
  local o = shared.opts
  local url = shared.origin .. req.path
  if req.query and req.query ~= "" then
    url = url .. "?" .. req.query
  end
  local headers = {}
  for i = 1, #shared.headers do headers[i] = shared.headers[i] end
  if req.method ~= "GET" and req.method ~= "HEAD" and not shared.has_xsrf then
    headers[#headers + 1] = "kbn-xsrf: true"
  end
  if req.content_type then
    headers[#headers + 1] = "Content-Type: " .. req.content_type
  end
  local idempotent = IDEMPOTENT[req.method]
  local start = core.monotonic()
  local attempt = 0
  while true do
    attempt = attempt + 1
    local resp, kind, msg, got_status = shared.transport:request(req.method, url, headers, req.body)
    local delay
    if resp == nil then
      if idempotent and (kind == "connection" or kind == "timeout") and attempt <= o.retries then
        delay = core.backoff(attempt, o.retry_base, o.retry_max_delay, 0.5)
      else
        local cls = TRANSPORT_CLASS[kind] or errors.TransportError
        -- an answer whose body was cut short: the status had arrived
        local status = tonumber(got_status)
        return nil, cls({
          message = string_format("%s%s (%s %s)", tostring(msg or kind or "transport failure"),
            status and string_format(" after an HTTP %d answer began", status) or "", req.method, req.path),
          kind = kind,
          status = status,
        }), attempt, core.monotonic() - start
      end
    else
      local status = tonumber(resp.status)
      if RETRY_STATUS[status] and attempt <= o.retries then
        local ra_header = header_of(resp, "retry-after")
        local ra = ra_header and core.retry_after(ra_header, os_time()) or nil
        if idempotent or (status == 429 and ra) then
          if ra then
            if ra <= o.max_retry_after then
              delay = ra
            end
          else
            delay = core.backoff(attempt, o.retry_base, o.retry_max_delay, 0.5)
          end
        end
      end
      if not delay then
        return resp, nil, attempt, core.monotonic() - start
      end
    end
    shared.sleep(delay)
  end
end

-- Turns an HTTP answer into body or error. ctx: {ep, label, space, names_space}
function _M.interpret(resp, req, ctx)
  local status = tonumber(resp.status) or 0
  local raw = resp.body
  if raw ~= nil and type(raw) ~= "string" then
    raw = tostring(raw)
  end
  if status >= 200 and status < 300 then
    if ctx.response == "text" then
      return raw or ""
    end
    if raw == nil or not raw:find("%S") then
      -- 204 (and the other bodiless 2xx) is success without a body; Kibana
      -- answers every 200 with JSON, so an empty 200 is an answer gone wrong
      -- (a proxy, a cut connection) rather than an empty result
      if status == 200 then
        return nil, errors.ResponseError({
          message = "HTTP 200 with an empty body where Kibana sends JSON"
            .. (ctx.space and space_suffix(ctx.space) or ""),
          status = status,
          raw_body = raw or "",
        })
      end
      return true
    end
    local body, derr = core.json_decode(raw)
    if body == nil then
      return nil, errors.ResponseError({
        message = string_format("HTTP %d with a non-JSON body (%s): %s%s", status, tostring(derr), snippet(raw),
          ctx.space and space_suffix(ctx.space) or ""),
        status = status,
        raw_body = raw,
      })
    end
    return body
  end

  local body, decoded
  if raw and raw:find("%S") then
    decoded = core.json_decode(raw)
    if type(decoded) == "table" then
      body = decoded
    end
  end
  local class_name = core.classify(status)
  local cls = class_name and errors.class(class_name) or errors.ResponseError
  local message
  if status < 400 then
    local location = header_of(resp, "location")
    message = string_format("unexpected HTTP %d%s", status, location and (" (Location: " .. location .. ")") or "")
  elseif body and body.message ~= nil then
    message = tostring(body.message)
  elseif body and body.error ~= nil then
    message = tostring(body.error)
  elseif raw and raw:find("%S") then
    message = string_format("HTTP %d with a non-JSON body: %s", status, snippet(raw))
  else
    message = string_format("HTTP %d %s", status, REASONS[status] or "")
    message = message:gsub(" $", "")
  end
  local space_id = ctx.space
  if ctx.names_space and status == 404 then
    cls = errors.SpaceNotFoundError
    message = string_format("space '%s' not found", tostring(ctx.names_space))
    space_id = ctx.names_space
  elseif ctx.names_space then
    message = message .. space_suffix(ctx.names_space)
    space_id = ctx.names_space
  elseif space_id ~= nil then
    message = message .. space_suffix(space_id)
  end
  local ra = header_of(resp, "retry-after")
  return nil, cls({
    message = message,
    status = status,
    body = body,
    raw_body = body == nil and raw or nil,
    space_id = space_id,
    retry_after = ra and core.retry_after(ra, os_time()) or nil,
  })
end

-- One request, interpreted: body | nil, err; and meta.
function _M.perform(shared, req, ctx)
  local resp, terr, attempts, duration = _M.send(shared, req)
  local meta = {
    method = req.method,
    path = req.path,
    query = req.query ~= "" and req.query or nil,
    space_id = ctx.meta_space,
    attempts = attempts,
    duration = duration,
  }
  if resp == nil then
    return nil, terr, meta
  end
  meta.status = tonumber(resp.status)
  meta.headers = resp.headers or {}
  local body, err = _M.interpret(resp, req, ctx)
  if err and meta.status == 401 and not shared.has_auth then
    err.message = err.message .. "; this client sends no credentials: give kibana.new api_key, "
      .. "username + password or bearer (or set KIBANA_API_KEY)"
  end
  return body, err, meta
end


return _M
