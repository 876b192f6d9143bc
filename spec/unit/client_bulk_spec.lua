-- Bulk answers (kibana.failures), paging with iter, export and import, and
-- JSON round trips. Fake transport.

local kibana = require "kibana"
local core = require "kibana.core"
local errors = kibana.errors
local fake = require "spec.unit.client_fake_transport"

local function catch(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return err
end

local notfound = { statusCode = 404, error = "Not Found", message = "Saved object [dashboard/b] not found" }

describe("kibana.failures", function()
  it("lists the failed items of bulk_create, bulk_get and bulk_update", function()
    local res = { saved_objects = { { type = "dashboard", id = "a", attributes = {} },
                                    { type = "dashboard", id = "b", error = notfound } } }
    assert.same({ { type = "dashboard", id = "b", error = notfound } }, kibana.failures(res))
  end)

  it("lists the failed items of bulk_resolve", function()
    local res = { resolved_objects = {
      { saved_object = { type = "dashboard", id = "a" }, outcome = "exactMatch" },
      { saved_object = { type = "dashboard", id = "b", error = notfound }, outcome = "exactMatch" } } }
    assert.same({ { type = "dashboard", id = "b", error = notfound } }, kibana.failures(res))
  end)

  it("lists the failed items of bulk_delete", function()
    local res = { statuses = { { type = "dashboard", id = "a", success = true },
                               { type = "dashboard", id = "b", success = false, error = notfound } } }
    assert.same({ { type = "dashboard", id = "b", error = notfound } }, kibana.failures(res))
  end)

  it("lists the errors of an import", function()
    local res = { success = false, successCount = 1, errors = {
      { type = "dashboard", id = "b", meta = { title = "B" }, error = { type = "conflict" } } } }
    assert.same({ { type = "dashboard", id = "b", error = { type = "conflict" } } }, kibana.failures(res))
  end)

  it("lists the errors of a copy to spaces, with the space", function()
    local res = {
      sales = { success = true, successCount = 1 },
      marketing = { success = false, successCount = 0, errors = {
        { type = "dashboard", id = "d1", error = { type = "conflict" } } } },
      ops = { success = false, successCount = 0, errors = { { statusCode = 500, error = "Internal Server Error", message = "x" } } },
    }
    local f = kibana.failures(res)
    assert.equal(2, #f)
    assert.same({ type = "dashboard", id = "d1", error = { type = "conflict" }, space_id = "marketing" }, f[1])
    assert.equal("ops", f[2].space_id)
    assert.equal(500, f[2].error.statusCode)
  end)

  it("is empty for answers without failures and for non-tables", function()
    assert.same({}, kibana.failures({ saved_objects = { { type = "a", id = "b" } } }))
    assert.same({}, kibana.failures(true))
    assert.same({}, kibana.failures(nil))
    assert.same({}, kibana.failures({ success = true, successCount = 2 }))
  end)

  it("works on a real bulk answer decoded from JSON (null errors are no errors)", function()
    local t = fake.new()
    t:on("POST", "/api/saved_objects/_bulk_get", { status = 200, body =
      '{"saved_objects":[{"type":"dashboard","id":"a","error":null},{"type":"dashboard","id":"b","error":{"statusCode":404,"error":"Not Found","message":"m"}}]}' })
    local c = fake.client(t)
    local res = c.saved_objects:bulk_get{ objects = { { type = "dashboard", id = "a" }, { type = "dashboard", id = "b" } } }
    local f = kibana.failures(res)
    assert.equal(1, #f)
    assert.equal("b", f[1].id)
  end)
end)

describe("saved_objects:iter", function()
  local function paged(t, total)
    t:on("GET", "/api/saved_objects/_find", function(req)
      local page, per_page = tonumber(req.params.page), tonumber(req.params.per_page)
      local objs = {}
      for i = (page - 1) * per_page + 1, math.min(page * per_page, total) do
        objs[#objs + 1] = { type = "dashboard", id = "d" .. i }
      end
      return { status = 200, body = { page = page, per_page = per_page, total = total, saved_objects = kibana.array(objs) } }
    end)
  end

  it("walks every page of find", function()
    local t = fake.new()
    paged(t, 45)
    local c = fake.client(t)
    local ids = {}
    for obj in c.saved_objects:iter{ type = "dashboard", per_page = 20 } do
      ids[#ids + 1] = obj.id
    end
    assert.equal(45, #ids)
    assert.equal("d1", ids[1])
    assert.equal("d45", ids[45])
    assert.equal(3, #t.requests)
    assert.equal("dashboard", t.requests[1].params.type)
  end)

  it("stops after a full last page without an extra request when total says so", function()
    local t = fake.new()
    paged(t, 40)
    local c = fake.client(t)
    local n = 0
    for _ in c.saved_objects:iter{ type = "dashboard", per_page = 20 } do n = n + 1 end
    assert.equal(40, n)
    assert.equal(2, #t.requests)
  end)

  it("refuses a per_page or page that is not a positive whole number, before any request", function()
    local t = fake.new()
    local c = fake.client(t)
    for _, bad in ipairs{ 0, -5, 2.5, "20" } do
      local err = catch(function() c.saved_objects:iter{ type = "dashboard", per_page = bad } end)
      assert.is_true(errors.is(err, errors.ValidationError))
      assert.matches("bad argument 'per_page' to saved_objects:iter", err.message, 1, true)
    end
    local err = catch(function() c.saved_objects:iter{ type = "dashboard", page = 1.5 } end)
    assert.matches("bad argument 'page'", err.message, 1, true)
    assert.equal(0, #t.requests)
  end)

  it("pages in the given space", function()
    local t = fake.new{ spaces = { "marketing" } }
    paged(t, 3)
    t:on("GET", "/s/marketing/api/saved_objects/_find", { status = 200, body = { page = 1, per_page = 100, total = 1,
      saved_objects = { { type = "dashboard", id = "m1" } } } })
    local c = fake.client(t)
    local ids = {}
    for obj in c:space("marketing").saved_objects:iter{ type = "dashboard" } do ids[#ids + 1] = obj.id end
    assert.same({ "m1" }, ids)
  end)

  it("stops with a ValidationError at Kibana's 10000-result window, pointing to export", function()
    local t = fake.new()
    paged(t, 25000)
    local c = fake.client(t)
    local n = 0
    local err = catch(function()
      for _ in c.saved_objects:iter{ type = "dashboard", per_page = 1000 } do n = n + 1 end
    end)
    assert.equal(10000, n)
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.matches("10000", err.message, 1, true)
    assert.matches("saved_objects:export", err.message, 1, true)
    assert.equal(10, #t.requests)
  end)

  it("raises request errors even with raise = false", function()
    local t = fake.new()
    t:on("GET", "/api/saved_objects/_find", { status = 400, body = { statusCode = 400, error = "Bad Request", message = "bad filter" } })
    local c = fake.client(t, { raise = false })
    local err = catch(function()
      for _ in c.saved_objects:iter{ type = "dashboard", filter = "x:" } do end
    end)
    assert.is_true(errors.is(err, errors.BadRequestError))
  end)

  it("refuses unknown find parameters", function()
    local c = fake.client(fake.new())
    local err = catch(function()
      for _ in c.saved_objects:iter{ tpye = "dashboard" } do end
    end)
    assert.matches("unknown parameter 'tpye'", err.message, 1, true)
  end)
end)

describe("export", function()
  it("kibana.split_export decodes the objects and the details line", function()
    local text = '{"attributes":{"title":"A"},"id":"a","references":[],"type":"dashboard"}\n'
      .. '{"excludedObjects":[],"excludedObjectsCount":0,"exportedCount":1,"missingRefCount":0,"missingReferences":[]}\n'
    local objects, details = kibana.split_export(text)
    assert.equal(1, #objects)
    assert.equal("a", objects[1].id)
    assert.is_true(kibana.is_array(objects[1].references))
    assert.equal(1, details.exportedCount)
  end)

  it("split_export without a details line gives nil details", function()
    local objects, details = kibana.split_export('{"id":"a","type":"x"}\n{"id":"b","type":"x"}')
    assert.equal(2, #objects)
    assert.is_nil(details)
  end)

  it("split_export reports a broken line as a ResponseError", function()
    local err = catch(kibana.split_export, '{"id":"a"}\n{oops\n')
    assert.is_true(errors.is(err, errors.ResponseError))
    assert.matches("line 2", err.message, 1, true)
  end)
end)

describe("import", function()
  local function parts(body, ctype)
    local boundary = ctype:match("boundary=(.+)$")
    assert.is_string(boundary)
    local out = {}
    for part in body:gmatch("%-%-" .. boundary:gsub("%p", "%%%0") .. "\r\n(.-)\r\n%f[%-]") do
      local head, data = part:match("^(.-)\r\n\r\n(.*)$")
      out[#out + 1] = { head = head, data = data }
    end
    return out
  end

  it("sends objects as an NDJSON file part named *.ndjson", function()
    local t = fake.new()
    local c = fake.client(t)
    c.saved_objects:import{ objects = { { type = "dashboard", id = "a", attributes = { title = "A" }, references = kibana.array{} } },
                            overwrite = true }
    local r = t:last()
    assert.equal("POST /api/saved_objects/_import", r.method .. " " .. r.path)
    assert.equal("overwrite=true", r.query)
    assert.equal("true", r.headers["kbn-xsrf"])
    local ctype = r.headers["content-type"]
    assert.matches("^multipart/form%-data; boundary=", ctype)
    local p = parts(r.body, ctype)
    assert.equal(1, #p)
    assert.matches('name="file"; filename="import.ndjson"', p[1].head, 1, true)
    assert.equal('{"attributes":{"title":"A"},"id":"a","references":[],"type":"dashboard"}\n', p[1].data)
  end)

  it("sends ndjson text as given, with a chosen filename", function()
    local t = fake.new()
    local c = fake.client(t)
    c.saved_objects:import{ ndjson = '{"id":"a","type":"x"}\n', filename = "backup.ndjson", createNewCopies = true }
    local p = parts(t:last().body, t:last().headers["content-type"])
    assert.matches('filename="backup.ndjson"', p[1].head, 1, true)
    assert.equal('{"id":"a","type":"x"}\n', p[1].data)
    assert.equal("createNewCopies=true", t:last().query)
  end)

  it("refuses both or neither of objects/ndjson, and a filename not ending in .ndjson", function()
    local c = fake.client(fake.new(), { raise = false })
    assert.matches("not both", catch(c.saved_objects.import, c.saved_objects, { objects = {}, ndjson = "" }).message, 1, true)
    assert.matches("required", catch(c.saved_objects.import, c.saved_objects, {}).message, 1, true)
    assert.matches(".ndjson", catch(c.saved_objects.import, c.saved_objects, { ndjson = "", filename = "x.json" }).message, 1, true)
  end)

  it("resolve_import_errors sends the file and the retries as JSON", function()
    local t = fake.new()
    local c = fake.client(t)
    c.saved_objects:resolve_import_errors{ ndjson = '{"id":"a","type":"x"}\n',
      retries = { { type = "x", id = "a", overwrite = true } } }
    local p = parts(t:last().body, t:last().headers["content-type"])
    assert.equal(2, #p)
    assert.matches('name="retries"', p[2].head, 1, true)
    assert.same({ { type = "x", id = "a", overwrite = true } }, core.json_decode(p[2].data))
  end)
end)

describe("JSON round trips", function()
  it("kibana.null is JSON null both ways", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connector/x", { status = 200, body = '{"id":"x","config":{"a":null}}' })
    local c = fake.client(t)
    local conn = c.actions:get("x")
    assert.equal(kibana.null, conn.config.a)
    c.actions:update{ id = "x", name = "n", config = conn.config }
    assert.equal('{"config":{"a":null},"name":"n"}', t:last().body)
  end)

  it("a connector read from one space and created in another sends [] where Kibana sent []", function()
    local t = fake.new{ spaces = { "dev", "staging" } }
    t:on("GET", "/s/dev/api/actions/connector/c1", { status = 200, body =
      '{"id":"c1","name":"n","connector_type_id":".index","config":{"index":"logs","refresh":[],"opts":{}},"is_preconfigured":false}' })
    local c = fake.client(t)
    local src = c.actions:get("c1", { space_id = "dev" })
    c.actions:create{ name = src.name, connector_type_id = src.connector_type_id, config = src.config, space_id = "staging" }
    assert.equal("/s/staging/api/actions/connector", t:last().path)
    assert.equal('{"config":{"index":"logs","opts":{},"refresh":[]},"connector_type_id":".index","name":"n"}', t:last().body)
  end)

  it("a saved object read from one space and created in another keeps empty references", function()
    local t = fake.new{ spaces = { "a", "b" } }
    t:on("GET", "/s/a/api/saved_objects/dashboard/d1", { status = 200, body =
      '{"id":"d1","type":"dashboard","attributes":{"title":"T","panels":[]},"references":[],"namespaces":["a"]}' })
    local c = fake.client(t)
    local so = c.saved_objects:get("dashboard", "d1", { space_id = "a" })
    c.saved_objects:create{ type = so.type, id = so.id, attributes = so.attributes, references = so.references, space_id = "b" }
    assert.equal('{"attributes":{"panels":[],"title":"T"},"references":[]}', t:last().body)
  end)

  it("kibana.array marks tables so {} is sent as []", function()
    local t = fake.new()
    local c = fake.client(t)
    c.actions:create{ name = "n", connector_type_id = ".index", config = { list = kibana.array{}, obj = {} } }
    assert.equal('{"config":{"list":[],"obj":{}},"connector_type_id":".index","name":"n"}', t:last().body)
  end)
end)
