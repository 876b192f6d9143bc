-- Cross-cutting HTTP rules of the Kibana emulator (BEHAVIOUR §1, §2, §7):
-- authentication, kbn-xsrf, elastic-api-version, the /s/<id> prefix, raw-path
-- routing, error bodies, headers and bad input. Runs against a live emulator.

local emu = require "spec.support.emulator"
local http = require "spec.support.http"
local json = require "emu.json"

local JSON_CT = "application/json; charset=utf-8"
local NOT_FOUND = { statusCode = 404, error = "Not Found", message = "Not Found" }
local UNAUTHORIZED = { statusCode = 401, error = "Unauthorized", message = "Unauthorized" }

local function err(status, message, attributes)
  local e = { statusCode = status, error = require("emu.http").reason(status), message = message }
  if attributes then e.attributes = attributes end
  return e
end

local function user_failure(name)
  local reason = "unable to authenticate user [" .. name .. "] for REST request [/_security/_authenticate]"
  return "[security_exception: [security_exception] Reason: " .. reason .. "]: " .. reason
end

local CREDS_FAILURE = "[security_exception: [security_exception] Reason: unable to authenticate with " ..
  "provided credentials and anonymous access is not allowed for this request]: unable to authenticate " ..
  "with provided credentials and anonymous access is not allowed for this request"

local last_request = emu.last_request

local error_log = emu.error_log

before_each(function() emu.reset() end)

