-- The emulator's /_emulator control API: request log, reset, fault injection,
-- indices and server log. Not a Kibana API; the faults reproduce what a client
-- meets in front of real Kibana (BEHAVIOUR §2.5 error bodies, §6 limits aside).

local emu = require "spec.support.emulator"
local http = require "spec.support.http"
local json = require "emu.json"

local function err(status, message)
  return { statusCode = status, error = require("emu.http").reason(status), message = message }
end

before_each(function() emu.reset() end)

describe("control API: GET/DELETE /_emulator/requests (the request log, BEHAVIOUR §1.1 spaces)", function()
  it("records method, path, query, headers, space and status in order", function()
    http.get("/api/spaces/space?include_authorized_purposes=true")
    http.post("/s/mkt/api/actions/connector", { name = "x", connector_type_id = ".server-log" },
      { headers = { ["x-trace"] = "abc" } })
    http.request{ path = "/api/actions/connectors" }
    local log = emu.requests()
    assert.are.equal(3, #log)
    assert.are.same({ "GET", "/api/spaces/space", "include_authorized_purposes=true", "default", 200 },
      { log[1].method, log[1].path, log[1].query, log[1].space, log[1].status })
    assert.are.same({ "POST", "/s/mkt/api/actions/connector", "", "mkt", 200 },
      { log[2].method, log[2].path, log[2].query, log[2].space, log[2].status })
    assert.are.equal("abc", log[2].headers["x-trace"])
    assert.are.equal("spec", log[2].headers["kbn-xsrf"])
    assert.are.equal("application/json", log[2].headers["content-type"])
    assert.are.equal(401, log[3].status)
    assert.is_nil(log[3].headers.authorization)
    assert.is_true(log[1].seq < log[2].seq and log[2].seq < log[3].seq)
  end)

  it("does not log /_emulator requests", function()
    emu.control("GET", "/_emulator/faults")
    emu.control("GET", "/_emulator/nope")
    assert.are.equal(0, #emu.requests())
    assert.are.equal("[]", emu.control("GET", "/_emulator/requests").body)
  end)

  it("?since=N returns only later entries; DELETE clears", function()
    for _ = 1, 3 do http.get("/api/spaces/space") end
    local all = emu.requests()
    local later = emu.requests(all[1].seq)
    assert.are.equal(2, #later)
    assert.are.equal(all[2].seq, later[1].seq)
    assert.are.equal(0, #emu.requests(all[3].seq))
    assert.are.same(err(400, "[request query.since]: expected a non-negative integer"),
      emu.control("GET", "/_emulator/requests?since=x").json)
    local r = emu.control("DELETE", "/_emulator/requests")
    assert.are.equal(204, r.status)
    assert.are.equal(0, #emu.requests())
  end)
end)

describe("control API: POST /_emulator/reset (BEHAVIOUR §3.3 fresh state)", function()
  it("brings back a fresh emulator: default space only, no connectors, objects, faults, log", function()
    http.post("/api/spaces/space", { id = "s", name = "S" })
    local c = http.post("/api/actions/connector", { name = "i", connector_type_id = ".index",
                                                    config = { index = "ix" } }).json
    http.post("/api/actions/connector/" .. c.id .. "/_execute", { params = { documents = { { a = 1 } } } })
    http.post("/api/actions/connector/preconfigured-server-log/_execute", { params = { message = "m" } })
    http.post("/api/saved_objects/dashboard/d", { attributes = { title = "t" } })
    emu.fault{ status = 503, match = "/never/" }
    local r = emu.control("POST", "/_emulator/reset")
    assert.are.equal(204, r.status)
    assert.are.equal(0, #emu.requests())
    assert.are.equal(0, #emu.control("GET", "/_emulator/faults").json)
    assert.are.same({ "default" }, { http.get("/api/spaces/space").json[1].id })
    assert.are.equal(1, #http.get("/api/spaces/space").json)
    assert.are.equal(1, #http.get("/api/actions/connectors").json)
    assert.are.equal(404, http.get("/api/saved_objects/dashboard/d").status)
    assert.are.equal(404, emu.control("GET", "/_emulator/indices/ix").status)
    assert.are.equal(0, #emu.control("GET", "/_emulator/server-log").json)
  end)
end)

describe("control API: /_emulator/faults (BEHAVIOUR §2.5 error body shape for injected statuses)", function()
  after_each(function() emu.clear_faults() end)

  it("status + count: the next N /api requests fail, then service resumes", function()
    local f = emu.fault{ status = 503, count = 2, retry_after = "2" }
    assert.are.equal(503, f.status)
    for _ = 1, 2 do
      local r = http.get("/api/spaces/space")
      assert.are.equal(503, r.status)
      assert.are.same(err(503, "Service Unavailable"), r.json)
      assert.are.equal("2", r.headers["retry-after"])
    end
    assert.are.equal(200, http.get("/api/spaces/space").status)
    assert.are.equal(0, #emu.control("GET", "/_emulator/faults").json)
    local log = emu.requests()
    assert.are.equal(503, log[1].status)
    assert.are.equal("status", log[1].fault)
  end)

  it("429 with Retry-After; 500/502/504 with Boom bodies", function()
    emu.fault{ status = 429, count = 1, retry_after = 7 }
    local r = http.get("/api/actions/connectors")
    assert.are.same(err(429, "Too Many Requests"), r.json)
    assert.are.equal("7", r.headers["retry-after"])
    for _, st in ipairs{ 500, 502, 504 } do
      emu.fault{ status = st, count = 1 }
      assert.are.same(err(st, require("emu.http").reason(st)), http.get("/api/actions/connectors").json)
    end
  end)

  it("match limits a rule to paths containing the substring; /_emulator is never faulted", function()
    emu.fault{ status = 500, match = "/api/actions/" }
    assert.are.equal(500, http.get("/api/actions/connectors").status)
    assert.are.equal(500, http.get("/s/x/api/actions/connectors").status)
    assert.are.equal(200, http.get("/api/spaces/space").status)
    assert.are.equal(200, emu.control("GET", "/_emulator/requests").status)
    emu.clear_faults()
    emu.fault{ status = 500 }
    assert.are.equal(200, emu.control("GET", "/_emulator/health").status)
    -- unknown /api routes are faulted too; paths outside /api are not
    assert.are.equal(500, http.get("/api/unknown").status)
    assert.are.equal(404, http.get("/app/home").status)
  end)

  it("ratio 0 never fires, ratio 1 always does", function()
    emu.fault{ status = 502, ratio = 0 }
    for _ = 1, 5 do assert.are.equal(200, http.get("/api/spaces/space").status) end
    emu.clear_faults()
    emu.fault{ status = 502, ratio = 1 }
    for _ = 1, 5 do assert.are.equal(502, http.get("/api/spaces/space").status) end
  end)

  it("latency_ms delays the answer, which is otherwise normal", function()
    emu.fault{ latency_ms = 400, count = 1 }
    local r = http.get("/api/spaces/space")
    assert.are.equal(200, r.status)
    assert.are.equal("default", r.json[1].id)
    assert.is_true(r.elapsed >= 0.38, "elapsed " .. r.elapsed)
    r = http.get("/api/spaces/space")        -- the rule was used up
    assert.is_true(r.elapsed < 0.38, "elapsed " .. r.elapsed)
    assert.are.equal("latency", emu.requests()[1].fault)
  end)

  it("drop closes the connection without a response", function()
    emu.fault{ mode = "drop", count = 1 }
    local r, e = http.get("/api/spaces/space")
    assert.is_nil(r)
    assert.matches("^closed", e)
    local log = emu.requests()
    assert.are.equal(444, log[1].status)
    assert.are.equal("drop", log[1].fault)
    assert.are.equal(200, http.get("/api/spaces/space").status)
  end)

  it("malformed answers 200 with a body that is not JSON", function()
    emu.fault{ mode = "malformed", count = 1 }
    local r = http.get("/api/spaces/space")
    assert.are.equal(200, r.status)
    assert.are.equal("application/json; charset=utf-8", r.headers["content-type"])
    assert.is_nil(r.json)
    assert.is_nil(json.decode(r.body))
  end)

  it("truncated answers 200 with a JSON answer cut short, framing intact", function()
    emu.fault{ mode = "truncated", count = 1 }
    local r = http.get("/api/spaces/space")
    assert.are.equal(200, r.status)
    assert.are.equal(tostring(#r.body), r.headers["content-length"])
    assert.are.equal('{"page":1', r.body:sub(1, 9))
    assert.is_nil(json.decode(r.body))
    assert.are.equal(200, http.get("/api/spaces/space").status) -- count = 1: once only
  end)

  it("html answers a proxy's 502 HTML error page", function()
    emu.fault{ mode = "html", count = 1 }
    local r = http.get("/api/spaces/space")
    assert.are.equal(502, r.status)
    assert.are.equal("text/html", r.headers["content-type"])
    assert.truthy(r.body:find("<title>502 Bad Gateway</title>", 1, true))
  end)

  it("empty answers 200 with an empty body", function()
    emu.fault{ mode = "empty", count = 1 }
    local r = http.get("/api/spaces/space")
    assert.are.equal(200, r.status)
    assert.are.equal("0", r.headers["content-length"])
    assert.are.equal("", r.body)
  end)

  it("cut announces a longer body than it sends and closes the connection", function()
    emu.fault{ mode = "cut", count = 1 }
    local sock = require("socket").tcp()
    local host, port = emu.url():match("^http://([^:/]+):(%d+)")
    assert(sock:connect(host, tonumber(port)))
    sock:send("GET /api/spaces/space HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
      .. http.b64("elastic:changeme") .. "\r\n\r\n")
    sock:settimeout(5)
    local got, err, partial = sock:receive("*a")
    sock:close()
    local text = got or partial
    assert.truthy(text:find("^HTTP/1.1 200"))
    local announced = tonumber(text:match("[Cc]ontent%-[Ll]ength: (%d+)"))
    local body = text:match("\r\n\r\n(.*)$")
    assert.is_true(#body < announced, ("%d bytes of %d"):format(#body, announced))
    assert.is_true(err == nil or err == "closed")
    local log = emu.requests()
    assert.are.equal("cut", log[#log].fault)
  end)

  it("slow_body sends the headers and half the body, waits, then the rest", function()
    emu.fault{ mode = "slow_body", latency_ms = 400, count = 1 }
    local r = http.get("/api/spaces/space")
    assert.are.equal(200, r.status)
    assert.are.equal("default", r.json[1].id)
    assert.are.equal(tostring(#r.body), r.headers["content-length"])
    assert.is_true(r.elapsed >= 0.38, "elapsed " .. r.elapsed)
  end)

  it("lists and validates rules", function()
    emu.fault{ status = 500, match = "/x" }
    emu.fault{ latency_ms = 10 }
    local list = emu.control("GET", "/_emulator/faults").json
    assert.are.equal(2, #list)
    assert.are.equal("/x", list[1].match)
    local cases = {
      { { status = 418 }, "[request body.status]: types that failed validation:\n" ..
        "- [request body.status.0]: expected value to equal [500]\n" ..
        "- [request body.status.1]: expected value to equal [502]\n" ..
        "- [request body.status.2]: expected value to equal [503]\n" ..
        "- [request body.status.3]: expected value to equal [504]\n" ..
        "- [request body.status.4]: expected value to equal [429]" },
      { { ratio = 2 }, "[request body.ratio]: Value must be equal to or lower than [1]." },
      { { status = 500, count = 0 }, "[request body.count]: Value must be equal to or greater than [1]." },
      { { status = 500, bogus = true }, "[request body.bogus]: definition for this key is missing" },
      { {}, "[request body]: a fault needs at least one of latency_ms, status, mode" },
      { { status = 500, mode = "drop" }, "[request body]: status cannot be combined with mode [drop]" },
    }
    for _, c in ipairs(cases) do
      assert.are.same(err(400, c[2]), emu.control("POST", "/_emulator/faults", c[1]).json)
    end
    assert.are.equal(204, emu.control("DELETE", "/_emulator/faults").status)
    assert.are.equal(0, #emu.control("GET", "/_emulator/faults").json)
  end)
end)

describe("control API: indices and server log (BEHAVIOUR §4.2 _execute effects)", function()
  it("GET /_emulator/indices counts documents; unknown index is 404; DELETE drops it", function()
    local c = http.post("/api/actions/connector", { name = "i", connector_type_id = ".index",
                                                    config = { index = "logs" } }).json
    http.post("/api/actions/connector/" .. c.id .. "/_execute", { params = { documents = { { a = 1 }, { a = 2 } } } })
    assert.are.same({ logs = 2 }, emu.control("GET", "/_emulator/indices").json)
    assert.are.same(err(404, "index [nope] not found"), emu.control("GET", "/_emulator/indices/nope").json)
    assert.are.equal(204, emu.control("DELETE", "/_emulator/indices/logs").status)
    assert.are.equal("{}", emu.control("GET", "/_emulator/indices").body)
  end)

  it("DELETE /_emulator/server-log clears it", function()
    http.post("/api/actions/connector/preconfigured-server-log/_execute", { params = { message = "m" } })
    assert.are.equal(1, #emu.control("GET", "/_emulator/server-log").json)
    assert.are.equal(204, emu.control("DELETE", "/_emulator/server-log").status)
    assert.are.equal("[]", emu.control("GET", "/_emulator/server-log").body)
  end)

  it("GET /_emulator/health answers without credentials", function()
    local r = emu.control("GET", "/_emulator/health")
    assert.are.same({ status = "ok", version = "8.15.0" }, r.json)
  end)
end)
