-- The Actions / Connectors API of the Kibana emulator (BEHAVIOUR §4, with §1.2,
-- §2.5, §7.1-7.2). Runs against a live emulator (spec/support/emulator.lua).

local emu = require "spec.support.emulator"
local http = require "spec.support.http"
local json = require "emu.json"

local UUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"
local PRECONFIGURED = {
  id = "preconfigured-server-log", name = "Preconfigured server log", connector_type_id = ".server-log",
  is_preconfigured = true, is_deprecated = false, is_system_action = false,
}

local function err(status, message)
  return { statusCode = status, error = require("emu.http").reason(status), message = message }
end
local function bad(message) return err(400, message) end
local function missing(id) return err(404, "Saved object [action/" .. id .. "] not found") end

local function index_connector(space, extra)
  local prefix = (space and space ~= "default") and ("/s/" .. space) or ""
  local body = { name = "Index it", connector_type_id = ".index", config = { index = "test-index" } }
  for k, v in pairs(extra or {}) do body[k] = v end
  local r = http.post(prefix .. "/api/actions/connector", body)
  assert.are.equal(200, r.status, r.body)
  return r.json
end

before_each(function() emu.reset() end)

describe("BEHAVIOUR §4.1/§4.2 POST /api/actions/connector (create)", function()
  it("answers 200 with the connector; a new id is a UUID v4; config defaults are filled in", function()
    local r = http.post("/api/actions/connector", { name = "Index it", connector_type_id = ".index",
                                                    config = { index = "test-index" } })
    assert.are.equal(200, r.status)
    assert.matches(UUID, r.json.id)
    assert.are.same({
      id = r.json.id, name = "Index it", connector_type_id = ".index",
      config = { index = "test-index", refresh = false, executionTimeField = json.null },
      is_preconfigured = false, is_deprecated = false, is_missing_secrets = false, is_system_action = false,
    }, r.json)
    assert.are.equal("2023-10-31", r.headers["elastic-api-version"])
  end)

  it("takes the id from the path (POST /api/actions/connector/{id}); 409 when it exists", function()
    local r = http.post("/api/actions/connector/my-log", { name = "Log", connector_type_id = ".server-log" })
    assert.are.equal(200, r.status)
    assert.are.equal("my-log", r.json.id)
    assert.are.same({}, r.json.config)
    assert.truthy(r.body:find('"config":{}', 1, true))
    r = http.post("/api/actions/connector/my-log", { name = "Log 2", connector_type_id = ".server-log" })
    assert.are.same(err(409, "Saved object [action/my-log] conflict"), r.json)
    -- connectors are space-isolated: the same id is free in another space
    r = http.post("/s/other/api/actions/connector/my-log", { name = "Log 3", connector_type_id = ".server-log" })
    assert.are.equal(200, r.status)
  end)

  it("never returns secrets (§7.1)", function()
    local r = http.post("/api/actions/connector", { name = "Hook", connector_type_id = ".webhook",
      config = { url = "https://example.invalid/hook" }, secrets = { user = "u", password = "s3cr3t-pw" } })
    assert.are.equal(200, r.status)
    assert.is_nil(r.json.secrets)
    assert.is_false(r.json.is_missing_secrets)
    assert.is_nil(r.body:find("s3cr3t-pw", 1, true))
    local got = http.get("/api/actions/connector/" .. r.json.id)
    assert.is_nil(got.body:find("s3cr3t-pw", 1, true))
    local list = http.get("/api/actions/connectors")
    assert.is_nil(list.body:find("s3cr3t-pw", 1, true))
    assert.are.same({ url = "https://example.invalid/hook", method = "post", headers = json.null, hasAuth = true },
      r.json.config)
  end)

  describe("errors (§4.2 errors column, §2.5 validation rows)", function()
    local cases = {
      { { connector_type_id = ".index" }, "[request body.name]: expected value of type [string] but got [undefined]" },
      { { name = "n" }, "[request body.connector_type_id]: expected value of type [string] but got [undefined]" },
      { { name = 5, connector_type_id = ".index" }, "[request body.name]: expected value of type [string] but got [number]" },
      { { name = "", connector_type_id = ".index" }, "[request body.name]: value '' is not valid" },
      { { name = "  ", connector_type_id = ".index" }, "[request body.name]: value '' is not valid" },
      { { name = "n", connector_type_id = "" }, "[request body.connector_type_id]: value '' is not valid" },
      { { name = "n", connector_type_id = ".index", config = { index = "" } },
        "[request body.config.index]: value '' is not valid" },
      { { name = "n", connector_type_id = ".webhook", config = { url = "u", headers = { a = " " } } },
        "[request body.config.headers]: value '' is not valid" },
      { { name = "n", connector_type_id = ".slack", secrets = { webhookUrl = "" } },
        "[request body.secrets.webhookUrl]: value '' is not valid" },
      { { name = "n", connector_type_id = ".index", config = json.array() },
        "[request body.config]: expected value of type [object] but got [Array]" },
      { { name = "n", connector_type_id = ".index", secrets = "x" },
        "[request body.secrets]: could not parse record value from json input" },
      { { name = "n", connector_type_id = ".index", id = "x" }, "[request body.id]: definition for this key is missing" },
      { { name = "n", connector_type_id = ".nope" }, 'Action type ".nope" is not registered.' },
      { { name = "n", connector_type_id = ".index" },
        "error validating action type config: [index]: expected value of type [string] but got [undefined]" },
      { { name = "n", connector_type_id = ".index", config = { index = 666 } },
        "error validating action type config: [index]: expected value of type [string] but got [number]" },
      { { name = "n", connector_type_id = ".index", config = { index = "i", indeX = "j" } },
        "error validating action type config: [indeX]: definition for this key is missing" },
      { { name = "n", connector_type_id = ".index", config = { index = "i", executionTimeField = true } },
        "error validating action type config: [executionTimeField]: types that failed validation:\n" ..
        "- [executionTimeField.0]: expected value of type [string] but got [boolean]\n" ..
        "- [executionTimeField.1]: expected value to equal [null]" },
      { { name = "n", connector_type_id = ".index", config = { index = "i" }, secrets = { k = "v" } },
        "error validating action type secrets: [k]: definition for this key is missing" },
      { { name = "n", connector_type_id = ".slack" },
        "error validating action type secrets: [webhookUrl]: expected value of type [string] but got [undefined]" },
      { { name = "n", connector_type_id = ".pagerduty", secrets = { routingKey = "k" }, config = { apiUrl = 1 } },
        "error validating action type config: [apiUrl]: types that failed validation:\n" ..
        "- [apiUrl.0]: expected value of type [string] but got [number]\n" ..
        "- [apiUrl.1]: expected value to equal [null]" },
    }
    for i, c in ipairs(cases) do
      it("case " .. i .. ": " .. c[2]:sub(1, 70), function()
        local r = http.post("/api/actions/connector", c[1])
        assert.are.equal(400, r.status)
        assert.are.same(bad(c[2]), r.json)
        assert.are.equal(1, #http.get("/api/actions/connectors").json)
      end)
    end

    it("refuses the id of a preconfigured connector", function()
      local r = http.post("/api/actions/connector/preconfigured-server-log",
        { name = "x", connector_type_id = ".server-log" })
      assert.are.same(bad("This preconfigured-server-log already exists in a preconfigured action."), r.json)
    end)
  end)
end)

describe("BEHAVIOUR §4.2 GET /api/actions/connector/{id}", function()
  it("answers the connector (no referenced_by_count)", function()
    local c = index_connector()
    local r = http.get("/api/actions/connector/" .. c.id)
    assert.are.equal(200, r.status)
    assert.are.same(c, r.json)
    assert.is_nil(r.json.referenced_by_count)
  end)

  it("answers 404 Saved object [action/<id>] not found, also from another space (§7.2)", function()
    local c = index_connector()
    assert.are.same(missing("nope"), http.get("/api/actions/connector/nope").json)
    assert.are.same(missing(c.id), http.get("/s/other/api/actions/connector/" .. c.id).json)
  end)

  it("serves the preconfigured connector in every space, without config and is_missing_secrets", function()
    assert.are.same(PRECONFIGURED, http.get("/api/actions/connector/preconfigured-server-log").json)
    assert.are.same(PRECONFIGURED, http.get("/s/any/api/actions/connector/preconfigured-server-log").json)
  end)
end)

describe("BEHAVIOUR §4.2 GET /api/actions/connectors (get all)", function()
  it("lists the space's connectors and the preconfigured one, sorted by name, with referenced_by_count", function()
    local b = index_connector(nil, { name = "beta" })
    local a = index_connector(nil, { name = "Alpha" })
    index_connector("other", { name = "elsewhere" })
    local r = http.get("/api/actions/connectors")
    assert.are.equal(200, r.status)
    local names = {}
    for i, c in ipairs(r.json) do names[i] = c.name end
    assert.are.same({ "Alpha", "beta", "Preconfigured server log" }, names)
    assert.are.equal(a.id, r.json[1].id)
    assert.are.equal(0, r.json[1].referenced_by_count)
    local pre = {}
    for k, v in pairs(PRECONFIGURED) do pre[k] = v end
    pre.referenced_by_count = 0
    assert.are.same(pre, r.json[3])
    local expect_b = {}
    for k, v in pairs(b) do expect_b[k] = v end
    expect_b.referenced_by_count = 0
    assert.are.same(expect_b, r.json[2])
  end)

  -- Kibana counts with an aggregation over `match_all` of the Kibana index as the
  -- internal user (actions plugin, get_all injectExtraFindData), so references
  -- from objects of every space count, not only the URL's space
  it("counts the saved objects of every space that reference the connector (type action)", function()
    local c = index_connector()
    local refs = { { type = "action", id = c.id, name = "action_0" } }
    assert.are.equal(200, http.post("/api/saved_objects/dashboard/r1",
      { attributes = { title = "r1" }, references = refs }).status)
    assert.are.equal(200, http.post("/api/saved_objects/dashboard/r2",
      { attributes = { title = "r2" }, references = refs }).status)
    -- same id, wrong type: not counted; another space (even one never created): counted
    assert.are.equal(200, http.post("/api/saved_objects/dashboard/r3",
      { attributes = { title = "r3" }, references = { { type = "tag", id = c.id, name = "t" } } }).status)
    assert.are.equal(200, http.post("/s/other/api/saved_objects/dashboard/r4",
      { attributes = { title = "r4" }, references = refs }).status)
    local list = http.get("/api/actions/connectors").json
    for _, x in ipairs(list) do
      if x.id == c.id then assert.are.equal(3, x.referenced_by_count) end
    end
    -- the count follows deletes
    assert.are.equal(200, http.delete("/s/other/api/saved_objects/dashboard/r4").status)
    for _, x in ipairs(http.get("/api/actions/connectors").json) do
      if x.id == c.id then assert.are.equal(2, x.referenced_by_count) end
    end
  end)
end)

describe("BEHAVIOUR §4.2 PUT /api/actions/connector/{id} (update)", function()
  it("replaces name, config and secrets; the type stays", function()
    local c = index_connector()
    local r = http.put("/api/actions/connector/" .. c.id,
      { name = "Renamed", config = { index = "other-index", refresh = true } })
    assert.are.equal(200, r.status)
    assert.are.same({ id = c.id, name = "Renamed", connector_type_id = ".index",
      config = { index = "other-index", refresh = true, executionTimeField = json.null },
      is_preconfigured = false, is_deprecated = false, is_missing_secrets = false, is_system_action = false }, r.json)
    assert.are.same(r.json, http.get("/api/actions/connector/" .. c.id).json)
  end)

  it("refuses connector_type_id and other unknown keys", function()
    local c = index_connector()
    assert.are.same(bad("[request body.connector_type_id]: definition for this key is missing"),
      http.put("/api/actions/connector/" .. c.id, { name = "x", connector_type_id = ".email",
                                                   config = { index = "i" } }).json)
  end)

  it("validates the config against the type", function()
    local c = index_connector()
    assert.are.same(bad("error validating action type config: [index]: expected value of type [string] but got [undefined]"),
      http.put("/api/actions/connector/" .. c.id, { name = "x" }).json)
    assert.are.same(bad("[request body.name]: value '' is not valid"),
      http.put("/api/actions/connector/" .. c.id, { name = "", config = { index = "i" } }).json)
  end)

  it("answers 404 for unknown ids and other spaces; 400 for the preconfigured connector", function()
    local c = index_connector()
    assert.are.same(missing("nope"), http.put("/api/actions/connector/nope", { name = "x" }).json)
    assert.are.same(missing(c.id), http.put("/s/other/api/actions/connector/" .. c.id,
      { name = "x", config = { index = "i" } }).json)
    assert.are.same(bad("Preconfigured action preconfigured-server-log can not be updated."),
      http.put("/api/actions/connector/preconfigured-server-log", { name = "x" }).json)
  end)
end)

describe("BEHAVIOUR §4.2 DELETE /api/actions/connector/{id}", function()
  it("answers 204 with an empty body, then 404", function()
    local c = index_connector()
    local r = http.delete("/api/actions/connector/" .. c.id)
    assert.are.equal(204, r.status)
    assert.are.equal("", r.body)
    assert.are.same(missing(c.id), http.get("/api/actions/connector/" .. c.id).json)
    assert.are.same(missing(c.id), http.delete("/api/actions/connector/" .. c.id).json)
  end)

  it("does not delete from another space (§7.2)", function()
    local c = index_connector()
    assert.are.same(missing(c.id), http.delete("/s/other/api/actions/connector/" .. c.id).json)
    assert.are.equal(200, http.get("/api/actions/connector/" .. c.id).status)
  end)

  it("refuses to delete the preconfigured connector", function()
    assert.are.same(bad("Preconfigured action preconfigured-server-log is not allowed to delete."),
      http.delete("/api/actions/connector/preconfigured-server-log").json)
  end)
end)

describe("BEHAVIOUR §4.2 POST /api/actions/connector/{id}/_execute", function()
  it(".index appends the documents to the index shown by GET /_emulator/indices/<name>", function()
    local c = index_connector()
    local docs = { { message = "one", n = 1 }, { message = "two", tags = { "a", "b" } } }
    local r = http.post("/api/actions/connector/" .. c.id .. "/_execute", { params = { documents = docs } })
    assert.are.equal(200, r.status)
    assert.are.equal("ok", r.json.status)
    assert.are.equal(c.id, r.json.connector_id)
    assert.is_false(r.json.data.errors)
    assert.are.equal(2, #r.json.data.items)
    assert.are.equal("test-index", r.json.data.items[1].create._index)
    assert.are.equal(201, r.json.data.items[1].create.status)
    local idx = emu.control("GET", "/_emulator/indices/test-index")
    assert.are.equal(200, idx.status)
    assert.are.same(docs, idx.json)
    http.post("/api/actions/connector/" .. c.id .. "/_execute", { params = { documents = { { message = "three" } } } })
    assert.are.equal(3, #emu.control("GET", "/_emulator/indices/test-index").json)
  end)

  it(".index adds the executionTimeField to each document", function()
    local c = index_connector(nil, { config = { index = "timed", executionTimeField = "@timestamp" } })
    http.post("/api/actions/connector/" .. c.id .. "/_execute", { params = { documents = { { a = 1 } } } })
    local doc = emu.control("GET", "/_emulator/indices/timed").json[1]
    assert.are.equal(1, doc.a)
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$", doc["@timestamp"])
  end)

  it(".server-log appends {level, message} to GET /_emulator/server-log (level defaults to info)", function()
    local c = http.post("/api/actions/connector", { name = "log", connector_type_id = ".server-log" }).json
    local r = http.post("/api/actions/connector/" .. c.id .. "/_execute", { params = { message = "hello" } })
    assert.are.same({ status = "ok", connector_id = c.id }, r.json)
    http.post("/api/actions/connector/preconfigured-server-log/_execute",
      { params = { message = "warned", level = "warn" } })
    local log = emu.control("GET", "/_emulator/server-log").json
    assert.are.equal(2, #log)
    assert.are.equal("info", log[1].level)
    assert.are.equal("hello", log[1].message)
    assert.are.equal(c.id, log[1].connector_id)
    assert.are.equal("warn", log[2].level)
    assert.are.equal("preconfigured-server-log", log[2].connector_id)
  end)

  it("invalid params are a failed run: 200 with status error", function()
    local c = http.post("/api/actions/connector", { name = "log", connector_type_id = ".server-log" }).json
    local r = http.post("/api/actions/connector/" .. c.id .. "/_execute", { params = { level = "info" } })
    assert.are.equal(200, r.status)
    assert.are.same({ status = "error", connector_id = c.id, retry = false, errorSource = "user",
      message = "error validating action params: [message]: expected value of type [string] but got [undefined]" },
      r.json)
    local ix = index_connector()
    r = http.post("/api/actions/connector/" .. ix.id .. "/_execute", { params = { documents = {} } })
    assert.are.equal("error validating action params: [documents]: expected value of type [array] but got [Object]",
      r.json.message)
    assert.are.equal(0, #emu.control("GET", "/_emulator/server-log").json)
  end)

  it("other types fail like a connector that cannot reach its service (still 200)", function()
    local c = http.post("/api/actions/connector", { name = "hook", connector_type_id = ".webhook",
                                                    config = { url = "https://hooks.example.invalid/x" } }).json
    local r = http.post("/api/actions/connector/" .. c.id .. "/_execute", { params = { body = "{}" } })
    assert.are.equal(200, r.status)
    assert.are.same({ status = "error", connector_id = c.id, message = "an error occurred while running the action",
      service_message = "getaddrinfo ENOTFOUND hooks.example.invalid", errorSource = "user", retry = false }, r.json)
    local s = http.post("/api/actions/connector", { name = "slack", connector_type_id = ".slack",
                                                    secrets = { webhookUrl = "https://hooks.slack.com/x" } }).json
    r = http.post("/api/actions/connector/" .. s.id .. "/_execute", { params = { message = "hi" } })
    assert.are.equal("error", r.json.status)
    assert.are.equal("an error occurred while running the action", r.json.message)
  end)

  it("answers 404 for unknown ids and 400 without params", function()
    assert.are.same(missing("nope"), http.post("/api/actions/connector/nope/_execute", { params = {} }).json)
    local c = index_connector()
    assert.are.same(missing(c.id), http.post("/s/other/api/actions/connector/" .. c.id .. "/_execute",
      { params = { documents = { {} } } }).json)
    assert.are.same(bad("[request body.params]: expected value of type [object] but got [undefined]"),
      http.post("/api/actions/connector/" .. c.id .. "/_execute", {}).json)
  end)
end)

describe("BEHAVIOUR §4.2 GET /api/actions/connector_types", function()
  it("lists the emulated types with Kibana's fields", function()
    local r = http.get("/api/actions/connector_types")
    assert.are.equal(200, r.status)
    local by_id, order = {}, {}
    for i, t in ipairs(r.json) do by_id[t.id] = t; order[i] = t.id end
    assert.are.same({ ".email", ".index", ".pagerduty", ".server-log", ".slack", ".webhook" }, order)
    assert.are.same({ id = ".index", name = "Index", enabled = true, enabled_in_config = true,
      enabled_in_license = true, minimum_license_required = "basic",
      supported_feature_ids = { "alerting", "uptime", "siem" }, is_system_action_type = false }, by_id[".index"])
    assert.are.equal("gold", by_id[".webhook"].minimum_license_required)
  end)

  it("filters by feature_id", function()
    local r = http.get("/api/actions/connector_types?feature_id=cases")
    assert.are.equal(1, #r.json)
    assert.are.equal(".email", r.json[1].id)
    assert.are.equal(0, #http.get("/api/actions/connector_types?feature_id=nope").json)
    assert.truthy(http.get("/api/actions/connector_types?feature_id=nope").body == "[]")
  end)
end)
