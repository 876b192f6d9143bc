-- bench/emulator_so_create.lua: wrk script for bench/emulator.sh; every request
-- creates a dashboard (POST /api/saved_objects/dashboard, a new UUID each time)
-- and the run ends with the count of answers that were not 200.
wrk.method = "POST"
wrk.path = "/api/saved_objects/dashboard"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["kbn-xsrf"] = "bench"
wrk.headers["Authorization"] = "Basic ZWxhc3RpYzpjaGFuZ2VtZQ=="
wrk.body = '{"attributes":{"title":"bench dashboard","description":"created by wrk"},' ..
           '"references":[{"type":"index-pattern","id":"logs","name":"kibanaSavedObjectMeta.searchSourceJSON.index"}]}'

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init()
  not_ok = 0
end

function response(status)
  if status ~= 200 then not_ok = not_ok + 1 end
end

function done()
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("not_ok") or 0) end
  io.write(string.format("answers other than 200: %d\n", bad))
end
