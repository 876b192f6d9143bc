-- emu/routes/control.lua: the /_emulator control API (no auth, never logged,
-- never faulted). Not a Kibana API: it lets tests inspect and steer the emulator.
--
--   GET    /_emulator/health              {"status":"ok"}
--   GET    /_emulator/requests[?since=N]  request log entries with seq > N, oldest first
--   DELETE /_emulator/requests            clear the request log                       (204)
--   POST   /_emulator/reset               back to a fresh start                        (204)
--   GET    /_emulator/faults              active fault rules
--   POST   /_emulator/faults              add a rule (emu.faults), answers the rule
--   DELETE /_emulator/faults              remove every rule                            (204)
--   GET    /_emulator/indices             { "<index>": <document count> }
--   GET    /_emulator/indices/<name>      documents written by .index connectors (404 if none)
--   DELETE /_emulator/indices/<name>      drop one index                               (204)
--   GET    /_emulator/server-log          entries written by .server-log connectors
--   DELETE /_emulator/server-log          clear them                                   (204)
--   POST   /_emulator/crash               raises inside its handler: shows the 500 path
--                                         (Kibana's body, traceback in the error log)

local json = require "emu.json"
local http = require "emu.http"
local store = require "emu.store"
local faults = require "emu.faults"

local tonumber, pairs, type = tonumber, pairs, type

local function health()
  return 200, { status = "ok", version = store.config.version }
end

local function get_requests(req)
  local since = req.query.since
  if type(since) == "table" then since = since[1] end
  local n = 0
  if since ~= nil then
    n = tonumber(since)
    if not n or n < 0 or n % 1 ~= 0 then
      return http.error(400, "[request query.since]: expected a non-negative integer")
    end
  end
  return 200, store.log_since(n)
end

local function clear_requests()
  store.log_clear()
  return 204
end

local function reset()
  store.reset()
  return 204
end

local function list_faults()
  return 200, faults.list()
end

local function add_fault(req)
  local rule, msg = faults.add(req.body)
  if not rule then return http.error(400, msg) end
  return 200, rule
end

local function clear_faults()
  faults.clear()
  return 204
end

local function list_indices()
  local out = {}
  for name, docs in pairs(store.indices) do out[name] = #docs end
  return 200, out
end

local function get_index(req)
  local docs = store.indices[req.params.name]
  if not docs then return http.error(404, "index [" .. req.params.name .. "] not found") end
  return 200, docs
end

local function delete_index(req)
  store.indices[req.params.name] = nil
  return 204
end

local function server_log()
  return 200, store.server_log
end

local function clear_server_log()
  store.server_log = json.array()
  return 204
end

local function crash()
  error("deliberate failure requested through /_emulator/crash")
end

local E = "_emulator"
return {
  { method = "GET", path = { E, "health" }, handler = health },
  { method = "GET", path = { E, "requests" }, handler = get_requests },
  { method = "DELETE", path = { E, "requests" }, handler = clear_requests },
  { method = "POST", path = { E, "reset" }, handler = reset },
  { method = "GET", path = { E, "faults" }, handler = list_faults },
  { method = "POST", path = { E, "faults" }, handler = add_fault },
  { method = "DELETE", path = { E, "faults" }, handler = clear_faults },
  { method = "GET", path = { E, "indices" }, handler = list_indices },
  { method = "GET", path = { E, "indices", { param = "name" } }, handler = get_index },
  { method = "DELETE", path = { E, "indices", { param = "name" } }, handler = delete_index },
  { method = "GET", path = { E, "server-log" }, handler = server_log },
  { method = "DELETE", path = { E, "server-log" }, handler = clear_server_log },
  { method = "POST", path = { E, "crash" }, handler = crash },
}
