-- Connectors and saved objects through the client against the Kibana
-- emulator: conflicts, Kibana's 400 messages, round trips between spaces,
-- path ids, bulk answers, paging, export/import and copy.

local kibana = require "kibana"
local errors = kibana.errors
local emu = require "spec.support.emulator"
local support_client = require "spec.support.client"

local new_client = support_client.new

local last_request = emu.last_request

describe("conflicts against the emulator", function()
  before_each(emu.reset)

  it("a duplicate saved-object id is a ConflictError", function()
    local c = new_client()
    c.saved_objects:create{ type = "dashboard", id = "dup", attributes = { title = "A" } }
    local ok, err = pcall(c.saved_objects.create, c.saved_objects, { type = "dashboard", id = "dup", attributes = { title = "B" } })
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.ConflictError))
    assert.equal(409, err.status)
    assert.equal("default", err.space_id)
    -- overwrite = true replaces it
    local so = c.saved_objects:create{ type = "dashboard", id = "dup", attributes = { title = "B" }, overwrite = true }
    assert.equal("B", so.attributes.title)
  end)

  it("a duplicate connector id is a ConflictError", function()
    local c = new_client()
    c.actions:create{ id = "my-conn", name = "A", connector_type_id = ".index", config = { index = "a" } }
    local ok, err = pcall(c.actions.create, c.actions, { id = "my-conn", name = "B", connector_type_id = ".index", config = { index = "b" } })
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.ConflictError))
  end)
end)

describe("400s against the emulator", function()
  before_each(emu.reset)

  it("carry Kibana's message and body", function()
    local c = new_client()
    local ok, err = pcall(c.actions.create, c.actions, { connector_type_id = ".index" })
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.BadRequestError))
    assert.equal(400, err.status)
    assert.matches("[request body.name]", err.message, 1, true)
    assert.equal(400, err.body.statusCode)
    assert.equal("Bad Request", err.body.error)
  end)

  it("an unknown connector type is a BadRequestError with Kibana's text", function()
    local c = new_client{ raise = false }
    local _, err = c.actions:create{ name = "x", connector_type_id = ".nope" }
    assert.is_true(errors.is(err, errors.BadRequestError))
    assert.matches(".nope", err.message, 1, true)
  end)
end)

