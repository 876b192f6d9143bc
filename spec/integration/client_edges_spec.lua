-- Edge cases through the whole stack (client, libcurl, emulator, and back):
-- the spaces a call writes into must exist, JSON values at the edges, ids
-- made of unusual bytes, and error objects used as Lua code uses errors.

local kibana = require "kibana"
local errors = kibana.errors
local emu = require "spec.support.emulator"
local support_client = require "spec.support.client"

local new_client = support_client.new

local function mark()
  local log = emu.requests()
  return #log > 0 and math.floor(log[#log].seq) or 0
end

local catch = support_client.catch

describe("destination spaces against the emulator", function()
  before_each(function()
    emu.reset()
    local c = new_client()
    c.spaces:create{ id = "marketing", name = "Marketing" }
    c.saved_objects:create{ type = "dashboard", id = "d1", attributes = { title = "T" } }
  end)

  it("a copy to a mistyped space is a SpaceNotFoundError, and nothing lands in the orphan namespace", function()
    local c = new_client()
    local m = mark()
    local err = catch(c.spaces.copy_saved_objects, c.spaces,
      { spaces = { "markting" }, objects = { { type = "dashboard", id = "d1" } } })
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal("markting", err.space_id)
    for _, r in ipairs(emu.requests(m)) do
      assert.are_not.equal("/api/spaces/_copy_saved_objects", r.path)
    end
    local orphan = c:space("markting", { validate = false })
    assert.equal(0, orphan.saved_objects:find{ type = "dashboard" }.total)
  end)

  it("a copy to an existing space goes through", function()
    local c = new_client()
    local res = c.spaces:copy_saved_objects{ spaces = { "marketing" }, objects = { { type = "dashboard", id = "d1" } } }
    assert.same({}, kibana.failures(res))
    assert.equal(1, c.saved_objects:find{ type = "dashboard", space_id = "marketing" }.total)
  end)

  it("initialNamespaces naming a missing space is refused before the create", function()
    local c = new_client()
    local err = catch(c.saved_objects.create, c.saved_objects,
      { type = "dashboard", id = "d2", attributes = { title = "x" }, initialNamespaces = { "markting" } })
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.is_true(errors.is(select(2, new_client{ raise = false }.saved_objects:get("dashboard", "d2")),
      errors.NotFoundError))
  end)
end)

describe("JSON values through the whole stack against the emulator", function()
  before_each(emu.reset)

  it("kibana.null, nested empty arrays, empty objects and unicode come back as they were sent", function()
    local c = new_client()
    local attrs = {
      title = "ünïcødé \u{1F600} \"quoted\" \\ \n\t",
      none = kibana.null,
      lists = kibana.array{ kibana.array{}, kibana.array{ kibana.array{} } },
      obj = { empty = {}, arr = kibana.array{} },
      n = 9007199254740991,
      f = -0.125,
    }
    local so = c.saved_objects:create{ type = "dashboard", attributes = attrs }
    local got = c.saved_objects:get("dashboard", so.id).attributes
    assert.equal(attrs.title, got.title)
    assert.equal(kibana.null, got.none)
    assert.is_true(kibana.is_array(got.lists))
    assert.equal(2, #got.lists)
    assert.is_true(kibana.is_array(got.lists[1]))
    assert.equal(0, #got.lists[1])
    assert.is_true(kibana.is_array(got.lists[2][1]))
    assert.is_false(kibana.is_array(got.obj.empty))
    assert.is_nil(next(got.obj.empty))
    assert.is_true(kibana.is_array(got.obj.arr))
    assert.equal(9007199254740991, got.n)
    assert.equal(-0.125, got.f)
    -- and sent back unchanged (the copy keeps [] and {} apart)
    local copy = c.saved_objects:create{ type = "dashboard", attributes = got }
    local again = c.saved_objects:get("dashboard", copy.id).attributes
    assert.equal(require("kibana.core").json_encode(got), require("kibana.core").json_encode(again))
  end)

  local ids = {
    { "a 600-byte id", string.rep("x", 600) },
    { "a unicode id", "ünïcødé-ид-\u{1F600}" },
    { "an id of every reserved character", ":/?#[]@!$&'()*+,;=% \"<>\\^`{|}" },
    { "an id with a newline and a tab", "line\nbreak\ttab" },
    { "an id of dots that is not a dot segment", "..." },
  }
  for _, case in ipairs(ids) do
    it(case[1] .. " is created, read, found in the list and deleted", function()
      local c = new_client()
      local id = case[2]
      assert.equal(id, c.saved_objects:create{ type = "dashboard", id = id, attributes = { title = "t" } }.id)
      assert.equal(id, c.saved_objects:get("dashboard", id).id)
      local found = false
      for obj in c.saved_objects:iter{ type = "dashboard" } do
        if obj.id == id then found = true end
      end
      assert.is_true(found)
      c.saved_objects:delete("dashboard", id)
      assert.is_true(errors.is(select(2, new_client{ raise = false }.saved_objects:get("dashboard", id)),
        errors.NotFoundError))
    end)
  end
end)

describe("error objects from the emulator", function()
  before_each(emu.reset)

  it("work with pcall, xpcall, error(), tostring and concatenation, in both raise modes", function()
    local c = new_client()
    local err = catch(c.actions.get, c.actions, "missing")
    assert.equal("NotFoundError: Saved object [action/missing] not found (space 'default')", tostring(err))
    assert.equal("step 2: " .. tostring(err), "step 2: " .. err)
    assert.is_true(rawequal(err, catch(function() error(err) end)))
    local ok, e2 = xpcall(function() return c.actions:get("missing") end, debug.traceback)
    assert.is_false(ok)
    assert.is_true(errors.is(e2, errors.NotFoundError))
    local body, e3, meta = new_client{ raise = false }.actions:get("missing")
    assert.is_nil(body)
    assert.equal(tostring(err), tostring(e3))
    assert.equal(404, meta.status)
    assert.equal("default", meta.space_id)
    assert.equal("GET", meta.method)
    assert.equal("/api/actions/connector/missing", meta.path)
    assert.equal(1, meta.attempts)
    assert.is_number(meta.duration)
    assert.is_table(meta.headers)
  end)
end)
