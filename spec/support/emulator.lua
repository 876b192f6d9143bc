-- spec/support/emulator.lua: one Kibana emulator per test process.
--
--   local emu = require "spec.support.emulator"
--   emu.url()          -- KIBANA_EMULATOR_URL, else starts `emulator/kibana-emulator
--                      -- --daemon --port 0` once and stops it when the process exits
--   emu.reset()        -- POST /_emulator/reset
--   emu.requests(n)    -- decoded request log (entries with seq > n)
--   emu.fault(tbl)     -- POST /_emulator/faults
--   emu.clear_faults() -- DELETE /_emulator/faults
--   emu.api_key()      -- the API key (KIBANA_EMULATOR_API_KEY with an external URL)
--   emu.dir()          -- its state dir (KIBANA_EMULATOR_DIR with an external URL, else nil)
-- busted reloads modules for every spec file (insulation), so the running
-- instance is kept in the Lua registry, which survives that.

local _M = {}

local REG_KEY = "spec.support.emulator/state"
local registry = debug.getregistry()

local function state()
  local s = registry[REG_KEY]
  if not s then
    s = {}
    registry[REG_KEY] = s
  end
  return s
end

local function sh_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function launcher()
  return os.getenv("KIBANA_EMULATOR_BIN") or "./emulator/kibana-emulator"
end
_M.launcher = launcher

-- run(cmd) -> output, ok
function _M.run(cmd)
  local p = io.popen(cmd .. " 2>&1; echo \"__rc=$?\"")
  local out = p:read("*a")
  p:close()
  local rc = tonumber(out:match("__rc=(%d+)%s*$"))
  out = out:gsub("__rc=%d+%s*$", "")
  return out, rc == 0, rc
end

local function start()
  local s = state()
  local dir = os.tmpname()
  os.remove(dir)
  local out, ok = _M.run(launcher() .. " --daemon --port 0 --dir " .. sh_quote(dir))
  if not ok then error("kibana-emulator failed to start:\n" .. out) end
  s.url = out:match("ready (http://[%d%.]+:%d+)")
  s.api_key = out:match("api key: (%S+)")
  s.dir = dir
  if not s.url then error("kibana-emulator printed no ready line:\n" .. out) end
  -- stop it when the Lua state closes (busted exits with os.exit(code, true))
  s.guard = setmetatable({}, { __gc = function()
    os.execute(launcher() .. " --stop --dir " .. sh_quote(dir) .. " >/dev/null 2>&1")
    os.execute("rm -rf " .. sh_quote(dir))
  end })
end

-- start_extra(args) -> { url, api_key, dir, output, stop = fn } | nil, output
-- A second emulator (e.g. with --strict-spaces or --config) for one spec file;
-- stop() it in teardown (it is also stopped when the process exits).
function _M.start_extra(args)
  local dir = os.tmpname()
  os.remove(dir)
  local out, ok = _M.run(launcher() .. " --daemon --port 0 --dir " .. sh_quote(dir) .. " " .. (args or ""))
  if not ok then
    os.execute("rm -rf " .. sh_quote(dir))
    return nil, out
  end
  local inst = { url = out:match("ready (http://[%d%.]+:%d+)"), api_key = out:match("api key: (%S+)"),
                 dir = dir, output = out }
  local stopped = false
  function inst.stop()
    if stopped then return end
    stopped = true
    os.execute(launcher() .. " --stop --dir " .. sh_quote(dir) .. " >/dev/null 2>&1")
    os.execute("rm -rf " .. sh_quote(dir))
  end
  local s = state()
  s.extras = s.extras or {}
  s.extras[#s.extras + 1] = setmetatable({}, { __gc = inst.stop })
  return inst
end

-- sh_quote(s) -> s quoted for /bin/sh
_M.sh_quote = sh_quote

function _M.url()
  local s = state()
  if s.url then return s.url end
  local env = os.getenv("KIBANA_EMULATOR_URL")
  if env and env ~= "" then
    s.url = env:gsub("/+$", "")
    s.api_key = os.getenv("KIBANA_EMULATOR_API_KEY")
    local dir = os.getenv("KIBANA_EMULATOR_DIR")      -- its state dir, when known
    if dir and dir ~= "" then s.dir = dir end
    return s.url
  end
  start()
  return s.url
end

function _M.api_key()
  _M.url()
  return state().api_key
end

-- dir() -> the state directory of the emulator this module started (or nil)
function _M.dir()
  _M.url()
  return state().dir
end

local function http() return require "spec.support.http" end

local function control(method, path, body)
  local r, err = http().request{ method = method, path = path, body = body, auth = "none" }
  if not r then error("control API " .. method .. " " .. path .. ": " .. tostring(err)) end
  return r
end
_M.control = control

function _M.reset()
  local r = control("POST", "/_emulator/reset")
  assert(r.status == 204, "reset failed: " .. tostring(r.status) .. " " .. tostring(r.body))
end

function _M.requests(since)
  local r = control("GET", "/_emulator/requests" .. (since and ("?since=" .. since) or ""))
  assert(r.status == 200, "requests failed: " .. tostring(r.status))
  return r.json
end

-- last_request([method]) -> the newest log entry (of that method)
function _M.last_request(method)
  local log = _M.requests()
  for i = #log, 1, -1 do
    if method == nil or log[i].method == method then
      return log[i]
    end
  end
end

-- error_log() -> the nginx error log of the emulator this process started
-- ("" for an external one unless KIBANA_EMULATOR_DIR names its state dir)
function _M.error_log()
  local dir = _M.dir()
  local f = dir and io.open(dir .. "/error.log", "rb")
  if not f then return "" end
  local s = f:read("*a")
  f:close()
  return s
end

function _M.clear_requests()
  control("DELETE", "/_emulator/requests")
end

function _M.fault(tbl)
  local r = control("POST", "/_emulator/faults", tbl)
  assert(r.status == 200, "fault failed: " .. tostring(r.status) .. " " .. tostring(r.body))
  return r.json
end

function _M.clear_faults()
  control("DELETE", "/_emulator/faults")
end

return _M
