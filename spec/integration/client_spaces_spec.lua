-- Space semantics of the client against the Kibana emulator (DESIGN.md
-- section 5; the space-support guide's scenarios).

local kibana = require "kibana"
local errors = kibana.errors
local emu = require "spec.support.emulator"
local support_client = require "spec.support.client"
local socket = require "socket"

local new_client = support_client.new

-- requests the emulator logged after `mark` (a sequence number from mark())
local function since(m, method, pattern)
  local out = {}
  for _, r in ipairs(emu.requests(m)) do
    if (method == nil or r.method == method) and (pattern == nil or r.path:find(pattern)) then
      out[#out + 1] = r
    end
  end
  return out
end

local function mark()
  local log = emu.requests()
  return #log > 0 and math.floor(log[#log].seq) or 0
end

local function validations(m, id)
  return #since(m, "GET", "^/api/spaces/space/" .. id .. "$")
end

local function connector(name)
  return { name = name or "conn", connector_type_id = ".index", config = { index = "logs" } }
end

local function with_space(params, space_id)
  local p = {}
  for k, v in pairs(params) do p[k] = v end
  p.space_id = space_id
  return p
end

describe("the default space against the emulator", function()
  before_each(emu.reset)

  it("no space_id, nil or 'default' send no prefix and no validation request", function()
    local c = new_client()
    local m = mark()
    local a = c.actions:create(connector("a"))
    c.actions:get(a.id)
    c.actions:get(a.id, { space_id = "default" })
    c.actions:get{ id = a.id, space_id = nil }
    local log = since(m)
    assert.equal(4, #log)
    for _, r in ipairs(log) do
      assert.equal("default", r.space)
      assert.is_nil(r.path:find("^/s/"))
    end
    assert.equal(0, #since(m, "GET", "^/api/spaces/space/"))
  end)
end)

describe("a space_id on a call against the emulator", function()
  before_each(function()
    emu.reset()
    new_client().spaces:create{ id = "marketing", name = "Marketing" }
  end)

  it("sends /s/marketing/api/... after one validation request", function()
    local c = new_client()
    local m = mark()
    local conn = c.actions:create(with_space(connector(), "marketing"))
    local log = since(m)
    assert.equal(2, #log)
    assert.equal("/api/spaces/space/marketing", log[1].path)
    assert.equal("POST", log[2].method)
    assert.equal("/s/marketing/api/actions/connector", log[2].path)
    assert.equal("marketing", log[2].space)
    assert.is_string(conn.id)
  end)

  it("sends no validation within the TTL and one again after it", function()
    local c = new_client{ space_cache_ttl = 0.2 }
    local m = mark()
    c.actions:get_all{ space_id = "marketing" }
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(1, validations(m, "marketing"))
    socket.sleep(0.3)
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(2, validations(m, "marketing"))
  end)
end)

describe("a scoped client against the emulator", function()
  before_each(function()
    emu.reset()
    new_client().spaces:create{ id = "marketing", name = "Marketing" }
  end)

  it("sends one validation request at creation and none for 100 calls", function()
    local c = new_client()
    local m = mark()
    local mc = c:space("marketing")
    assert.equal(1, #since(m))
    for i = 1, 100 do
      if i % 2 == 0 then
        mc.actions:get_all()
      else
        mc.saved_objects:find{ type = "dashboard" }
      end
    end
    assert.equal(1, validations(m, "marketing"))
    assert.equal(101, #since(m))
    assert.equal(100, #since(m, nil, "^/s/marketing/api/"))
  end)

  it("with validate = false sends none at all", function()
    local c = new_client()
    local m = mark()
    local fast = c:space("marketing", { validate = false })
    fast.actions:create(connector())
    assert.equal(0, validations(m, "marketing"))
    assert.equal(1, #since(m))
  end)

  it("shares the parent's cache", function()
    local c = new_client()
    local m = mark()
    c:space("marketing")
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(1, validations(m, "marketing"))
    assert.equal(1, c:space_cache():stats().hits)
  end)

  it("creates objects in its space (guide scenario 3)", function()
    local c = new_client()
    local mc = c:space("marketing")
    local c1 = mc.actions:create{ name = "Connector 1", connector_type_id = ".index", config = { index = "logs1" } }
    local c2 = mc.actions:create{ name = "Connector 2", connector_type_id = ".index", config = { index = "logs2" } }
    local all = c.actions:get_all{ space_id = "marketing" }
    local ids = {}
    for _, x in ipairs(all) do ids[x.id] = true end
    assert.is_true(ids[c1.id])
    assert.is_true(ids[c2.id])
  end)

  it("refuses a different per-call space_id with a ValidationError and sends nothing", function()
    local c = new_client()
    local mc = c:space("marketing")
    local m = mark()
    local ok, err = pcall(mc.actions.create, mc.actions, with_space(connector(), "sales"))
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.equal("client is scoped to space 'marketing'; refusing space_id 'sales'", err.message)
    assert.equal(0, #since(m))
  end)

  it("still manages spaces globally", function()
    local c = new_client()
    local mc = c:space("marketing")
    local m = mark()
    mc.spaces:create{ id = "sales", name = "Sales" }
    local all = mc.spaces:get_all()
    assert.equal("/api/spaces/space", since(m)[1].path)
    assert.equal("default", since(m)[1].space)
    assert.is_true(#all >= 3)
  end)
end)

describe("a missing space against the emulator", function()
  before_each(emu.reset)

  it("is a SpaceNotFoundError naming it, and nothing is written into the orphan namespace", function()
    local c = new_client()
    local m = mark()
    local ok, err = pcall(c.actions.create, c.actions, with_space(connector(), "typo"))
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.is_true(errors.is(err, errors.NotFoundError))
    assert.equal("typo", err.space_id)
    assert.equal("SpaceNotFoundError: space 'typo' not found", tostring(err))
    assert.equal(0, #since(m, "POST", "^/s/typo/"))
    assert.equal(0, #since(m, nil, "^/s/typo/"))
    ok, err = pcall(c.saved_objects.create, c.saved_objects, { type = "dashboard", attributes = { title = "x" }, space_id = "typo" })
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal(0, #since(m, nil, "^/s/typo/"))
  end)

  it("fails a scoped client at creation", function()
    local c = new_client{ raise = false }
    local sc, err = c:space("typo")
    assert.is_nil(sc)
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal("typo", err.space_id)
  end)

  it("can be created on SpaceNotFoundError and the call retried (guide best practice 2)", function()
    local c = new_client()
    local ok, err = pcall(c.actions.create, c.actions, with_space(connector(), "marketing"))
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    c.spaces:create{ id = err.space_id, name = "Marketing" }
    local conn = c.actions:create(with_space(connector(), "marketing"))
    assert.is_string(conn.id)
  end)
end)

describe("invalid space ids against the emulator", function()
  before_each(emu.reset)

  local bad = { "Marketing Team", "marketing\n", "", "a/b", "../x", 42, true, {} }
  for _, id in ipairs(bad) do
    it(string.format("%s is refused before any request", type(id) == "string" and string.format("%q", id) or type(id)), function()
      local c = new_client()
      local m = mark()
      local ok, err = pcall(c.actions.get_all, c.actions, { space_id = id })
      assert.is_false(ok)
      assert.is_true(errors.is(err, errors.InvalidSpaceIdError))
      ok, err = pcall(c.space, c, id)
      assert.is_false(ok)
      assert.is_true(errors.is(err, errors.InvalidSpaceIdError))
      assert.equal(0, #since(m))
    end)
  end
end)

describe("spaces:create and spaces:delete against the emulator", function()
  before_each(emu.reset)

  it("a failed create invalidates the cache for that id", function()
    local c = new_client{ raise = false }
    c.spaces:create{ id = "marketing", name = "Marketing" }
    c.actions:get_all{ space_id = "marketing" }
    c.actions:get_all{ space_id = "marketing" }
    local m = mark()
    -- fails: duplicate id
    local _, err = c.spaces:create{ id = "marketing", name = "Again" }
    assert.is_true(errors.is(err, errors.ConflictError))
    assert.equal("marketing", err.space_id)
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(1, validations(m, "marketing"))
  end)

  it("a failed delete invalidates too", function()
    local c = new_client{ raise = false, retries = 0 }
    c.spaces:create{ id = "marketing", name = "Marketing" }
    c.actions:get_all{ space_id = "marketing" }
    emu.fault{ status = 503, count = 1, match = "/api/spaces/space/marketing" }
    local m = mark()
    local _, err = c.spaces:delete("marketing")
    assert.is_true(errors.is(err, errors.ServerError))
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(1, validations(m, "marketing"))
  end)

  it("a space deleted through the client is reported missing on the next call", function()
    local c = new_client()
    c.spaces:create{ id = "marketing", name = "Marketing" }
    c.actions:get_all{ space_id = "marketing" }
    assert.is_true(c.spaces:delete("marketing"))
    local ok, err = pcall(c.actions.get_all, c.actions, { space_id = "marketing" })
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal("marketing", err.space_id)
  end)

  it("a space created through the client is usable at once after a miss", function()
    local c = new_client{ raise = false }
    local _, err = c.actions:get_all{ space_id = "fresh" }
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    c.spaces:create{ id = "fresh", name = "Fresh" }
    local body = c.actions:get_all{ space_id = "fresh" }
    assert.is_table(body)
  end)

  it("ConflictError on a duplicate space id", function()
    local c = new_client()
    c.spaces:create{ id = "dup", name = "Dup" }
    local ok, err = pcall(c.spaces.create, c.spaces, { id = "dup", name = "Dup" })
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.ConflictError))
    assert.equal(409, err.status)
    assert.matches("dup", tostring(err), 1, true)
  end)
end)

describe("isolation between spaces against the emulator (guide step 4)", function()
  before_each(function()
    emu.reset()
    local c = new_client()
    c.spaces:create{ id = "test-space-1", name = "Test Space 1" }
    c.spaces:create{ id = "test-space-2", name = "Test Space 2" }
  end)

  it("a connector created in space A is NotFoundError from the default space and from space B, naming the space", function()
    local c = new_client()
    local conn = c.actions:create(with_space(connector("Isolation Test"), "test-space-1"))
    assert.equal("Isolation Test", c.actions:get(conn.id, { space_id = "test-space-1" }).name)

    local ok, err = pcall(c.actions.get, c.actions, conn.id)
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.NotFoundError))
    assert.is_false(errors.is(err, errors.SpaceNotFoundError))
    assert.equal("default", err.space_id)
    assert.matches("(space 'default')", err.message, 1, true)

    ok, err = pcall(c.actions.get, c.actions, conn.id, { space_id = "test-space-2" })
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.NotFoundError))
    assert.equal("test-space-2", err.space_id)
    assert.equal(string.format("NotFoundError: Saved object [action/%s] not found (space 'test-space-2')", conn.id),
      tostring(err))

    assert.is_true(c.actions:delete(conn.id, { space_id = "test-space-1" }))
  end)

  it("a saved object created in space A is NotFoundError elsewhere", function()
    local c = new_client()
    local so = c:space("test-space-1").saved_objects:create{ type = "dashboard", attributes = { title = "A" } }
    local ok, err = pcall(c.saved_objects.get, c.saved_objects, "dashboard", so.id)
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.NotFoundError))
    assert.matches("space 'default'", err.message, 1, true)
    ok, err = pcall(c.saved_objects.get, c.saved_objects, "dashboard", so.id, { space_id = "test-space-2" })
    assert.is_true(errors.is(err, errors.NotFoundError))
    assert.matches("space 'test-space-2'", err.message, 1, true)
  end)
end)
