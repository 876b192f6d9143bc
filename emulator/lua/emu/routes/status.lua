-- emu/routes/status.lua: GET /api/status, answered as Kibana 8.15.0 does.
-- Credentials are required, as with Kibana's default `status.allowAnonymous: false`.

local store = require "emu.store"
local config = require "emu.config"
local util = require "emu.util"

local ngx = ngx
local floor = math.floor

local started = ngx.now()

local function status_handler(req)
  local now = ngx.now()
  local c = store.config
  local up = now - started
  return 200, {
    name = c.name or config.NAME,
    uuid = c.uuid,
    version = {
      number = config.VERSION,
      build_hash = config.BUILD_HASH,
      build_number = config.BUILD_NUMBER,
      build_snapshot = false,
      build_flavor = "traditional",
      build_date = config.BUILD_DATE,
    },
    status = {
      overall = { level = "available", summary = "All services and plugins are available" },
      core = {
        elasticsearch = { level = "available", summary = "Elasticsearch is available", meta = {} },
        savedObjects = { level = "available",
                         summary = "SavedObjects service has completed migrations and is available",
                         meta = {} },
        http = { level = "available", summary = "All services are available", meta = {} },
      },
      plugins = {},
    },
    metrics = {
      last_updated = util.iso_time(now),
      collection_interval_in_millis = 5000,
      os = {
        platform = "linux",
        platformRelease = "linux",
        load = { ["1m"] = 0, ["5m"] = 0, ["15m"] = 0 },
        memory = { total_in_bytes = 0, free_in_bytes = 0, used_in_bytes = 0 },
        uptime_in_millis = floor(up * 1000),
      },
      process = {
        memory = { heap = { total_in_bytes = 0, used_in_bytes = 0, size_limit = 0 },
                   resident_set_size_in_bytes = collectgarbage("count") * 1024 },
        pid = ngx.worker.pid(),
        event_loop_delay = 0,
        uptime_in_millis = floor(up * 1000),
      },
      response_times = { avg_in_millis = 0, max_in_millis = 0 },
      requests = { disconnects = 0, total = store.log_seq() },
      concurrent_connections = 1,
    },
  }
end

return {
  { method = "GET", path = { "api", "status" }, handler = status_handler },
}