describe("round trips between spaces against the emulator", function()
  before_each(function()
    emu.reset()
    local c = new_client()
    c.spaces:create{ id = "development", name = "Development" }
    c.spaces:create{ id = "staging", name = "Staging" }
  end)

  it("copies a connector from one space to another (guide pattern 3)", function()
    local c = new_client()
    local orig = c.actions:create{ name = "Orig", connector_type_id = ".index",
      config = { index = "logs", refresh = false }, space_id = "development" }
    local src = c.actions:get(orig.id, { space_id = "development" })
    local copy = c.actions:create{ name = src.name, connector_type_id = src.connector_type_id,
      config = src.config, secrets = {}, space_id = "staging" }
    assert.is_string(copy.id)
    assert.equal("Orig", c.actions:get(copy.id, { space_id = "staging" }).name)
  end)

  it("a saved object read from one space and created in another sends [] where Kibana sent []", function()
    local c = new_client()
    local so = c.saved_objects:create{ type = "dashboard", attributes = { title = "T" },
      references = kibana.array{}, space_id = "development" }
    local read = c.saved_objects:get("dashboard", so.id, { space_id = "development" })
    assert.is_true(kibana.is_array(read.references))
    assert.equal(0, #read.references)
    -- dashboards are multiple-isolated: an id is unique across spaces, so the
    -- copy gets a new one
    local created = c.saved_objects:create{ type = read.type, attributes = read.attributes,
      references = read.references, space_id = "staging" }
    assert.is_true(kibana.is_array(created.references))
    assert.equal(0, #created.references)
    local again = c.saved_objects:get("dashboard", created.id, { space_id = "staging" })
    assert.is_true(kibana.is_array(again.references))
  end)

  it("a bulk_create of objects read elsewhere keeps their empty arrays", function()
    local c = new_client()
    local so = c.saved_objects:create{ type = "dashboard", attributes = { title = "T" }, space_id = "development" }
    local read = c.saved_objects:get("dashboard", so.id, { space_id = "development" })
    local res = c.saved_objects:bulk_create{ space_id = "staging", objects = {
      { type = read.type, attributes = read.attributes, references = read.references } } }
    assert.same({}, kibana.failures(res))
    assert.is_true(kibana.is_array(res.saved_objects[1].references))
  end)
end)

describe("path ids against the emulator", function()
  before_each(emu.reset)

  local ids = {
    "../../api/spaces/space/x",
    "what?is#this",
    "100% sure",
    "with spaces",
    "ünïcödé-ид",
    "..x",
  }
  for _, id in ipairs(ids) do
    it(string.format("%q reaches Kibana as one encoded segment", id), function()
      local c = new_client{ raise = false }
      local _, err = c.actions:get(id)
      assert.is_true(errors.is(err, errors.NotFoundError))
      local r = last_request("GET")
      local seg = r.path:match("^/api/actions/connector/([^/]+)$")
      assert.is_string(seg, "the id stayed one segment: " .. r.path)
      assert.is_nil(seg:find("[%s?#]"))
      local decoded = seg:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
      assert.equal(id, decoded)
    end)
  end

  it("a saved object with a strange id can be created and read back", function()
    local c = new_client()
    local id = "a/b?c#d e%f"
    c.saved_objects:create{ type = "dashboard", id = id, attributes = { title = "odd" } }
    assert.equal(id, c.saved_objects:get("dashboard", id).id)
  end)
end)

describe("bulk answers against the emulator", function()
  before_each(emu.reset)

  it("are returned as they are; kibana.failures lists the failed items", function()
    local c = new_client()
    c.saved_objects:create{ type = "dashboard", id = "a", attributes = { title = "A" } }
    local got = c.saved_objects:bulk_get{ objects = { { type = "dashboard", id = "a" }, { type = "dashboard", id = "missing" } } }
    assert.equal(2, #got.saved_objects)
    local f = kibana.failures(got)
    assert.equal(1, #f)
    assert.equal("missing", f[1].id)
    assert.equal(404, f[1].error.statusCode)

    local created = c.saved_objects:bulk_create{ objects = {
      { type = "dashboard", id = "a", attributes = { title = "again" } },
      { type = "dashboard", id = "b", attributes = { title = "B" } } } }
    f = kibana.failures(created)
    assert.equal(1, #f)
    assert.equal("a", f[1].id)
    assert.equal(409, f[1].error.statusCode)

    local updated = c.saved_objects:bulk_update{ objects = {
      { type = "dashboard", id = "b", attributes = { title = "B2" } },
      { type = "dashboard", id = "nope", attributes = { title = "x" } } } }
    assert.equal("PUT", last_request().method)
    f = kibana.failures(updated)
    assert.equal(1, #f)
    assert.equal("nope", f[1].id)

    local deleted = c.saved_objects:bulk_delete{ objects = { { type = "dashboard", id = "b" }, { type = "dashboard", id = "nope" } } }
    f = kibana.failures(deleted)
    assert.equal(1, #f)
    assert.equal("nope", f[1].id)
  end)
end)

describe("paging with iter against the emulator", function()
  before_each(emu.reset)

  it("walks every page", function()
    local c = new_client()
    local objs = {}
    for i = 1, 45 do
      objs[i] = { type = "dashboard", id = "d" .. i, attributes = { title = "D" .. i } }
    end
    assert.same({}, kibana.failures(c.saved_objects:bulk_create{ objects = objs }))
    local seen = {}
    for obj in c.saved_objects:iter{ type = "dashboard", per_page = 10 } do
      seen[obj.id] = true
    end
    for i = 1, 45 do
      assert.is_true(seen["d" .. i])
    end
  end)

  it("stops at the 10 000 window with a ValidationError pointing to export", function()
    local c = new_client()
    local n = 0
    local ok, err = pcall(function()
      for _ in c.saved_objects:iter{ type = "dashboard", per_page = 5000, page = 3 } do n = n + 1 end
    end)
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.matches("export", err.message, 1, true)
    assert.equal(0, n)
  end)
end)

describe("export and import against the emulator", function()
  before_each(function()
    emu.reset()
    new_client().spaces:create{ id = "target", name = "Target" }
  end)

  it("export returns NDJSON that split_export decodes, and import takes it into another space", function()
    local c = new_client()
    c.saved_objects:create{ type = "dashboard", id = "e1", attributes = { title = "E1" } }
    c.saved_objects:create{ type = "dashboard", id = "e2", attributes = { title = "E2" } }
    local text = c.saved_objects:export{ type = "dashboard" }
    assert.is_string(text)
    local objects, details = kibana.split_export(text)
    assert.equal(2, #objects)
    assert.equal(2, details.exportedCount)

    local res = c.saved_objects:import{ objects = objects, space_id = "target" }
    assert.is_true(res.success)
    assert.equal(2, res.successCount)
    -- the ids exist in the default space, so Kibana gives the copies new ones
    local dest = {}
    for _, r in ipairs(res.successResults) do dest[r.id] = r.destinationId or r.id end
    assert.equal("E1", c.saved_objects:get("dashboard", dest.e1, { space_id = "target" }).attributes.title)

    -- again into the default space without overwrite: conflicts inside a 200
    res = c.saved_objects:import{ ndjson = text }
    assert.is_false(res.success)
    local f = kibana.failures(res)
    assert.equal(2, #f)
    assert.equal("conflict", f[1].error.type)

    res = c.saved_objects:import{ ndjson = text, overwrite = true }
    assert.is_true(res.success)
  end)

  it("copy_saved_objects copies from the source space and failures() names the target space", function()
    local c = new_client()
    c.spaces:create{ id = "source", name = "Source" }
    local src = c:space("source")
    src.saved_objects:create{ type = "dashboard", id = "cp", attributes = { title = "CP" } }
    local res = src.spaces:copy_saved_objects{ spaces = { "target" }, objects = { { type = "dashboard", id = "cp" } },
      createNewCopies = false }
    assert.equal("/s/source/api/spaces/_copy_saved_objects", last_request("POST").path)
    assert.is_true(res.target.success)
    res = src.spaces:copy_saved_objects{ spaces = { "target" }, objects = { { type = "dashboard", id = "cp" } },
      createNewCopies = false }
    local f = kibana.failures(res)
    assert.equal(1, #f)
    assert.equal("target", f[1].space_id)
    assert.equal("conflict", f[1].error.type)
  end)
end)

describe("the guide's multi-tenant pattern against the emulator", function()
  before_each(emu.reset)

  it("sets up a tenant's space, connector and dashboard", function()
    local c = new_client()
    local function setup_tenant(tenant_id)
      local space_id = "tenant-" .. tenant_id
      local ok, err = pcall(c.spaces.create, c.spaces, { id = space_id, name = "Tenant " .. tenant_id,
        description = "Dedicated space for tenant " .. tenant_id })
      if not ok and not errors.is(err, errors.ConflictError) then error(err, 0) end
      local tc = c:space(space_id)
      local conn = tc.actions:create{ name = "Tenant " .. tenant_id .. " Connector", connector_type_id = ".index",
        config = { index = space_id .. "-logs" } }
      local dash = tc.saved_objects:create{ type = "dashboard", attributes = { title = "Tenant " .. tenant_id .. " Dashboard" } }
      return { space_id = space_id, connector_id = conn.id, dashboard_id = dash.id }
    end
    local a = setup_tenant("acme")
    local b = setup_tenant("acme") -- the space exists: ConflictError is swallowed
    assert.equal(a.space_id, b.space_id)
    assert.are_not.equal(a.connector_id, b.connector_id)
    local own = 0
    for _, conn in ipairs(c.actions:get_all{ space_id = "tenant-acme" }) do
      if not conn.is_preconfigured then own = own + 1 end
    end
    assert.equal(2, own)
  end)
end)

describe("client:status() against the emulator", function()
  before_each(emu.reset)

  it("answers globally", function()
    local c = new_client()
    local st = c:status()
    assert.is_table(st)
    assert.equal("/api/status", last_request("GET").path)
  end)
end)