describe("BEHAVIOUR §2.4 authentication", function()
  it("answers 401 Unauthorized without credentials, with no elastic-api-version header", function()
    local r = http.request{ path = "/api/spaces/space" }
    assert.are.equal(401, r.status)
    assert.are.same(UNAUTHORIZED, r.json)
    assert.is_nil(r.headers["elastic-api-version"])
    assert.are.equal(JSON_CT, r.headers["content-type"])
  end)

  it("accepts Basic elastic:changeme", function()
    local r = http.request{ path = "/api/spaces/space", auth = "basic" }
    assert.are.equal(200, r.status)
    assert.are.equal("default", r.json[1].id)
  end)

  it("rejects a wrong password with the Elasticsearch message naming the user", function()
    local r = http.request{ path = "/api/actions/connectors", auth = "basic", password = "nope" }
    assert.are.equal(401, r.status)
    assert.are.same(err(401, user_failure("elastic")), r.json)
    r = http.request{ path = "/api/actions/connectors", auth = "basic", user = "admin", password = "x" }
    assert.are.same(err(401, user_failure("admin")), r.json)
  end)

  it("accepts the API key printed at start (ApiKey <base64 id:key>)", function()
    local r = http.request{ path = "/api/actions/connectors", auth = "apikey" }
    assert.are.equal(200, r.status)
    assert.are.equal("preconfigured-server-log", r.json[1].id)
  end)

  it("rejects an unknown API key and an unlisted Bearer token", function()
    local r = http.request{ path = "/api/actions/connectors", auth = "apikey", api_key = http.b64("no:such") }
    assert.are.same(err(401, CREDS_FAILURE), r.json)
    r = http.request{ path = "/api/actions/connectors", headers = { authorization = "Bearer abc" } }
    assert.are.same(err(401, CREDS_FAILURE), r.json)
  end)

  it("answers the generic 401 for a scheme no provider handles", function()
    local r = http.request{ path = "/api/actions/connectors", headers = { authorization = "Digest x=1" } }
    assert.are.same(UNAUTHORIZED, r.json)
  end)

  it("authenticates before checking kbn-xsrf (401, not 400)", function()
    local r = http.request{ method = "POST", path = "/api/spaces/space", body = { id = "a", name = "a" } }
    assert.are.same(UNAUTHORIZED, r.json)
  end)

  it("answers 404 for unknown routes before asking for credentials (hapi's not-found route)", function()
    local r = http.request{ path = "/api/no/such/route" }
    assert.are.equal(404, r.status)
    assert.are.same(NOT_FOUND, r.json)
  end)

  it("GET /api/status: 401 without credentials (status.allowAnonymous is false by default), full with them", function()
    local r = http.request{ path = "/api/status" }
    assert.are.same(UNAUTHORIZED, r.json)
    r = http.get("/api/status")
    assert.are.equal(200, r.status)
    assert.are.equal("8.15.0", r.json.version.number)
    assert.are.equal("traditional", r.json.version.build_flavor)
    assert.is_false(r.json.version.build_snapshot)
    assert.are.equal("available", r.json.status.overall.level)
    assert.are.equal("kibana-emulator", r.json.name)
    assert.matches("^[0-9a-f-]+$", r.json.uuid)
    assert.are.equal(36, #r.json.uuid)
    assert.is_table(r.json.metrics)
    r = http.get("/api/status", { password = "bad" })
    assert.are.equal(401, r.status)
  end)
end)

describe("BEHAVIOUR §2.1 kbn-xsrf", function()
  it("is required on POST, PUT and DELETE", function()
    local msg = err(400, "Request must contain a kbn-xsrf header.")
    local r = http.post("/api/spaces/space", { id = "x1", name = "X" }, { headers = { ["kbn-xsrf"] = false } })
    assert.are.same(msg, r.json)
    r = http.put("/api/spaces/space/default", { id = "default", name = "D" }, { headers = { ["kbn-xsrf"] = false } })
    assert.are.same(msg, r.json)
    r = http.delete("/api/actions/connector/x", { headers = { ["kbn-xsrf"] = false } })
    assert.are.same(msg, r.json)
    assert.are.equal(400, last_request().status)
  end)

  it("only needs the header to be present (an empty value works), and kbn-version satisfies it", function()
    local r = http.post("/api/spaces/space", { id = "x2", name = "X" }, { headers = { ["kbn-xsrf"] = "" } })
    assert.are.equal(200, r.status)
    r = http.post("/api/spaces/space", { id = "x3", name = "X" },
      { headers = { ["kbn-xsrf"] = false, ["kbn-version"] = "8.15.0" } })
    assert.are.equal(200, r.status)
  end)

  it("is not needed on GET", function()
    assert.are.equal(200, http.get("/api/spaces/space").status)
  end)

  it("rejects a kbn-version other than 8.15.0 with attributes", function()
    local r = http.get("/api/spaces/space", { headers = { ["kbn-version"] = "7.17.0" } })
    assert.are.equal(400, r.status)
    assert.are.same(err(400, 'Browser client is out of date, please refresh the page ("kbn-version" header was ' ..
      '"7.17.0" but should be "8.15.0")', { expected = "8.15.0", got = "7.17.0" }), r.json)
  end)
end)

describe("BEHAVIOUR §2.2 elastic-api-version", function()
  it("is sent on every public API route answer, versioned or not", function()
    for _, path in ipairs{ "/api/spaces/space", "/api/actions/connectors", "/api/actions/connector_types",
                           "/api/status", "/api/saved_objects/_find?type=dashboard" } do
      local r = http.get(path)
      assert.are.equal(200, r.status, path)
      assert.are.equal("2023-10-31", r.headers["elastic-api-version"], path)
    end
    -- also on a handler's own error
    local r = http.get("/api/spaces/space/nope")
    assert.are.equal(404, r.status)
    assert.are.equal("2023-10-31", r.headers["elastic-api-version"])
  end)

  it("accepts 2023-10-31 on versioned spaces routes", function()
    local r = http.get("/api/spaces/space", { headers = { ["elastic-api-version"] = "2023-10-31" } })
    assert.are.equal(200, r.status)
  end)

  it("rejects a malformed version", function()
    local r = http.get("/api/spaces/space", { headers = { ["elastic-api-version"] = "x" } })
    assert.are.same(err(400, 'Invalid version. Received "x", expected a valid date string formatted as YYYY-MM-DD.'),
      r.json)
  end)

  it("rejects a well-formed unknown version, naming method and route path", function()
    local r = http.get("/api/spaces/space", { headers = { ["elastic-api-version"] = "2024-01-01" } })
    assert.are.same(err(400, 'No version "2024-01-01" available for [get] [/api/spaces/space]. ' ..
      "Available versions are: [2023-10-31]"), r.json)
    r = http.delete("/api/spaces/space/foo", { headers = { ["elastic-api-version"] = "2099-12-31" } })
    assert.are.same(err(400, 'No version "2099-12-31" available for [delete] [/api/spaces/space/{id}]. ' ..
      "Available versions are: [2023-10-31]"), r.json)
  end)

  it("rejects ?apiVersion= on versioned routes", function()
    local r = http.get("/api/spaces/space?apiVersion=2023-10-31")
    assert.are.same(err(400, 'Use of query parameter "apiVersion" is not allowed. Please specify the API ' ..
      'version using the "elastic-api-version" header.'), r.json)
  end)

  it("is ignored by the unversioned connector routes", function()
    local r = http.get("/api/actions/connectors", { headers = { ["elastic-api-version"] = "garbage" } })
    assert.are.equal(200, r.status)
  end)
end)

describe("BEHAVIOUR §2.5 / §7.10-11 error bodies and headers", function()
  it("unknown route: 404 Not Found, logged", function()
    local r = http.get("/api/nothing/here")
    assert.are.same(NOT_FOUND, r.json)
    assert.are.equal(JSON_CT, r.headers["content-type"])
    assert.are.equal("kibana-emulator", r.headers["kbn-name"])
    local e = last_request()
    assert.are.equal("/api/nothing/here", e.path)
    assert.are.equal(404, e.status)
  end)

  it("a known path with another method is 404 too (hapi has no 405)", function()
    local r = http.request{ method = "PATCH", path = "/api/spaces/space", auth = "basic",
                            headers = { ["kbn-xsrf"] = "x" } }
    assert.are.same(NOT_FOUND, r.json)
  end)

  it("paths outside /api and the root are 404", function()
    assert.are.same(NOT_FOUND, http.get("/").json)
    assert.are.same(NOT_FOUND, http.get("/app/home").json)
  end)

  it("malformed JSON: 400 Invalid request payload JSON format", function()
    local r = http.post("/api/spaces/space", '{"id": "a", ', { headers = { ["content-type"] = "application/json" } })
    assert.are.same(err(400, "Invalid request payload JSON format"), r.json)
    r = http.post("/api/actions/connector", "nul", { headers = { ["content-type"] = "application/json" } })
    assert.are.same(err(400, "Invalid request payload JSON format"), r.json)
  end)

  -- @hapi/subtext lib/index.js internals.object: text/* stays a string (config-schema's
  -- object type then parses JSON text), x-www-form-urlencoded becomes an object,
  -- other types (but multipart and octet-stream) are 415
  it("text/* bodies are strings parsed by the schema; form bodies are objects; others 415", function()
    local r = http.post("/api/spaces/space", '{"id":"a","name":"a"}', { headers = { ["content-type"] = "text/plain" } })
    assert.are.equal(200, r.status)
    assert.are.equal("a", r.json.id)
    r = http.post("/api/spaces/space", "not json", { headers = { ["content-type"] = "text/plain; charset=utf-8" } })
    assert.are.same(err(400, "[request body]: could not parse object value from json input"), r.json)
    r = http.post("/api/actions/connector", "a=b",
      { headers = { ["content-type"] = "application/x-www-form-urlencoded" } })
    assert.are.same(err(400, "[request body.name]: expected value of type [string] but got [undefined]"), r.json)
    r = http.post("/api/actions/connector", "name=form&connector_type_id=.server-log",
      { headers = { ["content-type"] = "application/x-www-form-urlencoded" } })
    assert.are.equal(200, r.status)
    assert.are.equal("form", r.json.name)
    r = http.post("/api/spaces/space", "<space/>", { headers = { ["content-type"] = "application/xml" } })
    assert.are.same(err(415, "Unsupported Media Type"), r.json)
    -- empty payloads: {} for a form, "" for text (JSON's is null, see below)
    r = http.post("/api/actions/connector", "", { headers = { ["content-type"] = "application/x-www-form-urlencoded" } })
    assert.are.same(err(400, "[request body.name]: expected value of type [string] but got [undefined]"), r.json)
    r = http.post("/api/actions/connector", "", { headers = { ["content-type"] = "text/plain" } })
    assert.are.same(err(400, "[request body]: could not parse object value from json input"), r.json)
  end)

  it("parses a body without content type, and +json types, as JSON", function()
    local r = http.post("/api/spaces/space", '{"id":"nct","name":"N"}', { headers = { ["content-type"] = false } })
    assert.are.equal(200, r.status)
    r = http.post("/api/spaces/space", '{"id":"vnd","name":"V"}',
      { headers = { ["content-type"] = "application/vnd.api+json; charset=utf-8" } })
    assert.are.equal(200, r.status)
  end)

  it("no body where an object is required: [request body]: ... [null]", function()
    local r = http.post("/api/spaces/space", nil)
    assert.are.same(err(400, "[request body]: expected a plain object value, but found [null] instead."), r.json)
    r = http.post("/api/actions/connector", "null", { headers = { ["content-type"] = "application/json" } })
    assert.are.same(err(400, "[request body]: expected a plain object value, but found [null] instead."), r.json)
    r = http.post("/api/actions/connector", "[]", { headers = { ["content-type"] = "application/json" } })
    assert.are.same(err(400, "[request body]: expected a plain object value, but found [Array] instead."), r.json)
  end)

  it("a body over Kibana's 1 MiB server.maxPayload: 413 Payload Too Large (hapi wording)", function()
    local r = http.post("/api/spaces/space", string.rep(" ", 1048577),
      { headers = { ["content-type"] = "application/json" } })
    assert.are.same(err(413, "Payload content length greater than maximum allowed: 1048576"), r.json)
    assert.are.equal(413, last_request().status)
  end)

  it("a declared body over nginx's 30m cap is answered in JSON too, not nginx's HTML", function()
    local r = http.request{ method = "POST", path = "/api/spaces/space", auth = "basic", body = "{}",
      headers = { ["kbn-xsrf"] = "x", ["content-type"] = "application/json", ["content-length"] = "40000000" } }
    assert.are.equal(413, r.status)
    assert.are.equal(JSON_CT, r.headers["content-type"])
    assert.are.same(err(413, "Payload content length greater than maximum allowed: 1048576"), r.json)
    local e = last_request()
    assert.are.equal("POST", e.method)
    assert.are.equal(413, e.status)
  end)
end)

describe("BEHAVIOUR §1.1 the /s/<space> prefix", function()
  it("routes /s/<id>/api/... like /api/... with the space set (seen in the request log)", function()
    local r = http.get("/s/marketing/api/actions/connectors")
    assert.are.equal(200, r.status)
    local e = last_request()
    assert.are.equal("marketing", e.space)
    assert.are.equal("/s/marketing/api/actions/connectors", e.path)
  end)

  it("/s/default is the default space", function()
    local c = http.post("/api/actions/connector", { name = "d", connector_type_id = ".server-log" })
    assert.are.equal(200, c.status)
    local r = http.get("/s/default/api/actions/connector/" .. c.json.id)
    assert.are.equal(200, r.status)
    assert.are.equal("default", last_request().space)
  end)

  it("an id outside ^[a-z0-9_-]+$ is not a prefix, so nothing matches: 404", function()
    for _, p in ipairs{ "/s/Foo/api/spaces/space", "/s/foo.bar/api/spaces/space", "/s//api/spaces/space",
                        "/s/a%2Db/api/spaces/space", "/s/a/s/b/api/spaces/space", "/s/x" } do
      local r = http.get(p)
      assert.are.equal(404, r.status, p)
      assert.are.same(NOT_FOUND, r.json, p)
    end
  end)

  it("spaces management routes are global: the prefix changes nothing", function()
    local a = http.get("/api/spaces/space").json
    local b = http.get("/s/elsewhere/api/spaces/space").json
    assert.are.same(a, b)
    assert.are.equal("Default", http.get("/s/x/api/spaces/space/default").json.name)
  end)
end)

describe("BEHAVIOUR §1.2 a missing space in an API URL proceeds", function()
  it("writes into the orphan namespace, visible once the space is created", function()
    local c = http.post("/s/missing/api/actions/connector", { name = "orphan", connector_type_id = ".server-log" })
    assert.are.equal(200, c.status)
    local list = http.get("/s/missing/api/actions/connectors").json
    assert.are.equal(2, #list)
    assert.are.equal("orphan", list[1].name)
    assert.are.equal(1, #http.get("/api/actions/connectors").json)          -- only the preconfigured one
    assert.are.same(NOT_FOUND, http.get("/s/missing/api/spaces/space/missing").json)
    assert.are.equal(200, http.post("/api/spaces/space", { id = "missing", name = "Missing" }).status)
    assert.are.equal(200, http.get("/s/missing/api/actions/connector/" .. c.json.id).status)
  end)

  it("reads of a missing space see only the global preconfigured connector", function()
    local list = http.get("/s/nowhere/api/actions/connectors").json
    assert.are.equal(1, #list)
    assert.are.equal("preconfigured-server-log", list[1].id)
  end)
end)

describe("BEHAVIOUR §1.2 (emulator option) --strict-spaces, not Kibana's behaviour", function()
  local strict
  lazy_setup(function() strict = assert(emu.start_extra("--strict-spaces")) end)
  lazy_teardown(function() if strict then strict.stop() end end)

  it("404s /s/<missing>/api/... but serves existing spaces", function()
    local r = http.get("/s/missing/api/actions/connectors", { url = strict.url })
    assert.are.same(NOT_FOUND, r.json)
    r = http.post("/s/missing/api/actions/connector", { name = "x", connector_type_id = ".server-log" },
      { url = strict.url })
    assert.are.same(NOT_FOUND, r.json)
    assert.are.equal(200, http.post("/api/spaces/space", { id = "here", name = "Here" }, { url = strict.url }).status)
    assert.are.equal(200, http.get("/s/here/api/actions/connectors", { url = strict.url }).status)
    assert.are.equal(200, http.get("/s/default/api/actions/connectors", { url = strict.url }).status)
  end)
end)

describe("BEHAVIOUR §1.1 routing on the raw path (never nginx's normalised $uri)", function()
  it("keeps %2F inside one segment, decoded to '/'", function()
    local r = http.get("/api/actions/connector/a%2Fb")
    assert.are.same(err(404, "Saved object [action/a/b] not found"), r.json)
    r = http.post("/api/actions/connector/x%2Fy", { name = "slash", connector_type_id = ".server-log" })
    assert.are.equal(200, r.status)
    assert.are.equal("x/y", r.json.id)
    r = http.get("/api/actions/connector/x%2Fy")
    assert.are.equal("slash", r.json.name)
    -- a real '/' is a segment boundary: no such route
    assert.are.same(NOT_FOUND, http.get("/api/actions/connector/x/y").json)
  end)

  -- Node's WHATWG URL parser (hapi routes on url.pathname) resolves dot segments,
  -- percent-encoded ones too: new URL("http://x/a/%2E%2E/b").pathname is "/b".
  it("resolves '.' and '..' segments, raw or encoded, as Kibana's URL parsing does", function()
    assert.are.same(NOT_FOUND, http.get("/api/actions/connector/..").json)
    assert.are.same(NOT_FOUND, http.get("/api/actions/connector/%2E%2E").json)
    assert.are.same(NOT_FOUND, http.get("/api/actions/connector/%2e.").json)
    assert.are.equal(200, http.get("/api/actions/../actions/connectors").status)
    assert.are.equal(200, http.get("/api/./actions/connectors").status)
    assert.are.equal(200, http.get("/api/actions/%2E/connectors").status)
    assert.are.equal(200, http.get("/api/actions/connectors/.").status)
  end)

  it("keeps '..' inside an encoded id: it never climbs to another route", function()
    assert.are.same(err(404, "Saved object [action/../../spaces/space/default] not found"),
      http.get("/api/actions/connector/..%2F..%2Fspaces%2Fspace%2Fdefault").json)
    assert.are.same(err(404, "Saved object [action/...] not found"), http.get("/api/actions/connector/...").json)
  end)

  it("does not merge slashes; one trailing slash is ignored (hapi stripTrailingSlash)", function()
    assert.are.same(NOT_FOUND, http.get("/api//actions/connectors").json)
    assert.are.equal(200, http.get("/api/actions/connectors/").status)
  end)

  -- @hapi/call lib/index.js: _lookup decodes each parameter with decodeURIComponent;
  -- when that throws it answers the special badRequest route (400 Bad Request, no
  -- auth). A literal segment is compared undecoded, so a bad escape there matches
  -- no route (404).
  it("a path parameter decodeURIComponent rejects (invalid UTF-8, overlong, bad escape) is 400", function()
    assert.are.same(err(400, "Bad Request"), http.get("/api/actions/connector/%FF").json)
    assert.are.same(err(400, "Bad Request"), http.get("/api/actions/connector/%E2%82").json)
    assert.are.same(err(400, "Bad Request"), http.get("/api/actions/connector/%c0%af").json)
    assert.are.same(err(400, "Bad Request"), http.get("/api/saved_objects/dashboard/a%ED%A0%80b").json)
    -- before authentication, and logged
    local r = http.request{ path = "/api/saved_objects/dashboard/%C0%AF" }
    assert.are.same(err(400, "Bad Request"), r.json)
    assert.are.equal(400, last_request().status)
    -- escapes nginx itself cannot parse: the same answers
    assert.are.same(err(400, "Bad Request"), http.get("/api/actions/connector/%ZZ").json)
    assert.are.same(err(400, "Bad Request"), http.get("/api/actions/connector/a%").json)
    assert.are.same(NOT_FOUND, http.get("/api/actions/connector%").json)
    assert.are.same(NOT_FOUND, http.get("/api/act%ZZions/connectors").json)
    assert.are.equal(404, last_request().status)
    -- well-formed escapes decode
    assert.are.same(err(404, "Saved object [action/é] not found"), http.get("/api/actions/connector/%C3%A9").json)
  end)

  it("answers %00 (refused by nginx's URI parser) and overlong URIs with Kibana-shaped 4xx, logged", function()
    local r = http.get("/api/actions/connector/%00")
    assert.are.equal(400, r.status)
    assert.are.same(err(400, "Bad Request"), r.json)
    local e = last_request()
    assert.are.equal("/api/actions/connector/%00", e.path)
    assert.are.equal(400, e.status)

    local long = string.rep("a", 20000)
    r = http.get("/api/actions/connector/" .. long)
    assert.are.same(err(404, "Saved object [action/" .. long .. "] not found"), r.json)

    r = http.get("/api/actions/connector/" .. string.rep("b", 70000))
    assert.are.equal(414, r.status)
    assert.are.same(err(414, "URI Too Long"), r.json)
    assert.are.equal(414, last_request().status)
  end)

  it("splits the query string off before routing", function()
    local r = http.get("/api/actions/connectors?x=%2F..%2F&y")
    assert.are.equal(200, r.status)
    local e = last_request()
    assert.are.equal("/api/actions/connectors", e.path)
    assert.are.equal("x=%2F..%2F&y", e.query)
  end)
end)

describe("BEHAVIOUR §2.5 the 500 path: Kibana's body, the traceback in the error log", function()
  it("answers 500 An internal server error occurred. when a handler raises", function()
    local r = emu.control("POST", "/_emulator/crash")
    assert.are.equal(500, r.status)
    assert.are.same(err(500, "An internal server error occurred."), r.json)
    local log = error_log()
    if not emu.dir() then return end      -- an external emulator: its log is not ours to read
    assert.truthy(log:find("handler POST /_emulator/crash failed", 1, true))
    assert.truthy(log:find("deliberate failure requested", 1, true))
    assert.truthy(log:find("stack traceback", 1, true))
  end)
end)

describe("BEHAVIOUR §2.5 bad input never reaches the 500 handler", function()
  local mark
  before_each(function() mark = #error_log() end)
  local function new_errors() return error_log():sub(mark + 1) end

  local odd = { json.null, 0, -1.5, true, "", " ", "x", json.array(), {}, { a = {} }, { json.null },
                string.rep("z", 5000), "\0", "ü" }

  local function sweep(method, path, base, fields)
    for _, f in ipairs(fields) do
      for _, v in ipairs(odd) do
        local body = {}
        for k, x in pairs(base) do body[k] = x end
        body[f] = v
        local r = http.request{ method = method, path = path, body = body, auth = "basic",
                                headers = { ["kbn-xsrf"] = "x" } }
        assert.is_truthy(r, path)
        assert.is_true(r.status < 500, method .. " " .. path .. " " .. f .. " -> " .. r.status .. " " .. r.body)
        if r.status ~= 204 then assert.is_table(r.json, path .. " " .. f .. " -> " .. r.status) end
      end
    end
  end

  it("sweeps every field of the spaces and connectors bodies with odd values", function()
    sweep("POST", "/api/spaces/space", { id = "odd", name = "Odd" },
      { "id", "name", "description", "initials", "color", "disabledFeatures", "imageUrl", "_reserved", "solution" })
    sweep("PUT", "/api/spaces/space/default", { id = "default", name = "D" }, { "name", "disabledFeatures", "color" })
    sweep("POST", "/api/actions/connector", { name = "n", connector_type_id = ".index", config = { index = "i" } },
      { "name", "connector_type_id", "config", "secrets" })
    local c = http.post("/api/actions/connector", { name = "n", connector_type_id = ".index", config = { index = "i" } })
    sweep("POST", "/api/actions/connector/" .. c.json.id .. "/_execute", { params = { documents = { { a = 1 } } } },
      { "params" })
    sweep("POST", "/api/spaces/_copy_saved_objects", { spaces = { "a" }, objects = { { type = "dashboard", id = "x" } } },
      { "spaces", "objects", "overwrite", "createNewCopies" })
    sweep("POST", "/api/spaces/_resolve_copy_saved_objects_errors",
      { retries = { a = { { type = "dashboard", id = "x" } } }, objects = { { type = "dashboard", id = "x" } } },
      { "retries", "objects", "createNewCopies" })
    sweep("POST", "/api/spaces/_update_objects_spaces",
      { objects = { { type = "index-pattern", id = "x" } }, spacesToAdd = { "a" }, spacesToRemove = json.array() },
      { "objects", "spacesToAdd", "spacesToRemove" })
    sweep("POST", "/api/spaces/_get_shareable_references", { objects = json.array() }, { "objects" })
    sweep("POST", "/api/spaces/_disable_legacy_url_aliases", { aliases = json.array() }, { "aliases" })
    assert.is_nil(new_errors():find("failed", 1, true))
  end)

  it("survives odd bytes in query strings, headers and ids", function()
    for _, p in ipairs{ "/api/spaces/space?purpose=%FF", "/api/spaces/space?include_authorized_purposes=%00",
                        "/api/spaces/space?purpose", "/api/actions/connector_types?feature_id=%E2%82",
                        "/api/spaces/space/%E2%82%AC", "/api/actions/connector/%25" } do
      local r = http.get(p)
      assert.is_true(r.status < 500, p .. " -> " .. r.status)
      assert.is_table(r.json, p)
    end
    local r = http.get("/api/spaces/space", { headers = { ["elastic-api-version"] = "\1\2" } })
    assert.are.equal(400, r.status)
    assert.is_nil(new_errors():find("failed", 1, true))
  end)
end)
