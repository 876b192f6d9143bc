-- Space semantics of the client (DESIGN.md section 5), with a fake transport.

local kibana = require "kibana"
local errors = kibana.errors
local fake = require "spec.unit.client_fake_transport"

local function catch(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return err
end

describe("the default space", function()
  it("is used when no space_id is given: no prefix, no validation request", function()
    local t = fake.new()
    local c = fake.client(t)
    c.actions:get_all()
    assert.equal(1, #t.requests)
    assert.equal("/api/actions/connectors", t.requests[1].path)
  end)

  it("is used for space_id = nil and space_id = 'default' alike", function()
    local t = fake.new()
    local c = fake.client(t)
    c.actions:get_all{ space_id = nil }
    c.actions:get_all{ space_id = "default" }
    assert.equal(2, #t.requests)
    assert.equal("/api/actions/connectors", t.requests[1].path)
    assert.equal("/api/actions/connectors", t.requests[2].path)
    assert.equal(0, t:validations())
  end)

  it("is reported as 'default' in meta", function()
    local t = fake.new()
    local c = fake.client(t)
    local _, _, meta = c.actions:get_all()
    assert.equal("default", meta.space_id)
  end)
end)

describe("a space_id on a call", function()
  it("sends /s/<id>/api/... after one validation request", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(2, #t.requests)
    assert.equal("/api/spaces/space/marketing", t.requests[1].path)
    assert.equal("GET", t.requests[1].method)
    assert.equal("/s/marketing/api/actions/connectors", t.requests[2].path)
  end)

  it("is validated once within the TTL", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    for _ = 1, 5 do
      c.actions:get_all{ space_id = "marketing" }
    end
    assert.equal(1, t:validations("marketing"))
    assert.equal(6, #t.requests)
  end)

  it("is validated again after the TTL", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t, { space_cache_ttl = 0.05 })
    c.actions:get_all{ space_id = "marketing" }
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(1, t:validations("marketing"))
    require("socket").sleep(0.08)
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(2, t:validations("marketing"))
  end)

  it("goes after base_path and before /api/", function()
    local t = fake.new()
    t:on("GET", "/kibana/api/spaces/space/marketing", { status = 200, body = { id = "marketing" } })
    local c = fake.client(t, { base_path = "/kibana/" })
    c.actions:get_all{ space_id = "marketing" }
    assert.equal("/kibana/s/marketing/api/actions/connectors", t:last().path)
  end)

  it("is not validated when validate_spaces = false", function()
    local t = fake.new()
    local c = fake.client(t, { validate_spaces = false })
    c.actions:get_all{ space_id = "nowhere" }
    assert.equal(1, #t.requests)
    assert.equal("/s/nowhere/api/actions/connectors", t.requests[1].path)
  end)
end)

describe("a missing space", function()
  it("raises SpaceNotFoundError naming the space, and sends nothing into it", function()
    local t = fake.new()
    local c = fake.client(t)
    local err = catch(c.actions.create, c.actions, { name = "x", connector_type_id = ".index", space_id = "typo" })
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.is_true(errors.is(err, errors.NotFoundError))
    assert.is_true(errors.is(err, errors.ApiError))
    assert.equal("typo", err.space_id)
    assert.equal(404, err.status)
    assert.equal("SpaceNotFoundError: space 'typo' not found", tostring(err))
    assert.equal(1, #t.requests) -- the validation request only
    assert.equal(0, #t:find("^/s/typo/"))
  end)

  it("is returned as nil, err, meta with raise = false", function()
    local t = fake.new()
    local c = fake.client(t, { raise = false })
    local body, err, meta = c.saved_objects:create{ type = "dashboard", attributes = {}, space_id = "typo" }
    assert.is_nil(body)
    assert.is_true(errors.is(err, "SpaceNotFoundError"))
    assert.equal("typo", meta.space_id)
    assert.equal(0, meta.attempts)
  end)

  it("is not cached by default (space_missing_ttl = 0): creating it is seen at once", function()
    local t = fake.new()
    local c = fake.client(t, { raise = false })
    local _, err = c.actions:get_all{ space_id = "later" }
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    t.spaces.later = true
    local body = c.actions:get_all{ space_id = "later" }
    assert.is_table(body)
    assert.equal(2, t:validations("later"))
  end)

  it("is cached for space_missing_ttl when set", function()
    local t = fake.new()
    local c = fake.client(t, { raise = false, space_missing_ttl = 60 })
    c.actions:get_all{ space_id = "gone" }
    local _, err = c.actions:get_all{ space_id = "gone" }
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal(1, t:validations("gone"))
  end)
end)

describe("a validation request that fails otherwise", function()
  it("is reported as itself, names the space, and is not cached", function()
    local t = fake.new()
    t:on("GET", "/api/spaces/space/marketing", {
      { status = 403, body = { statusCode = 403, error = "Forbidden", message = "Unauthorized to get marketing space" } },
      { status = 200, body = { id = "marketing" } },
    })
    local c = fake.client(t, { raise = false })
    local _, err = c.actions:get_all{ space_id = "marketing" }
    assert.is_true(errors.is(err, errors.AuthorizationError))
    assert.equal(403, err.status)
    assert.equal("marketing", err.space_id)
    assert.matches("Unauthorized to get marketing space", err.message, 1, true)
    assert.matches("space 'marketing'", err.message, 1, true)
    -- not cached: the next call asks again, and now succeeds
    assert.is_table((c.actions:get_all{ space_id = "marketing" }))
    assert.equal(2, t:validations("marketing"))
  end)

  it("reports a connection failure as a ConnectionError naming the space", function()
    local t = fake.new()
    t:on("GET", "/api/spaces/space/marketing", { fail = "connection", message = "Connection refused" })
    local c = fake.client(t, { raise = false, retries = 0 })
    local _, err = c.actions:get_all{ space_id = "marketing" }
    assert.is_true(errors.is(err, errors.ConnectionError))
    assert.equal("marketing", err.space_id)
    assert.matches("marketing", tostring(err), 1, true)
  end)
end)

describe("invalid space ids", function()
  local bad = { "Marketing Team", "marketing\n", "", "a/b", "../x", "Sales", "é" }
  for _, id in ipairs(bad) do
    it(string.format("%q is an InvalidSpaceIdError and sends nothing", id), function()
      local t = fake.new()
      local c = fake.client(t)
      local err = catch(c.actions.get_all, c.actions, { space_id = id })
      assert.is_true(errors.is(err, errors.InvalidSpaceIdError))
      assert.is_true(errors.is(err, errors.ValidationError))
      assert.equal(id, err.space_id)
      assert.equal(0, #t.requests)
    end)
  end

  for _, v in ipairs({ 42, true, {} }) do
    it("a " .. type(v) .. " is an InvalidSpaceIdError and sends nothing", function()
      local t = fake.new()
      local c = fake.client(t)
      local err = catch(c.actions.get_all, c.actions, { space_id = v })
      assert.is_true(errors.is(err, errors.InvalidSpaceIdError))
      assert.matches("string", err.message)
      assert.equal(0, #t.requests)
    end)
  end

  it("follows the raise mode (nil, err with raise = false)", function()
    local t = fake.new()
    local c = fake.client(t, { raise = false })
    local body, err = c.actions:get_all{ space_id = "Bad Id" }
    assert.is_nil(body)
    assert.is_true(errors.is(err, errors.InvalidSpaceIdError))
  end)

  it("are refused by client:space too", function()
    local t = fake.new()
    local c = fake.client(t)
    local err = catch(c.space, c, "Marketing Team")
    assert.is_true(errors.is(err, errors.InvalidSpaceIdError))
    assert.equal(0, #t.requests)
  end)
end)

describe("a scoped client", function()
  it("validates once at creation, then 100 calls send no validation", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    local m = c:space("marketing")
    assert.equal(1, #t.requests)
    for _ = 1, 100 do
      m.actions:get_all()
    end
    assert.equal(1, t:validations("marketing"))
    assert.equal(101, #t.requests)
    assert.equal("/s/marketing/api/actions/connectors", t:last().path)
  end)

  it("validates fresh at creation even when the answer is cached, then seeds the cache", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(1, t:validations("marketing"))
    c:space("marketing")
    assert.equal(2, t:validations("marketing"))
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(2, t:validations("marketing"))
  end)

  it("with validate = false sends no validation at all", function()
    local t = fake.new()
    local c = fake.client(t)
    local m = c:space("marketing", { validate = false })
    assert.equal(0, #t.requests)
    m.actions:get_all()
    m.saved_objects:find{ type = "dashboard" }
    assert.equal(2, #t.requests)
    assert.equal(0, t:validations())
  end)

  it("for a missing space fails at creation with SpaceNotFoundError", function()
    local t = fake.new()
    local c = fake.client(t)
    local err = catch(c.space, c, "typo")
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal("typo", err.space_id)
  end)

  it("returns nil, err for a missing space with raise = false", function()
    local t = fake.new()
    local c = fake.client(t, { raise = false })
    local m, err = c:space("typo")
    assert.is_nil(m)
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
  end)

  it("shares the parent's cache", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    c:space("marketing")
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(1, t:validations("marketing"))
    assert.same(c:space_cache():stats().size, c:space("sales", { validate = false }):space_cache():stats().size)
  end)

  it("shares the parent's transport and options", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t, { opaque_id = "trace-1" })
    local m = c:space("marketing")
    m.actions:get_all()
    assert.equal("trace-1", t:last().headers["x-opaque-id"])
    assert.equal("ApiKey test-key", t:last().headers["authorization"])
  end)

  it("accepts a per-call space_id equal to its own", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    local m = c:space("marketing")
    m.actions:get_all{ space_id = "marketing" }
    assert.equal("/s/marketing/api/actions/connectors", t:last().path)
  end)

  it("refuses a different per-call space_id with a ValidationError", function()
    local t = fake.new{ spaces = { "marketing", "sales" } }
    local c = fake.client(t)
    local m = c:space("marketing")
    local n = #t.requests
    local err = catch(m.actions.get_all, m.actions, { space_id = "sales" })
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.equal("ValidationError: client is scoped to space 'marketing'; refusing space_id 'sales'", tostring(err))
    assert.equal(n, #t.requests)
    err = catch(m.actions.get_all, m.actions, { space_id = "default" })
    assert.is_true(errors.is(err, errors.ValidationError))
  end)

  it("cannot be re-scoped to another space", function()
    local t = fake.new{ spaces = { "marketing", "sales" } }
    local c = fake.client(t)
    local m = c:space("marketing")
    local err = catch(m.space, m, "sales")
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.matches("scoped to space 'marketing'", err.message, 1, true)
  end)

  it("still manages spaces globally (no /s/ prefix)", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    local m = c:space("marketing")
    m.spaces:get_all()
    m.spaces:get("marketing")
    m.spaces:create{ id = "new", name = "New" }
    assert.equal("/api/spaces/space", t.requests[2].path)
    assert.equal("/api/spaces/space/marketing", t.requests[3].path)
    assert.equal("/api/spaces/space", t.requests[4].path)
  end)

  it("copies saved objects from its own space (the source prefix)", function()
    local t = fake.new{ spaces = { "marketing", "sales" } }
    local c = fake.client(t)
    local m = c:space("marketing")
    m.spaces:copy_saved_objects{ spaces = { "sales" }, objects = { { type = "dashboard", id = "d1" } } }
    assert.equal("/s/marketing/api/spaces/_copy_saved_objects", t:last().path)
  end)

  it("for 'default' sends no prefix and no validation", function()
    local t = fake.new()
    local c = fake.client(t)
    local d = c:space("default")
    d.actions:get_all()
    assert.equal(1, #t.requests)
    assert.equal("/api/actions/connectors", t.requests[1].path)
  end)

  it("names its space in tostring and space_id", function()
    local t = fake.new{ spaces = { "marketing" } }
    local m = fake.client(t):space("marketing")
    assert.equal("marketing", m.space_id)
    assert.matches("space 'marketing'", tostring(m), 1, true)
  end)
end)

describe("spaces:create and spaces:delete", function()
  it("invalidate the cache for that id when they succeed", function()
    local t = fake.new{ spaces = { "marketing" } }
    t:on("DELETE", "/api/spaces/space/marketing", function()
      t.spaces.marketing = nil
      return { status = 204, body = "" }
    end)
    local c = fake.client(t, { raise = false })
    c.actions:get_all{ space_id = "marketing" }
    assert.is_true(c.spaces:delete("marketing"))
    local _, err = c.actions:get_all{ space_id = "marketing" }
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal("marketing", err.space_id)
  end)

  it("invalidate the cache for that id even when they fail", function()
    local t = fake.new{ spaces = { "marketing" } }
    t:on("DELETE", "/api/spaces/space/marketing", { status = 500, body = { statusCode = 500, error = "Internal Server Error", message = "boom" } })
    t:on("POST", "/api/spaces/space", { status = 409, body = { statusCode = 409, error = "Conflict", message = "A space with the identifier marketing already exists." } })
    local c = fake.client(t, { raise = false, retries = 0 })
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(1, t:validations("marketing"))
    local _, err = c.spaces:delete("marketing")
    assert.is_true(errors.is(err, errors.ServerError))
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(2, t:validations("marketing"))
    _, err = c.spaces:create{ id = "marketing", name = "Marketing" }
    assert.is_true(errors.is(err, errors.ConflictError))
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(3, t:validations("marketing"))
  end)

  it("invalidate even when the transport fails", function()
    local t = fake.new{ spaces = { "marketing" } }
    t:on("DELETE", "/api/spaces/space/marketing", { fail = "timeout", message = "Operation timed out" })
    local c = fake.client(t, { raise = false, retries = 0 })
    c.actions:get_all{ space_id = "marketing" }
    local _, err = c.spaces:delete("marketing")
    assert.is_true(errors.is(err, errors.TimeoutError))
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(2, t:validations("marketing"))
  end)

  it("report a missing space as SpaceNotFoundError", function()
    local t = fake.new()
    t:on("DELETE", "/api/spaces/space/nope", { status = 404, body = { statusCode = 404, error = "Not Found", message = "Not Found" } })
    local c = fake.client(t, { raise = false })
    local _, err = c.spaces:delete("nope")
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal("SpaceNotFoundError: space 'nope' not found", tostring(err))
    _, err = c.spaces:get("nope")
    assert.equal("nope", err.space_id)
  end)
end)

describe("client:space_cache()", function()
  it("reports hits, misses, lookups and size", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    c.actions:get_all{ space_id = "marketing" }
    c.actions:get_all{ space_id = "marketing" }
    c.actions:get_all{ space_id = "marketing" }
    local s = c:space_cache():stats()
    assert.equal(2, s.hits)
    assert.equal(1, s.misses)
    assert.equal(3, s.lookups)
    assert.equal(1, s.size)
    assert.equal(1, s.requests)
  end)

  it("clear(id) forgets one space, clear() all of them", function()
    local t = fake.new{ spaces = { "a", "b" } }
    local c = fake.client(t)
    c.actions:get_all{ space_id = "a" }
    c.actions:get_all{ space_id = "b" }
    local cache = c:space_cache()
    cache:clear("a")
    c.actions:get_all{ space_id = "a" }
    c.actions:get_all{ space_id = "b" }
    assert.equal(2, t:validations("a"))
    assert.equal(1, t:validations("b"))
    cache.clear()
    c.actions:get_all{ space_id = "a" }
    c.actions:get_all{ space_id = "b" }
    assert.equal(3, t:validations("a"))
    assert.equal(2, t:validations("b"))
  end)
end)

describe("concurrent lookups of one space", function()
  it("make one request when the transport yields (coroutines wait on the lookup in flight)", function()
    local t = fake.new{ spaces = { "marketing" }, yield = true }
    local c = fake.client(t)
    local tasks = {}
    for i = 1, 5 do
      tasks[i] = function()
        return c.actions:get_all{ space_id = "marketing" }
      end
    end
    local results = fake.run_concurrently(tasks)
    for i = 1, 5 do
      assert.is_true(results[i][1], tostring(results[i][2]))
    end
    assert.equal(1, t:validations("marketing"))
    assert.equal(6, #t.requests)
    assert.equal(4, c:space_cache():stats().waits)
  end)

  it("share a not-found answer: every waiter gets its own SpaceNotFoundError", function()
    local t = fake.new{ yield = true }
    local c = fake.client(t)
    local tasks = {}
    for i = 1, 3 do
      tasks[i] = function()
        return c.actions:get_all{ space_id = "typo" }
      end
    end
    local results = fake.run_concurrently(tasks)
    for i = 1, 3 do
      assert.is_false(results[i][1])
      assert.is_true(errors.is(results[i][2], errors.SpaceNotFoundError))
    end
    assert.are_not.equal(results[1][2], results[2][2])
    assert.equal(1, t:validations("typo"))
  end)

  it("use the transport's yield() when it has one", function()
    local t = fake.new{ spaces = { "marketing" }, yield = true }
    local yields = 0
    function t:yield()
      yields = yields + 1
      coroutine.yield("wait")
    end
    local c = fake.client(t)
    local results = fake.run_concurrently({
      function() return c.actions:get_all{ space_id = "marketing" } end,
      function() return c.actions:get_all{ space_id = "marketing" } end,
    })
    assert.is_true(results[1][1])
    assert.is_true(results[2][1])
    assert.is_true(yields > 0)
    assert.equal(1, t:validations("marketing"))
  end)

  it("do not cache an answer that a spaces:delete made stale while it was in flight", function()
    local t = fake.new{ spaces = { "marketing" }, yield = true }
    -- the lookup reads "exists", then takes long enough for the delete to finish
    t:on("GET", "/api/spaces/space/marketing", function()
      local exists = t.spaces.marketing
      if coroutine.isyieldable() then
        for _ = 1, 3 do coroutine.yield("io") end
      end
      if exists then
        return { status = 200, body = { id = "marketing" } }
      end
      return { status = 404, body = { statusCode = 404, error = "Not Found", message = "Not Found" } }
    end)
    t:on("DELETE", "/api/spaces/space/marketing", function()
      t.spaces.marketing = nil
      return { status = 204, body = "" }
    end)
    local c = fake.client(t, { raise = false })
    local results = fake.run_concurrently({
      function() return c.actions:get_all{ space_id = "marketing" } end,
      function() return c.spaces:delete("marketing") end,
    })
    assert.is_table(results[1][2]) -- the first call saw the space
    assert.is_true(results[2][2])  -- the delete went through
    t.yields = false
    local _, err = c.actions:get_all{ space_id = "marketing" }
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
  end)
end)

describe("errors for objects in a space", function()
  it("name the space: NotFoundError ... (space 'sales')", function()
    local t = fake.new{ spaces = { "sales" } }
    t:on("GET", "/s/sales/api/actions/connector/abc", { status = 404, body = {
      statusCode = 404, error = "Not Found", message = "Saved object [action/abc] not found" } })
    local c = fake.client(t)
    local err = catch(c.actions.get, c.actions, "abc", { space_id = "sales" })
    assert.equal("NotFoundError: Saved object [action/abc] not found (space 'sales')", tostring(err))
    assert.equal("sales", err.space_id)
  end)

  it("name the default space too", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connector/abc", { status = 404, body = {
      statusCode = 404, error = "Not Found", message = "Saved object [action/abc] not found" } })
    local c = fake.client(t)
    local err = catch(c.actions.get, c.actions, "abc")
    assert.equal("NotFoundError: Saved object [action/abc] not found (space 'default')", tostring(err))
    assert.equal("default", err.space_id)
  end)
end)
