-- Fidelity and robustness of the Kibana emulator, found in review: each describe
-- names the BEHAVIOUR.md section or the Kibana / hapi source the behaviour follows.
-- Runs against a live emulator (spec/support/emulator.lua); two extra instances
-- are started for the --config cases.

local emu = require "spec.support.emulator"
local http = require "spec.support.http"
local json = require "emu.json"

local JSON_CT = "application/json; charset=utf-8"
local NOT_FOUND = { statusCode = 404, error = "Not Found", message = "Not Found" }
local FFFD = "\239\191\189"

local function err(status, message, attributes)
  local e = { statusCode = status, error = require("emu.http").reason(status), message = message }
  if attributes then e.attributes = attributes end
  return e
end

local last_request = emu.last_request

local error_log = emu.error_log

local function esc(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function find(qs, space)
  local prefix = (space and space ~= "default") and ("/s/" .. space) or ""
  return http.get(prefix .. "/api/saved_objects/_find?" .. qs)
end

before_each(function() emu.reset() end)

describe("hapi routing (@hapi/call, nginx refusals): methods nginx answers itself", function()
  it("TRACE is 404 Not Found in JSON (hapi has no route for it), not nginx's 405 HTML, and logged", function()
    local r = http.request{ method = "TRACE", path = "/api/spaces/space", auth = "basic" }
    assert.are.equal(404, r.status)
    assert.are.equal(JSON_CT, r.headers["content-type"])
    assert.are.same(NOT_FOUND, r.json)
    local e = last_request()
    assert.are.equal("TRACE", e.method)
    assert.are.equal(404, e.status)
  end)

  it("OPTIONS and PATCH are 404 (hapi registers the CORS options route only when CORS is on)", function()
    for _, m in ipairs{ "OPTIONS", "PATCH", "PROPFIND" } do
      local r = http.request{ method = m, path = "/api/actions/connectors", auth = "basic" }
      assert.are.same(NOT_FOUND, r.json, m)
    end
  end)

  it("HEAD on a GET route answers the GET's status and headers without a body; HEAD needs credentials", function()
    local r = http.request{ method = "HEAD", path = "/api/spaces/space/default", auth = "basic" }
    assert.are.equal(200, r.status)
    assert.are.equal("", r.body)
    assert.are.equal(JSON_CT, r.headers["content-type"])
    assert.is_true(tonumber(r.headers["content-length"]) > 0)
    assert.are.equal("2023-10-31", r.headers["elastic-api-version"])
    assert.are.equal(401, http.request{ method = "HEAD", path = "/api/spaces/space/default" }.status)
    assert.are.equal(404, http.request{ method = "HEAD", path = "/api/nothing", auth = "basic" }.status)
  end)
end)

describe("hapi lifecycle (route -> auth -> payload) for bodies over nginx's 30 MiB cap (BEHAVIOUR §2.5)", function()
  local BIG = { ["content-length"] = "40000000", ["content-type"] = "application/json", ["kbn-xsrf"] = "x" }

  it("an unknown route is 404 and missing credentials 401 before the 413", function()
    local r = http.request{ method = "POST", path = "/api/nothing", body = "{}", headers = BIG }
    assert.are.same(NOT_FOUND, r.json)
    r = http.request{ method = "POST", path = "/api/saved_objects/dashboard", body = "{}", headers = BIG }
    assert.are.same(err(401, "Unauthorized"), r.json)
    r = http.request{ method = "POST", path = "/api/saved_objects/_import", body = "{}", headers = BIG, auth = "basic" }
    assert.are.same(err(413, "Payload content length greater than maximum allowed: 26214400"), r.json)
  end)

  it("GET ignores its body, however large (hapi never reads a GET payload)", function()
    local r = http.request{ method = "GET", path = "/api/spaces/space/default", body = "{}", headers = BIG,
                            auth = "basic" }
    assert.are.equal(200, r.status)
    assert.are.equal("default", r.json.id)
  end)
end)

describe("@hapi/subtext JSON payloads (BEHAVIOUR §2.5 malformed JSON row)", function()
  it("a __proto__ key anywhere is 400 Invalid request payload JSON format (protoAction 'error')", function()
    local r = http.post("/api/saved_objects/dashboard", '{"attributes":{"a":{"__proto__":{"x":1}}}}',
      { headers = { ["content-type"] = "application/json" } })
    assert.are.same(err(400, "Invalid request payload JSON format"), r.json)
    r = http.post("/api/saved_objects/dashboard", '{"attributes":{"\\u005f_proto__":1}}',
      { headers = { ["content-type"] = "application/json" } })
    assert.are.same(err(400, "Invalid request payload JSON format"), r.json)
    -- the word as a value or inside a key is fine
    r = http.post("/api/saved_objects/dashboard/p", '{"attributes":{"note":"__proto__","x__proto__":1}}',
      { headers = { ["content-type"] = "application/json" } })
    assert.are.equal(200, r.status)
  end)

  it("ill-formed UTF-8 in a body is read as U+FFFD (Node's Buffer#toString), answers stay valid UTF-8", function()
    local r = http.post("/api/saved_objects/dashboard/u", '{"attributes":{"t":"a\255b\192\175c"}}',
      { headers = { ["content-type"] = "application/json" } })
    assert.are.equal(200, r.status)
    assert.are.equal("a" .. FFFD .. "b" .. FFFD .. FFFD .. "c", r.json.attributes.t)
    assert.are.equal("a" .. FFFD .. "b" .. FFFD .. FFFD .. "c",
      http.get("/api/saved_objects/dashboard/u").json.attributes.t)
    r = http.post("/api/spaces/space", '{"id":"u8","name":"\237\160\128"}',
      { headers = { ["content-type"] = "application/json" } })
    assert.are.equal(FFFD .. FFFD .. FFFD, r.json.name)
  end)

  it("numbers too large for a double become null (JSON.parse gives Infinity, JSON.stringify null)", function()
    local r = http.post("/api/saved_objects/dashboard/inf", '{"attributes":{"x":1e400,"y":[-1e999,2]}}',
      { headers = { ["content-type"] = "application/json" } })
    assert.are.equal(200, r.status)
    assert.are.equal(json.null, r.json.attributes.x)
    assert.are.same({ json.null, 2 }, r.json.attributes.y)
    -- the stored object does not break listing it
    assert.are.equal(200, find("type=dashboard").status)
    r = http.post("/api/saved_objects/_export", { type = "dashboard" })
    assert.are.equal(200, r.status)
    assert.truthy(r.body:find('"x":null', 1, true))
  end)
end)

describe("BEHAVIOUR §5.2/§5.3 nesting: what can be stored can be answered", function()
  local function nested(depth)
    return '{"attributes":{"a":' .. string.rep("[", depth) .. string.rep("]", depth) .. "}}"
  end

  it("an object nested to the decoder's limit is answered by get, _find, _bulk_get and _export", function()
    local r = http.post("/api/saved_objects/dashboard/deep", nested(998),
      { headers = { ["content-type"] = "application/json" } })
    assert.are.equal(200, r.status)
    assert.are.equal(200, http.get("/api/saved_objects/dashboard/deep").status)
    r = find("type=dashboard")
    -- (deeper than the spec's own JSON decoder goes: look at the text)
    assert.are.equal(200, r.status, r.body:sub(1, 200))
    assert.truthy(r.body:find('"total":1', 1, true))
    assert.are.equal(200, http.post("/api/saved_objects/_bulk_get", { { type = "dashboard", id = "deep" } }).status)
    assert.are.equal(200, http.post("/api/saved_objects/_export", { type = "dashboard" }).status)
  end)

  it("a body nested 10 000 deep is 400 Invalid request payload JSON format", function()
    local r = http.post("/api/saved_objects/dashboard/deeper", nested(10000),
      { headers = { ["content-type"] = "application/json" } })
    assert.are.same(err(400, "Invalid request payload JSON format"), r.json)
  end)
end)

describe("Node's request parsing (repeated headers, query values) as Kibana sees it (BEHAVIOUR §2.1, §2.2)", function()
  it("a repeated elastic-api-version reaches Kibana joined with ', ': 400 Invalid version", function()
    local sock = require("socket").tcp()
    local host, port = emu.url():match("^http://([^:/]+):(%d+)")
    assert(sock:connect(host, tonumber(port)))
    sock:send("GET /api/spaces/space HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " .. http.b64("elastic:changeme") ..
      "\r\nelastic-api-version: 2023-10-31\r\nelastic-api-version: 2023-10-31\r\nConnection: close\r\n\r\n")
    local raw = sock:receive("*a")
    sock:close()
    assert.truthy(raw:find("^HTTP/1.1 400"))
    assert.truthy(raw:find('Invalid version. Received \\"2023-10-31, 2023-10-31\\"', 1, true))
  end)

  it("a bare query key is the empty string, not true (URLSearchParams)", function()
    local r = http.post("/api/saved_objects/dashboard/bare?overwrite", { attributes = {} })
    assert.are.same(err(400, "[request query.overwrite]: expected value of type [boolean] but got [string]"), r.json)
  end)

  it("a header after the 100th still counts (Node keeps 2000): kbn-xsrf after 150 others", function()
    local sock = require("socket").tcp()
    local host, port = emu.url():match("^http://([^:/]+):(%d+)")
    assert(sock:connect(host, tonumber(port)))
    local lines = { "POST /api/saved_objects/dashboard/h HTTP/1.1", "Host: x",
                    "Authorization: Basic " .. http.b64("elastic:changeme"), "Content-Type: application/json",
                    "Content-Length: 17", "Connection: close" }
    for i = 1, 150 do lines[#lines + 1] = "x-filler-" .. i .. ": v" end
    lines[#lines + 1] = "kbn-xsrf: late"
    sock:send(table.concat(lines, "\r\n") .. "\r\n\r\n" .. '{"attributes":{}}')
    local raw = sock:receive("*a")
    sock:close()
    assert.truthy(raw:find("^HTTP/1.1 200"), raw:sub(1, 200))
  end)
end)

describe("Kibana's RouteValidator: routes without a query schema ignore the query", function()
  it("get, resolve, update, _bulk_get/_bulk_resolve/_bulk_update and _export accept unknown parameters", function()
    assert.are.equal(200, http.post("/api/saved_objects/dashboard/q", { attributes = { title = "q" } }).status)
    assert.are.equal(200, http.get("/api/saved_objects/dashboard/q?foo=1").status)
    assert.are.equal(200, http.get("/api/saved_objects/resolve/dashboard/q?foo=1").status)
    assert.are.equal(200, http.put("/api/saved_objects/dashboard/q?foo=1", { attributes = { title = "r" } }).status)
    assert.are.equal(200, http.post("/api/saved_objects/_bulk_get?foo=1", { { type = "dashboard", id = "q" } }).status)
    assert.are.equal(200, http.post("/api/saved_objects/_bulk_resolve?foo=1", { { type = "dashboard", id = "q" } }).status)
    assert.are.equal(200, http.put("/api/saved_objects/_bulk_update?foo=1",
      { { type = "dashboard", id = "q", attributes = {} } }).status)
    assert.are.equal(200, http.post("/api/saved_objects/_export?foo=1", { type = "dashboard" }).status)
  end)

  it("routes with a query schema stay strict (create, delete, _find, connector_types)", function()
    assert.are.same(err(400, "[request query.foo]: definition for this key is missing"),
      http.post("/api/saved_objects/dashboard?foo=1", { attributes = {} }).json)
    assert.are.same(err(400, "[request query.foo]: definition for this key is missing"),
      http.delete("/api/saved_objects/dashboard/x?foo=1").json)
    assert.are.same(err(400, "[request query.foo]: definition for this key is missing"),
      find("type=dashboard&foo=1").json)
    assert.are.same(err(400, "[request query.foo]: definition for this key is missing"),
      http.get("/api/actions/connector_types?foo=1").json)
  end)
end)

describe("BEHAVIOUR §4.2 GET /api/actions/connector_types query (connectorTypesQuerySchemaV1, ActionTypeRegistry.list)", function()
  it("feature_id is one string: repeated is 400; empty lists every type (only a truthy featureId filters)", function()
    assert.are.same(err(400, "[request query.feature_id]: expected value of type [string] but got [Array]"),
      http.get("/api/actions/connector_types?feature_id=alerting&feature_id=cases").json)
    local all = http.get("/api/actions/connector_types").json
    assert.are.equal(#all, #http.get("/api/actions/connector_types?feature_id=").json)
    assert.are.equal(#all, #http.get("/api/actions/connector_types?feature_id").json)
    local cases = http.get("/api/actions/connector_types?feature_id=cases").json
    assert.are.same({ ".email" }, { cases[1].id })
    assert.are.same({}, http.get("/api/actions/connector_types?feature_id=nope").json)
  end)
end)

describe("BEHAVIOUR §5.4 version semantics: an empty version is no version (getExpectedVersionProperties: `if (version)`)", function()
  it("update, _bulk_update and create with overwrite ignore version \"\"", function()
    assert.are.equal(200, http.post("/api/saved_objects/dashboard/v", { attributes = { n = 1 } }).status)
    local r = http.put("/api/saved_objects/dashboard/v", { attributes = { n = 2 }, version = "" })
    assert.are.equal(200, r.status)
    r = http.put("/api/saved_objects/_bulk_update", { { type = "dashboard", id = "v", attributes = { n = 3 }, version = "" } })
    assert.is_nil(r.json.saved_objects[1].error)
    r = http.post("/api/saved_objects/_bulk_create?overwrite=true",
      { { type = "dashboard", id = "v", attributes = { n = 4 }, version = "" } })
    assert.is_nil(r.json.saved_objects[1].error)
    assert.are.equal(4, http.get("/api/saved_objects/dashboard/v").json.attributes.n)
    -- a non-empty undecodable one is still 400
    assert.are.same(err(400, "Invalid version [x]"),
      http.put("/api/saved_objects/dashboard/v", { attributes = {}, version = "x" }).json)
  end)
end)

describe("BEHAVIOUR §6 _bulk_create error items keep the id as requested (left({ id: requestId, ... }))", function()
  it("an unsupported type without an id gets no invented id", function()
    local r = http.post("/api/saved_objects/_bulk_create", { { type = "wigwag", attributes = {} },
                                                             { type = "wigwag", id = "w", attributes = {} } })
    assert.are.equal(200, r.status)
    assert.is_nil(r.json.saved_objects[1].id)
    assert.are.equal("wigwag", r.json.saved_objects[1].type)
    assert.are.equal("Unsupported saved object type: 'wigwag': Bad Request", r.json.saved_objects[1].error.message)
    assert.are.equal("w", r.json.saved_objects[2].id)
  end)
end)

describe("BEHAVIOUR §5.3 aggs: metric aggregations over no value are null (Elasticsearch)", function()
  it("max/min/avg of nothing is { value: null }; sum and value_count are 0", function()
    assert.are.equal(200, http.post("/api/saved_objects/dashboard/a", { attributes = { title = "no version" } }).status)
    local aggs = json.encode({ mx = { max = { field = "dashboard.attributes.version" } },
                               av = { avg = { field = "dashboard.attributes.version" } },
                               sm = { sum = { field = "dashboard.attributes.version" } },
                               vc = { value_count = { field = "dashboard.attributes.version" } } })
    local r = find("type=dashboard&aggs=" .. esc(aggs))
    assert.are.equal(200, r.status)
    assert.are.equal(json.null, r.json.aggregations.mx.value)
    assert.are.equal(json.null, r.json.aggregations.av.value)
    assert.are.equal(0, r.json.aggregations.sm.value)
    assert.are.equal(0, r.json.aggregations.vc.value)
    assert.truthy(r.body:find('"mx":{"value":null}', 1, true))
  end)
end)

describe("BEHAVIOUR §5.2 _import of odd NDJSON lines (createSavedObjectsStreamFromNdJson, collectSavedObjects)", function()
  local BOUNDARY = "----fidelityBoundary"
  local function import(text)
    local body = "--" .. BOUNDARY .. "\r\n" ..
      'Content-Disposition: form-data; name="file"; filename="x.ndjson"\r\n' ..
      "Content-Type: application/octet-stream\r\n\r\n" .. text .. "\r\n--" .. BOUNDARY .. "--\r\n"
    return http.post("/api/saved_objects/_import", body,
      { headers = { ["content-type"] = "multipart/form-data; boundary=" .. BOUNDARY } })
  end
  local mark
  before_each(function() mark = #error_log() end)

  it("a line without an id is created with a generated id (destinationId), never a 500", function()
    local r = import('{"type":"dashboard","attributes":{"title":"no id"}}\n')
    assert.are.equal(200, r.status, r.body)
    assert.is_true(r.json.success)
    local res = r.json.successResults[1]
    assert.is_nil(res.id)
    assert.truthy(res.destinationId:match("^%x+%-%x+%-4%x+%-[89ab]%x+%-%x+$"))
    assert.are.equal("no id", http.get("/api/saved_objects/dashboard/" .. res.destinationId).json.attributes.title)
    assert.is_nil(error_log():sub(mark + 1):find("failed", 1, true))
  end)

  it("lines that are no object, or have no type, are unsupported_type; two of them are non-unique", function()
    local r = import('{"id":"x"}\n{"type":5,"id":"y"}\n')
    assert.are.equal(200, r.status)
    assert.is_false(r.json.success)
    assert.are.same({ "unsupported_type", "unsupported_type" },
      { r.json.errors[1].error.type, r.json.errors[2].error.type })
    r = import('[1,2]\n5\n')
    assert.are.same(err(400, "Non-unique import objects detected: [undefined:undefined]"), r.json)
    -- null / false / 0 / "" lines are dropped (!!obj)
    r = import('null\nfalse\n0\n""\n{"type":"dashboard","id":"k","attributes":{}}\n')
    assert.are.equal(1, r.json.successCount)
  end)

  it("references without type or id, numeric ids and ill-formed UTF-8 do not break the import", function()
    local r = import('{"type":"dashboard","id":"r","attributes":{},"references":[5,{"type":"index-pattern"}]}\n')
    assert.are.equal(200, r.status, r.body)
    assert.are.equal("missing_references", r.json.errors[1].error.type)
    r = import('{"type":"dashboard","id":7,"attributes":{"title":"t\255"}}\n')
    assert.are.equal(200, r.status, r.body)
    assert.are.equal("t" .. FFFD, http.get("/api/saved_objects/dashboard/7").json.attributes.title)
    assert.is_nil(error_log():sub(mark + 1):find("failed", 1, true))
  end)
end)

describe("BEHAVIOUR §5.3 filter (KQL) nesting", function()
  local KQL = require "emu.kql"

  it("deep parentheses and long and/or chains are evaluated without exhausting Lua's stack", function()
    assert.are.equal(200, http.post("/api/saved_objects/dashboard/k", { attributes = { title = "x" } }).status)
    local depth = KQL.MAX_DEPTH
    local f = string.rep("(", depth) .. "dashboard.attributes.title:x" .. string.rep(")", depth)
    local r = find("type=dashboard&filter=" .. esc(f))
    assert.are.equal(200, r.status, r.body:sub(1, 200))
    assert.are.equal(1, r.json.total)
    local terms = {}
    for i = 1, 600 do terms[i] = "dashboard.attributes.title:y" .. i end
    terms[#terms + 1] = "dashboard.attributes.title:x"
    r = find("type=dashboard&filter=" .. esc(table.concat(terms, " or ")))
    assert.are.equal(1, r.json.total)
    r = find("type=dashboard&filter=" .. esc(string.rep("not ", 999) .. "dashboard.attributes.title:x"))
    assert.are.equal(0, r.json.total)
  end)

  it("nesting past the limit is Kibana's RangeError: 500 with Kibana's body (no Lua stack overflow)", function()
    local mark = #error_log()
    local f = string.rep("(", 8000) .. "dashboard.attributes.title:x" .. string.rep(")", 8000)
    local r = find("type=dashboard&filter=" .. f)
    assert.are.same(err(500, "An internal server error occurred."), r.json)
    local log = error_log():sub(mark + 1)
    if emu.dir() then
      assert.truthy(log:find("nested deeper than", 1, true))
      assert.is_nil(log:find("stack overflow", 1, true))
    end
  end)
end)

describe("BEHAVIOUR §4 / §7.1 secrets are never echoed", function()
  it("not by create, get, get all, update, execute, the request log, or _export", function()
    local secret = "s3cr3t-" .. tostring(os.time())
    local c = http.post("/api/actions/connector", { name = "hook", connector_type_id = ".webhook",
      config = { url = "http://127.0.0.1:1/x" }, secrets = { user = "u", password = secret } })
    assert.are.equal(200, c.status)
    local bodies = { c.body }
    bodies[#bodies + 1] = http.get("/api/actions/connector/" .. c.json.id).body
    bodies[#bodies + 1] = http.get("/api/actions/connectors").body
    bodies[#bodies + 1] = http.put("/api/actions/connector/" .. c.json.id, { name = "hook2",
      config = { url = "http://127.0.0.1:1/x" }, secrets = { user = "u", password = secret } }).body
    bodies[#bodies + 1] = http.post("/api/actions/connector/" .. c.json.id .. "/_execute", { params = { body = "{}" } }).body
    bodies[#bodies + 1] = emu.control("GET", "/_emulator/requests").body
    bodies[#bodies + 1] = http.post("/api/saved_objects/_export", { type = "*" }).body
    bodies[#bodies + 1] = find("type=action").body
    for i, b in ipairs(bodies) do
      assert.is_nil(b:find(secret, 1, true), "answer " .. i .. " holds the secret")
    end
  end)
end)

describe("BEHAVIOUR §1.1 prefix edge cases", function()
  it("/s/Foo (upper case), /s/ and /s//api match no route; /s/default/api is the default space", function()
    for _, p in ipairs{ "/s/Foo/api/actions/connectors", "/s/api/actions/connectors", "/s//api/actions/connectors" } do
      assert.are.same(NOT_FOUND, http.get(p).json, p)
    end
    assert.are.equal(200, http.get("/s/default/api/actions/connectors").status)
    assert.are.equal("default", last_request().space)
  end)

  it("saved objects written into a missing space appear when it is created, and go when it is deleted", function()
    assert.are.equal(200, http.post("/s/later/api/saved_objects/config/c", { attributes = { buildNum = 1 } }).status)
    assert.are.equal(200, http.post("/s/later/api/saved_objects/dashboard/d", { attributes = { title = "d" } }).status)
    assert.are.equal(200, http.post("/s/later/api/saved_objects/index-pattern/i",
      { attributes = { title = "i" }, initialNamespaces = { "later", "default" } }).status)
    local conn = http.post("/s/later/api/actions/connector", { name = "c", connector_type_id = ".server-log" })
    assert.are.equal(200, http.post("/api/spaces/space", { id = "later", name = "Later" }).status)
    assert.are.equal(3, find("type=config&type=dashboard&type=index-pattern", "later").json.total)
    assert.are.equal(2, #http.get("/s/later/api/actions/connectors").json)
    assert.are.equal(204, http.delete("/api/spaces/space/later").status)
    -- every kind goes; the shared index-pattern only loses the space
    assert.are.equal(0, find("type=config&type=dashboard", "later").json.total)
    assert.are.equal(404, http.get("/s/later/api/actions/connector/" .. conn.json.id).status)
    assert.are.same({ "default" }, http.get("/api/saved_objects/index-pattern/i").json.namespaces)
  end)
end)

describe("robustness: long ids", function()
  it("a 10 000-character id round-trips for saved objects and connectors", function()
    local id = string.rep("a", 10000)
    local r = http.post("/api/saved_objects/dashboard/" .. id, { attributes = {} })
    assert.are.equal(200, r.status)
    assert.are.equal(id, http.get("/api/saved_objects/dashboard/" .. id).json.id)
    r = http.post("/api/actions/connector/" .. id, { name = "long", connector_type_id = ".server-log" })
    assert.are.equal(id, r.json.id)
    assert.are.equal(200, http.delete("/api/saved_objects/dashboard/" .. id).status)
  end)
end)

describe("robustness: concurrent requests while resetting (one nginx worker)", function()
  it("every answer is a complete Kibana-shaped JSON answer, never a 5xx", function()
    local base = emu.url()
    local dir = os.tmpname()
    os.remove(dir)
    os.execute("mkdir -p " .. emu.sh_quote(dir))
    local auth = "Authorization: Basic " .. http.b64("elastic:changeme")
    local cmds = {}
    for w = 1, 4 do
      cmds[w] = string.format(
        "(for i in $(seq 1 60); do curl -s -o /dev/null -w '%%{http_code}\\n' -H %s -H 'kbn-xsrf: x' " ..
        "-H 'content-type: application/json' -d '{\"attributes\":{\"title\":\"c\"}}' %s/api/saved_objects/dashboard; " ..
        "curl -s -o /dev/null -w '%%{http_code}\\n' -H %s %s/api/actions/connectors; " ..
        "curl -s -o /dev/null -w '%%{http_code}\\n' -H %s '%s/api/saved_objects/_find?type=dashboard'; done) > %s/w%d &",
        emu.sh_quote(auth), base, emu.sh_quote(auth), base, emu.sh_quote(auth), base, emu.sh_quote(dir), w)
    end
    os.execute(table.concat(cmds, " ") .. " true")
    -- reset over and over until the background loops are done (at most ~30 s)
    local codes, resets = {}, 0
    for _ = 1, 600 do
      emu.reset()
      resets = resets + 1
      local p = io.popen("cat " .. emu.sh_quote(dir) .. "/w* 2>/dev/null | wc -l")
      local n = tonumber(p:read("*a"))
      p:close()
      if n >= 4 * 60 * 3 then break end
      os.execute("sleep 0.05")
    end
    assert.is_true(resets > 1)
    local p = io.popen("cat " .. emu.sh_quote(dir) .. "/w*")
    for line in p:lines() do codes[#codes + 1] = line end
    p:close()
    os.execute("rm -rf " .. emu.sh_quote(dir))
    assert.are.equal(4 * 60 * 3, #codes)
    for _, c in ipairs(codes) do assert.are.equal("200", c) end
  end)
end)

describe("control API: the request log ring and fault ratios (emulator README)", function()
  local inst, base, cfg
  lazy_setup(function()
    base = os.tmpname() -- created empty by tmpname: removed with the .json beside it
    cfg = base .. ".json"
    local f = assert(io.open(cfg, "w"))
    f:write('{"request_log_size": 3,' ..
            ' "users": [ { "username": "mkt", "password": "pw", "spaces": ["marketing"] } ],' ..
            ' "spaces": [ { "id": "marketing", "name": "Marketing" } ] }')
    f:close()
    inst = assert(emu.start_extra("--config " .. emu.sh_quote(cfg)))
  end)
  lazy_teardown(function()
    if inst then inst.stop() end
    os.remove(cfg)
    os.remove(base)
  end)

  local function control(method, path, body)
    return http.request{ url = inst.url, method = method, path = path, body = body }
  end
  local function get(path) return http.request{ url = inst.url, path = path, auth = "basic" } end

  it("keeps the newest request_log_size entries; since= and clearing work at the limit", function()
    control("POST", "/_emulator/reset")
    for i = 1, 5 do get("/api/nothing/" .. i) end
    local log = control("GET", "/_emulator/requests").json
    assert.are.same({ 3, 4, 5 }, { log[1].seq, log[2].seq, log[3].seq })
    assert.are.equal("/api/nothing/5", log[3].path)
    assert.are.equal(1, #control("GET", "/_emulator/requests?since=4").json)
    assert.are.equal(3, #control("GET", "/_emulator/requests?since=1").json)
    assert.are.equal(0, #control("GET", "/_emulator/requests?since=99").json)
    assert.are.equal(204, control("DELETE", "/_emulator/requests").status)
    get("/api/nothing/6")
    log = control("GET", "/_emulator/requests").json
    assert.are.equal(1, #log)
    assert.are.equal(1, log[1].seq)
  end)

  it("ratio 0 never fires, ratio 1 always; a ratio in between fires on a share of requests", function()
    control("POST", "/_emulator/reset")
    control("POST", "/_emulator/faults", { status = 503, ratio = 0, match = "/connector_types" })
    for _ = 1, 20 do assert.are.equal(200, get("/api/actions/connector_types").status) end
    control("DELETE", "/_emulator/faults")
    control("POST", "/_emulator/faults", { status = 503, ratio = 1, count = 3 })
    for _ = 1, 3 do assert.are.equal(503, get("/api/actions/connector_types").status) end
    assert.are.equal(200, get("/api/actions/connector_types").status)
    control("POST", "/_emulator/faults", { status = 429, ratio = 0.5, retry_after = 1 })
    local hit = 0
    for _ = 1, 200 do
      local r = get("/api/actions/connector_types")
      if r.status == 429 then
        hit = hit + 1
        assert.are.equal("1", r.headers["retry-after"])
      else
        assert.are.equal(200, r.status)
      end
    end
    assert.is_true(hit > 40 and hit < 160, "429s: " .. hit)
  end)

  -- BEHAVIOUR §2.5 forbidden (saved objects): the security extension's
  -- `Unable to <authzAction> <sorted types>`; find unauthorized is the empty answer
  it("saved objects: a principal limited to a space gets Kibana's 403s elsewhere", function()
    local function as(method, path, body)
      return http.request{ url = inst.url, method = method, path = path, body = body, auth = "basic",
                           user = "mkt", password = "pw", headers = { ["kbn-xsrf"] = "x" } }
    end
    control("POST", "/_emulator/reset")
    local cases = {
      { "POST", "/api/saved_objects/dashboard/x", { attributes = {} }, "Unable to create dashboard" },
      { "GET", "/api/saved_objects/dashboard/x", nil, "Unable to get dashboard" },
      { "GET", "/api/saved_objects/resolve/dashboard/x", nil, "Unable to bulk_get dashboard" },
      { "PUT", "/api/saved_objects/dashboard/x", { attributes = {} }, "Unable to update dashboard" },
      { "DELETE", "/api/saved_objects/dashboard/x", nil, "Unable to delete dashboard" },
      { "POST", "/api/saved_objects/_bulk_create",
        { { type = "visualization", attributes = {} }, { type = "dashboard", attributes = {} },
          { type = "dashboard", attributes = {} } }, "Unable to bulk_create dashboard,visualization" },
      { "POST", "/api/saved_objects/_bulk_get", { { type = "dashboard", id = "x" }, { type = "wigwag", id = "y" } },
        "Unable to bulk_get dashboard" },
      { "POST", "/api/saved_objects/_bulk_resolve", { { type = "lens", id = "x" } }, "Unable to bulk_get lens" },
      { "PUT", "/api/saved_objects/_bulk_update", { { type = "map", id = "x", attributes = {} } },
        "Unable to bulk_update map" },
      { "POST", "/api/saved_objects/_bulk_delete", { { type = "tag", id = "x" } }, "Unable to bulk_delete tag" },
      { "POST", "/api/saved_objects/_export", { objects = { { type = "dashboard", id = "x" } } },
        "Unable to bulk_get dashboard" },
      { "POST", "/api/saved_objects/_export", { type = "dashboard" }, "unauthorized" },
      -- writing into a space it lacks, from its own space
      { "POST", "/s/marketing/api/saved_objects/index-pattern/i",
        { attributes = {}, initialNamespaces = { "marketing", "default" } }, "Unable to create index-pattern" },
      { "POST", "/s/marketing/api/spaces/_update_objects_spaces",
        { objects = { { type = "index-pattern", id = "i" } }, spacesToAdd = { "default" }, spacesToRemove = json.array() },
        "Unable to share_to_space index-pattern" },
      { "POST", "/api/spaces/_get_shareable_references", { objects = { { type = "index-pattern", id = "i" } } },
        "Unable to share_to_space index-pattern" },
    }
    for _, c in ipairs(cases) do
      local r = as(c[1], c[2], c[3])
      assert.are.same(err(403, c[4]), r.json, c[1] .. " " .. c[2])
    end
    -- unknown types fail before the authorization check
    assert.are.same(err(404, "Saved object [wigwag/x] not found"), as("GET", "/api/saved_objects/wigwag/x").json)
    -- _find: the empty answer, also for namespaces it lacks; its own space works
    assert.are.equal(200, as("POST", "/s/marketing/api/saved_objects/dashboard/m", { attributes = {} }).status)
    assert.are.same({ page = 1, per_page = 20, total = 0, saved_objects = {} },
      as("GET", "/api/saved_objects/_find?type=dashboard").json)
    assert.are.equal(1, as("GET", "/api/saved_objects/_find?type=dashboard&namespaces=*").json.total)
    assert.are.equal(0, as("GET", "/s/marketing/api/saved_objects/_find?type=dashboard&namespaces=default").json.total)
    assert.are.equal(1, as("GET", "/s/marketing/api/saved_objects/_find?type=dashboard").json.total)
    assert.are.equal(200, as("GET", "/s/marketing/api/saved_objects/dashboard/m").status)
  end)
end)
