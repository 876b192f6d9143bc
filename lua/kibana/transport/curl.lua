-- kibana.transport.curl: the default transport, a thin wrapper over the C
-- libcurl binding (core.http: one reused easy handle, keep-alive). Blocking.
--
-- Transport interface (what the client calls; fake transports in the specs
-- implement the same):
--   t:request(method, url, headers, body)
--       headers: list of "Name: value"; body: string or nil
--       -> {status=, headers={lowercase = value}, body=, duration=}
--       |  nil, kind, message   kind = "connection" | "timeout" | "tls" | "transport"
--   t:sleep(seconds)            optional; used between retries
--   t:yield()                   optional; called while waiting on another
--                               coroutine's space lookup (yielding transports)
--   t:close()                   optional
-- Retries and backoff live in the client (lua/kibana/client.lua), not here.

local core = require "kibana.core"

local setmetatable = setmetatable
local require = require
local pcall = pcall

local _M = {}

local Curl = {}
Curl.__index = Curl

-- opts: timeout, connect_timeout (seconds), verify, ca_file, client_cert,
-- client_key, proxy, user_agent
function _M.new(opts)
  opts = opts or {}
  local conn = core.http({
    timeout = opts.timeout,
    connect_timeout = opts.connect_timeout,
    verify = opts.verify,
    ca_file = opts.ca_file,
    client_cert = opts.client_cert,
    client_key = opts.client_key,
    proxy = opts.proxy,
    user_agent = opts.user_agent,
  })
  return setmetatable({ conn = conn }, Curl)
end

function Curl:request(method, url, headers, body)
  return self.conn:request(method, url, headers, body)
end

local socket_sleep -- resolved on first use, not at load time

-- sleep(seconds): core.sleep when the binding has it, else LuaSocket's
-- socket.sleep, else a busy wait on the monotonic clock.
function _M.sleep(seconds)
  if not seconds or seconds <= 0 then
    return
  end
  if core.sleep then
    return core.sleep(seconds)
  end
  if socket_sleep == nil then
    local ok, socket = pcall(require, "socket")
    socket_sleep = ok and socket.sleep or false
  end
  if socket_sleep then
    return socket_sleep(seconds)
  end
  local deadline = core.monotonic() + seconds
  repeat until core.monotonic() >= deadline
end

function Curl:sleep(seconds)
  return _M.sleep(seconds)
end

function Curl:close()
  if self.conn then
    self.conn:close()
  end
end

return _M
