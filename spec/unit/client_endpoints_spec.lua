-- What each API method sends (method, path, query, body), and how arguments
-- are taken and checked. Fake transport.

local kibana = require "kibana"
local errors = kibana.errors
local fake = require "spec.unit.client_fake_transport"

local function catch(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return err
end

local function setup(opts)
  local t = fake.new{ spaces = { "marketing", "sales" } }
  return t, fake.client(t, opts)
end

describe("the actions API", function()
  it("create posts name, connector_type_id, config and secrets", function()
    local t, c = setup()
    c.actions:create{ name = "My Connector", connector_type_id = ".index", config = { index = "logs" }, secrets = {} }
    local r = t:last()
    assert.equal("POST", r.method)
    assert.equal("/api/actions/connector", r.path)
    assert.same({ name = "My Connector", connector_type_id = ".index", config = { index = "logs" }, secrets = {} }, r.json)
  end)

  it("create with an id posts to /api/actions/connector/{id}", function()
    local t, c = setup()
    c.actions:create{ id = "my-id", name = "x", connector_type_id = ".index" }
    assert.equal("/api/actions/connector/my-id", t:last().path)
    assert.is_nil(t:last().json.id)
  end)

  it("get, update, delete and execute address one connector", function()
    local t, c = setup()
    c.actions:get("c1")
    assert.equal("GET /api/actions/connector/c1", t:last().method .. " " .. t:last().path)
    c.actions:get{ id = "c1" }
    assert.equal("/api/actions/connector/c1", t:last().path)
    c.actions:update{ id = "c1", name = "n", config = { index = "x" } }
    assert.equal("PUT /api/actions/connector/c1", t:last().method .. " " .. t:last().path)
    assert.same({ name = "n", config = { index = "x" } }, t:last().json)
    c.actions:delete("c1")
    assert.equal("DELETE /api/actions/connector/c1", t:last().method .. " " .. t:last().path)
    assert.is_nil(t:last().body)
    c.actions:execute{ id = "c1", params = { documents = { { a = 1 } } } }
    assert.equal("POST /api/actions/connector/c1/_execute", t:last().method .. " " .. t:last().path)
    assert.same({ params = { documents = { { a = 1 } } } }, t:last().json)
  end)

  it("get_all and list_types", function()
    local t, c = setup()
    c.actions:get_all()
    assert.equal("GET /api/actions/connectors", t:last().method .. " " .. t:last().path)
    c.actions:list_types{ feature_id = "alerting" }
    assert.equal("/api/actions/connector_types", t:last().path)
    assert.equal("feature_id=alerting", t:last().query)
  end)

  it("accepts a bare id plus named parameters", function()
    local t, c = setup()
    c.actions:get("c1", { space_id = "marketing" })
    assert.equal("/s/marketing/api/actions/connector/c1", t:last().path)
  end)
end)

describe("the saved objects API", function()
  it("create posts attributes and references, overwrite in the query, id in the path", function()
    local t, c = setup()
    c.saved_objects:create{ type = "dashboard", attributes = { title = "T" }, references = {} }
    assert.equal("POST /api/saved_objects/dashboard", t:last().method .. " " .. t:last().path)
    assert.equal('{"attributes":{"title":"T"},"references":[]}', t:last().body)
    c.saved_objects:create{ type = "dashboard", id = "d1", attributes = { title = "T" }, overwrite = true,
                            initialNamespaces = { "marketing" } }
    assert.equal("/api/saved_objects/dashboard/d1", t:last().path)
    assert.equal("overwrite=true", t:last().query)
    assert.same({ "marketing" }, t:last().json.initialNamespaces)
  end)

  it("get, resolve, update and delete take type and id (positionally too)", function()
    local t, c = setup()
    c.saved_objects:get("dashboard", "d1")
    assert.equal("GET /api/saved_objects/dashboard/d1", t:last().method .. " " .. t:last().path)
    c.saved_objects:get{ type = "dashboard", id = "d1" }
    assert.equal("/api/saved_objects/dashboard/d1", t:last().path)
    c.saved_objects:resolve("dashboard", "d1")
    assert.equal("/api/saved_objects/resolve/dashboard/d1", t:last().path)
    c.saved_objects:update{ type = "dashboard", id = "d1", attributes = { title = "U" }, version = "WzEsMV0=" }
    assert.equal("PUT", t:last().method)
    assert.same({ attributes = { title = "U" }, version = "WzEsMV0=" }, t:last().json)
    c.saved_objects:delete{ type = "dashboard", id = "d1", force = true }
    assert.equal("DELETE /api/saved_objects/dashboard/d1", t:last().method .. " " .. t:last().path)
    assert.equal("force=true", t:last().query)
  end)

  it("find sends its query, has_reference JSON-encoded, lists as repeated keys", function()
    local t, c = setup()
    c.saved_objects:find{ type = { "dashboard", "visualization" }, search = "a b", per_page = 50, page = 2,
                          has_reference = { type = "index-pattern", id = "ip1" }, fields = { "title" },
                          sort_field = "updated_at", sort_order = "desc" }
    local r = t:last()
    assert.equal("/api/saved_objects/_find", r.path)
    assert.same({ "dashboard", "visualization" }, r.params.type)
    assert.equal("a b", r.params.search)
    assert.equal("50", r.params.per_page)
    assert.equal("2", r.params.page)
    assert.equal("title", r.params.fields)
    assert.same({ type = "index-pattern", id = "ip1" }, require("kibana.core").json_decode(r.params.has_reference))
  end)

  it("bulk methods send the objects list as the body", function()
    local t, c = setup()
    local objs = { { type = "dashboard", id = "a", attributes = { title = "A" }, references = {} } }
    c.saved_objects:bulk_create{ objects = objs, overwrite = true }
    assert.equal("POST /api/saved_objects/_bulk_create", t:last().method .. " " .. t:last().path)
    assert.equal("overwrite=true", t:last().query)
    assert.equal('[{"attributes":{"title":"A"},"id":"a","references":[],"type":"dashboard"}]', t:last().body)
    c.saved_objects:bulk_get{ objects = { { type = "dashboard", id = "a" } } }
    assert.equal("POST /api/saved_objects/_bulk_get", t:last().method .. " " .. t:last().path)
    c.saved_objects:bulk_update{ objects = { { type = "dashboard", id = "a", attributes = { title = "B" } } } }
    assert.equal("PUT /api/saved_objects/_bulk_update", t:last().method .. " " .. t:last().path)
    c.saved_objects:bulk_delete{ objects = { { type = "dashboard", id = "a" } }, force = true }
    assert.equal("POST /api/saved_objects/_bulk_delete", t:last().method .. " " .. t:last().path)
    assert.equal("force=true", t:last().query)
    c.saved_objects:bulk_resolve{ objects = { { type = "dashboard", id = "a" } } }
    assert.equal("POST /api/saved_objects/_bulk_resolve", t:last().method .. " " .. t:last().path)
  end)

  it("bulk methods send an empty list as []", function()
    local t, c = setup()
    c.saved_objects:bulk_get{ objects = {} }
    assert.equal("[]", t:last().body)
  end)

  it("bulk methods leave the caller's tables untouched", function()
    local t, c = setup()
    local refs = {}
    local objs = { { type = "dashboard", attributes = {}, references = refs } }
    c.saved_objects:bulk_create{ objects = objs }
    assert.is_nil(getmetatable(objs))
    assert.is_nil(getmetatable(refs))
    assert.matches('"references":[]', t:last().body, 1, true)
  end)

  it("export posts its options and returns the NDJSON text", function()
    local t, c = setup()
    local ndjson = '{"id":"a","type":"dashboard"}\n{"exportedCount":1,"missingRefCount":0}\n'
    t:on("POST", "/api/saved_objects/_export", { status = 200, body = ndjson, headers = { ["Content-Type"] = "application/ndjson" } })
    local text = c.saved_objects:export{ type = { "dashboard" }, includeReferencesDeep = true }
    assert.equal(ndjson, text)
    assert.same({ type = { "dashboard" }, includeReferencesDeep = true }, t:last().json)
  end)
end)

describe("the spaces API", function()
  it("create, get, get_all, update and delete are global", function()
    local t, c = setup()
    t.spaces.s1 = true
    c.spaces:create{ id = "s1", name = "S1", disabledFeatures = {} }
    assert.equal("POST /api/spaces/space", t:last().method .. " " .. t:last().path)
    assert.equal('{"disabledFeatures":[],"id":"s1","name":"S1"}', t:last().body)
    c.spaces:get("s1")
    assert.equal("GET /api/spaces/space/s1", t:last().method .. " " .. t:last().path)
    c.spaces:get_all{ purpose = "shareSavedObjectsIntoSpace", include_authorized_purposes = false }
    assert.equal("include_authorized_purposes=false&purpose=shareSavedObjectsIntoSpace", t:last().query)
    c.spaces:update{ id = "s1", name = "S one" }
    assert.equal("PUT /api/spaces/space/s1", t:last().method .. " " .. t:last().path)
    assert.same({ id = "s1", name = "S one" }, t:last().json)
    c.spaces:delete("s1")
    assert.equal("DELETE /api/spaces/space/s1", t:last().method .. " " .. t:last().path)
  end)

  it("do not take a space_id", function()
    local _, c = setup()
    local err = catch(c.spaces.get_all, c.spaces, { space_id = "marketing" })
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.matches("unknown parameter 'space_id' for spaces:get_all", err.message, 1, true)
  end)

  it("copy_saved_objects posts to the source space's prefix", function()
    local t, c = setup()
    c.spaces:copy_saved_objects{ space_id = "marketing", spaces = { "sales" },
                                 objects = { { type = "dashboard", id = "d1" } }, includeReferences = true }
    assert.equal("POST /s/marketing/api/spaces/_copy_saved_objects", t:last().method .. " " .. t:last().path)
    assert.same({ spaces = { "sales" }, objects = { { type = "dashboard", id = "d1" } }, includeReferences = true },
      t:last().json)
  end)

  it("resolve_copy_errors posts retries per space", function()
    local t, c = setup()
    c.spaces:resolve_copy_errors{ objects = { { type = "dashboard", id = "d1" } },
                                  retries = { sales = { { type = "dashboard", id = "d1", overwrite = true } } } }
    assert.equal("/api/spaces/_resolve_copy_saved_objects_errors", t:last().path)
    assert.is_true(t:last().json.retries.sales[1].overwrite)
  end)
end)

describe("client:status()", function()
  it("gets /api/status, globally", function()
    local t = fake.new{ spaces = { "marketing" } }
    t:on("GET", "/api/status", { status = 200, body = { status = { overall = { level = "available" } } } })
    local c = fake.client(t)
    local st = c:status()
    assert.equal("available", st.status.overall.level)
    local m = c:space("marketing")
    m:status()
    assert.equal("/api/status", t:last().path)
  end)
end)

describe("request headers", function()
  it("carry Accept, User-Agent and kbn-xsrf on every non-GET, Content-Type with JSON", function()
    local t, c = setup()
    c.actions:get_all()
    local h = t:last().headers
    assert.equal("application/json", h["accept"])
    assert.is_nil(h["kbn-xsrf"])
    assert.is_nil(h["content-type"])
    assert.matches("^lua%-kibana/" .. kibana.VERSION:gsub("%.", "%%.") .. " %(", h["user-agent"])
    c.actions:create{ name = "x", connector_type_id = ".index" }
    h = t:last().headers
    assert.equal("true", h["kbn-xsrf"])
    assert.equal("application/json", h["content-type"])
    c.actions:delete("x")
    h = t:last().headers
    assert.equal("true", h["kbn-xsrf"])
    assert.is_nil(h["content-type"])
  end)
end)

describe("path ids", function()
  local ids = {
    ["../../api/spaces/space/x"] = "..%2F..%2Fapi%2Fspaces%2Fspace%2Fx",
    ["a?b#c"] = "a%3Fb%23c",
    ["100%"] = "100%25",
    ["with space"] = "with%20space",
    ["café"] = "caf%C3%A9",
    ["..."] = "...",
  }
  for id, encoded in pairs(ids) do
    it(string.format("%q reaches Kibana as one encoded segment", id), function()
      local t, c = setup()
      c.actions:get(id)
      assert.equal("/api/actions/connector/" .. encoded, t:last().path)
    end)
  end

  it("'.' and '..' are refused before any request: Kibana resolves them as dot segments", function()
    for _, id in ipairs{ ".", ".." } do
      local t, c = setup()
      local err = catch(c.actions.get, c.actions, id)
      assert.is_true(errors.is(err, errors.ValidationError))
      assert.matches("path parameter 'id' cannot be '" .. id .. "'", err.message, 1, true)
      assert.equal(0, #t.requests)
    end
  end)

  it("accepts numbers", function()
    local t, c = setup()
    c.saved_objects:get("dashboard", 42)
    assert.equal("/api/saved_objects/dashboard/42", t:last().path)
  end)
end)

describe("unknown parameter names", function()
  it("raise a ValidationError naming the parameter and the method", function()
    local t, c = setup()
    local err = catch(c.actions.create, c.actions, { nmae = "x", connector_type_id = ".index" })
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.matches("unknown parameter 'nmae' for actions:create", err.message, 1, true)
    assert.matches("did you mean 'name'", err.message, 1, true)
    assert.equal("nmae", err.argument)
    assert.equal(0, #t.requests)
  end)

  it("raise even with raise = false", function()
    local t, c = setup({ raise = false })
    local err = catch(c.saved_objects.find, c.saved_objects, { typ = "dashboard" })
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.equal(0, #t.requests)
  end)
end)

describe("misuse", function()
  it("calling with a dot instead of a colon raises a clear message", function()
    local _, c = setup({ raise = false })
    local err = catch(c.actions.create, { name = "x" })
    assert.matches("actions:create must be called with a colon", err.message, 1, true)
    err = catch(c.actions.get, "abc")
    assert.matches("actions:get must be called with a colon", err.message, 1, true)
    err = catch(c.space, "marketing")
    assert.matches("client:space", err.message, 1, true)
  end)

  it("non-table arguments raise", function()
    local _, c = setup({ raise = false })
    local err = catch(c.actions.create, c.actions, "name")
    assert.matches("actions:create expects a table of named parameters", err.message, 1, true)
    err = catch(c.actions.get_all, c.actions, 42)
    assert.is_true(errors.is(err, errors.ValidationError))
    err = catch(c.actions.get, c.actions, true)
    assert.matches("actions:get", err.message, 1, true)
  end)

  it("wrong types for path parameters raise an argument error naming them", function()
    local t, c = setup({ raise = false })
    local err = catch(c.actions.get, c.actions, { id = { "x" } })
    assert.equal("bad argument 'id' to actions:get (string expected, got table)", err.message)
    assert.equal("id", err.argument)
    err = catch(c.saved_objects.get, c.saved_objects, { id = "x" })
    assert.matches("bad argument 'type' to saved_objects:get", err.message, 1, true)
    err = catch(c.actions.get, c.actions, "")
    assert.matches("bad argument 'id' to actions:get", err.message, 1, true)
    err = catch(c.actions.delete, c.actions)
    assert.matches("bad argument 'id' to actions:delete", err.message, 1, true)
    assert.equal(0, #t.requests)
  end)

  it("a positional id given twice differently raises", function()
    local _, c = setup()
    local err = catch(c.actions.get, c.actions, "a", { id = "b" })
    assert.matches("given both positionally and by name", err.message, 1, true)
  end)

  it("an unknown method raises", function()
    local _, c = setup()
    local err = catch(function() return c.actions:craete{} end)
    assert.matches("actions has no method 'craete'", err.message, 1, true)
  end)

  it("a value that cannot be JSON raises naming the parameter", function()
    local _, c = setup({ raise = false })
    local err = catch(c.actions.create, c.actions, { name = "x", connector_type_id = ".index", config = { f = print } })
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.matches("actions:create", err.message, 1, true)
  end)

  it("a query value of the wrong shape raises naming it", function()
    local _, c = setup()
    local err = catch(c.saved_objects.find, c.saved_objects, { type = { a = 1 } })
    assert.matches("parameter 'type'", err.message, 1, true)
  end)
end)
