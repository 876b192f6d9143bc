-- Edge cases of the client found in review: closed clients, credentials and
-- URLs that cannot go on the wire, numeric options, error objects used the
-- way Lua code uses errors, numeric space ids in the spaces API, transports
-- that raise, and JSON values at the edges. Fake transport unless a spec says
-- otherwise (the closed-client specs also use the real libcurl transport,
-- which does no I/O before a request).

local kibana = require "kibana"
local errors = kibana.errors
local core = require "kibana.core"
local fake = require "spec.unit.client_fake_transport"

local function catch(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return err
end

local function is_validation_error(err, argument)
  assert.is_true(errors.is(err, errors.ValidationError), "expected a ValidationError, got " .. tostring(err))
  if argument then
    assert.equal(argument, err.argument)
  end
end

describe("a closed client", function()
  it("refuses every later call with a ValidationError that says it was closed, sending nothing", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    c.actions:get_all()
    c:close()
    local n = #t.requests
    local err = catch(c.actions.get_all, c.actions)
    is_validation_error(err)
    assert.equal("ValidationError: actions:get_all: the client is closed (client:close() was called)", tostring(err))
    is_validation_error(catch(c.actions.get_all, c.actions, { space_id = "marketing" }))
    is_validation_error(catch(c.space, c, "marketing"))
    is_validation_error(catch(c.status, c))
    assert.equal(n, #t.requests)
  end)

  it("refuses calls even with raise = false (using a closed client is a programming error)", function()
    local t = fake.new()
    local c = fake.client(t, { raise = false })
    c:close()
    is_validation_error(catch(c.saved_objects.find, c.saved_objects, { type = "dashboard" }))
    assert.equal(0, #t.requests)
  end)

  it("closes its scoped clients too: they share the connection", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    local m = c:space("marketing")
    c:close()
    local err = catch(m.actions.get_all, m.actions)
    is_validation_error(err)
    assert.matches("closed", err.message, 1, true)
  end)

  it("closing a scoped client leaves the root's shared connection open", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    c:space("marketing"):close()
    assert.is_table(c.actions:get_all())
  end)

  it("with the libcurl transport names close() instead of a position inside the library", function()
    local c = kibana.new("http://127.0.0.1:1", { api_key = "k", retries = 0 })
    c:close()
    c:close() -- idempotent
    local err = catch(c.actions.get_all, c.actions)
    assert.is_table(err, "a string error: " .. tostring(err))
    is_validation_error(err)
    assert.is_nil(tostring(err):find("%.lua:%d+:"))
    assert.matches("client:close()", tostring(err), 1, true)
  end)
end)

describe("credentials that cannot be sent in a header", function()
  local saved
  before_each(function() saved = os.getenv end)
  after_each(function() os.getenv = saved end)

  local cases = {
    { "an api_key with a trailing newline (read from a file)", { api_key = "abc\n" }, "api_key" },
    { "an api_key with CR LF and another header", { api_key = "abc\r\nX-Injected: 1" }, "api_key" },
    { "a bearer token with a newline", { bearer = "tok\n" }, "bearer" },
    { "an api_key with a NUL byte", { api_key = "ab\0c" }, "api_key" },
  }
  for _, case in ipairs(cases) do
    it(case[1] .. " is a ValidationError from kibana.new naming the option", function()
      local opts = case[2]
      opts.transport = fake.new()
      local err = catch(kibana.new, "http://kibana.test", opts)
      is_validation_error(err, case[3])
      assert.matches(case[3], err.message, 1, true)
    end)
  end

  it("KIBANA_API_KEY with a newline is refused the same way", function()
    os.getenv = function(name)
      return ({ KIBANA_URL = "http://env.test", KIBANA_API_KEY = "envkey\n" })[name]
    end
    local err = catch(kibana.new, nil, { transport = fake.new() })
    is_validation_error(err, "api_key")
    assert.matches("KIBANA_API_KEY", err.message, 1, true)
  end)
end)

describe("a URL or base_path that cannot go on the wire", function()
  local cases = {
    { "a URL with a trailing newline", "http://kibana.test:5601\n", {}, "url" },
    { "a URL with a space in its path", "http://kibana.test/my kibana", {}, "url" },
    { "a URL with CR LF in its path", "http://kibana.test/a\r\nX-Injected: 1", {}, "url" },
    { "a URL with a space in the host", "http://kibana test:5601", {}, "url" },
    { "a base_path with a space", "http://kibana.test", { base_path = "/my kibana" }, "base_path" },
    { "a base_path with a newline", "http://kibana.test", { base_path = "/kibana\n" }, "base_path" },
  }
  for _, case in ipairs(cases) do
    it(case[1] .. " is a ValidationError from kibana.new naming it", function()
      local opts = case[3]
      opts.transport = fake.new()
      opts.api_key = "k"
      local err = catch(kibana.new, case[2], opts)
      is_validation_error(err, case[4])
    end)
  end

  it("a URL with an encoded space in its path is accepted and kept as it is", function()
    local t = fake.new()
    local c = kibana.new("http://kibana.test/my%20kibana", { transport = t, api_key = "k" })
    c.actions:get_all()
    assert.equal("http://kibana.test/my%20kibana/api/actions/connectors", t:last().url)
  end)
end)

describe("numeric options", function()
  local bad = {
    { "timeout", -1 }, { "timeout", 0 / 0 }, { "connect_timeout", -5 }, { "retries", -1 },
    { "retries", 0 / 0 }, { "retries", math.huge }, { "retry_base", -1 }, { "retry_max_delay", 0 / 0 },
    { "max_retry_after", -1 }, { "space_cache_ttl", -1 }, { "space_cache_ttl", 0 / 0 },
    { "space_missing_ttl", -0.5 },
  }
  for _, case in ipairs(bad) do
    it(string.format("%s = %s is a ValidationError from kibana.new naming the option", case[1], tostring(case[2])), function()
      local err = catch(kibana.new, "http://kibana.test", { [case[1]] = case[2], transport = fake.new() })
      is_validation_error(err, case[1])
      assert.matches(case[1], err.message, 1, true)
    end)
  end

  it("the default libcurl transport gets the same checks (no raw library error)", function()
    local err = catch(kibana.new, "http://kibana.test", { timeout = -1 })
    is_validation_error(err, "timeout")
  end)

  it("space_cache_ttl = math.huge caches an existing space for good", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t, { space_cache_ttl = math.huge })
    for _ = 1, 3 do c.actions:get_all{ space_id = "marketing" } end
    assert.equal(1, t:validations("marketing"))
  end)

  it("space_cache_ttl = 0 caches nothing: every call validates", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t, { space_cache_ttl = 0 })
    local m = c:space("marketing")
    m.actions:get_all()
    m.actions:get_all()
    assert.equal(3, t:validations("marketing"))
  end)
end)

describe("error objects in ordinary Lua error handling", function()
  local function not_found()
    local t = fake.new()
    t:on("GET", "/api/actions/connector/x", { status = 404, body = {
      statusCode = 404, error = "Not Found", message = "Saved object [action/x] not found" } })
    return fake.client(t)
  end

  it("carry message, status, space_id, method, path, body and attempts", function()
    local c = not_found()
    local err = catch(c.actions.get, c.actions, "x")
    assert.equal("Saved object [action/x] not found (space 'default')", err.message)
    assert.equal(404, err.status)
    assert.equal("default", err.space_id)
    assert.equal("GET", err.method)
    assert.equal("/api/actions/connector/x", err.path)
    assert.equal(1, err.attempts)
    assert.same({ statusCode = 404, error = "Not Found", message = "Saved object [action/x] not found" }, err.body)
  end)

  it("are raised at level 0: the object itself, no position prefix, the same object through error()", function()
    local c = not_found()
    local err = catch(c.actions.get, c.actions, "x")
    assert.equal(errors.NotFoundError, getmetatable(err))
    local again = catch(function() error(err) end)
    assert.is_true(rawequal(err, again))
    local ok, traced = xpcall(function() return c.actions:get("x") end, debug.traceback)
    assert.is_false(ok)
    assert.is_true(errors.is(traced, errors.NotFoundError))
  end)

  it("concatenate with strings on either side, as their tostring", function()
    local c = not_found()
    local err = catch(c.actions.get, c.actions, "x")
    assert.equal("failed: NotFoundError: Saved object [action/x] not found (space 'default')", "failed: " .. err)
    assert.equal("NotFoundError: Saved object [action/x] not found (space 'default')!", err .. "!")
    local ok, msg = pcall(error, "provisioning failed: " .. err)
    assert.is_false(ok)
    assert.matches("provisioning failed: NotFoundError", msg, 1, true)
  end)

  it("errors.is is false for strings, nil, numbers, classes and tables that only look like errors", function()
    for _, v in ipairs{ "NotFoundError: x", 42, true, {}, errors.NotFoundError,
                        setmetatable({}, { class_name = "NotFoundError" }) } do
      assert.is_false(errors.is(v, errors.NotFoundError), tostring(v))
      assert.is_false(errors.is(v, "KibanaError"), tostring(v))
    end
    assert.is_false(errors.is(nil, errors.KibanaError))
    assert.is_false(errors.is(errors.NotFoundError{}, "NoSuchClass"))
  end)
end)

describe("numeric space ids in the spaces API", function()
  it("spaces:delete(5) drops the cached answer for space '5'", function()
    local t = fake.new{ spaces = { "5" } }
    t:on("DELETE", "/api/spaces/space/5", function()
      t.spaces["5"] = nil
      return { status = 204, body = "" }
    end)
    local c = fake.client(t, { raise = false })
    assert.is_table(c.actions:get_all{ space_id = "5" })
    assert.is_true(c.spaces:delete(5))
    local _, err = c.actions:get_all{ space_id = "5" }
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal(2, t:validations("5"))
  end)

  it("spaces:get(5) on a missing space is a SpaceNotFoundError naming '5'", function()
    local t = fake.new()
    t:on("GET", "/api/spaces/space/5", { status = 404, body = { statusCode = 404, error = "Not Found", message = "Not Found" } })
    local c = fake.client(t, { raise = false })
    local _, err = c.spaces:get(5)
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal("5", err.space_id)
    assert.equal("SpaceNotFoundError: space '5' not found", tostring(err))
  end)
end)

describe("a transport that raises a Lua error", function()
  it("during spaces:delete still leaves the cached answer for that id dropped", function()
    local t = fake.new{ spaces = { "marketing" } }
    t:on("DELETE", "/api/spaces/space/marketing", function() error("socket exploded") end)
    local c = fake.client(t)
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(1, c:space_cache().stats().size)
    local err = catch(c.spaces.delete, c.spaces, "marketing")
    assert.matches("socket exploded", tostring(err), 1, true)
    assert.equal(0, c:space_cache().stats().size)
    c.actions:get_all{ space_id = "marketing" }
    assert.equal(2, t:validations("marketing"))
  end)

  it("during spaces:create too", function()
    local t = fake.new()
    t:on("POST", "/api/spaces/space", function() error("socket exploded") end)
    local c = fake.client(t, { space_missing_ttl = 60, raise = false })
    c.actions:get_all{ space_id = "fresh" }
    assert.equal(1, c:space_cache().stats().size) -- "missing", cached
    assert.is_false(pcall(c.spaces.create, c.spaces, { id = "fresh", name = "Fresh" }))
    assert.equal(0, c:space_cache().stats().size)
  end)
end)

describe("JSON values at the edges, as sent", function()
  -- Lua 5.4 has 64-bit integers; LuaJIT has doubles, exact up to 2^53.
  if math.type then
    it("integers beyond 2^53 and the extreme 64-bit integers are sent exactly (Lua 5.4)", function()
      local t = fake.new()
      local c = fake.client(t)
      c.saved_objects:create{ type = "x", attributes = { big = 9007199254740993, max = math.maxinteger, min = math.mininteger } }
      assert.equal('{"attributes":{"big":9007199254740993,"max":9223372036854775807,"min":-9223372036854775808}}', t:last().body)
    end)

    it("integers in answers stay integers, also beyond 2^53 (Lua 5.4)", function()
      local t = fake.new()
      t:on("GET", "/api/saved_objects/x/1", { status = 200, body = '{"n":9007199254740993,"m":-9223372036854775808,"f":1.5}' })
      local c = fake.client(t)
      local o = c.saved_objects:get("x", "1")
      assert.equal(9007199254740993, o.n)
      assert.equal("integer", math.type(o.n))
      assert.equal(math.mininteger, o.m)
      assert.equal(1.5, o.f)
    end)
  else
    it("integral numbers up to 2^53 are sent without exponent or fraction (LuaJIT)", function()
      local t = fake.new()
      local c = fake.client(t)
      c.saved_objects:create{ type = "x", attributes = { big = 2 ^ 53, neg = -(2 ^ 53), f = 1.5 } }
      assert.equal('{"attributes":{"big":9007199254740992,"f":1.5,"neg":-9007199254740992}}', t:last().body)
    end)
  end

  it("kibana.null, nested empty arrays and empty objects keep their shape", function()
    local t = fake.new()
    local c = fake.client(t)
    c.actions:create{ name = "n", connector_type_id = ".index",
                      config = { a = kibana.null, b = kibana.array{ kibana.array{}, {} }, c = { d = kibana.array{} } } }
    assert.equal('{"config":{"a":null,"b":[[],{}],"c":{"d":[]}},"connector_type_id":".index","name":"n"}', t:last().body)
  end)

  it("unicode and control characters in strings are sent as valid JSON and read back equal", function()
    local t = fake.new()
    local c = fake.client(t)
    local title = "ünï \u{1F600} \"q\" \\ \n\t\0 end"
    c.saved_objects:create{ type = "x", attributes = { title = title } }
    assert.equal(title, core.json_decode(t:last().body).attributes.title)
  end)

  it("a 600-byte id and an id made of every reserved character stay one path segment", function()
    local t = fake.new()
    local c = fake.client(t)
    local long = string.rep("a", 600)
    c.saved_objects:get("dashboard", long)
    assert.equal("/api/saved_objects/dashboard/" .. long, t:last().path)
    c.saved_objects:get("dashboard", ":/?#[]@!$&'()*+,;=% \"<>\\^`{|}")
    assert.equal("/api/saved_objects/dashboard/"
      .. "%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25%20%22%3C%3E%5C%5E%60%7B%7C%7D", t:last().path)
  end)
end)

describe("credentials in the URL (http://user:password@host)", function()
  it("are used, but tostring(client) does not show the password", function()
    local t = fake.new()
    local c = kibana.new("http://elastic:s3cret@kibana.test:5601/kb", { transport = t })
    c.actions:get_all()
    assert.equal("http://elastic:s3cret@kibana.test:5601/kb/api/actions/connectors", t:last().url)
    assert.equal("kibana client http://elastic:***@kibana.test:5601/kb", tostring(c))
    assert.is_nil(tostring(c:space("default")):find("s3cret", 1, true))
  end)

  it("are not repeated in the error for a URL that cannot be used", function()
    local err = catch(kibana.new, "http://elastic:s3cret@kibana.test/a b", { transport = fake.new() })
    is_validation_error(err, "url")
    assert.is_nil(tostring(err):find("s3cret", 1, true))
    assert.matches("elastic:***@kibana.test", tostring(err), 1, true)
  end)
end)

describe("kibana.failures on a copy to spaces named like bulk answer fields", function()
  it("lists the failures of spaces called 'statuses', 'saved_objects', 'resolved_objects', 'success' and 'errors'", function()
    local res = {}
    for _, space in ipairs{ "statuses", "saved_objects", "resolved_objects", "success", "errors" } do
      res[space] = { success = false, successCount = 0,
                     errors = { { id = "d-" .. space, type = "dashboard", error = { type = "conflict" } } } }
    end
    local f = kibana.failures(res)
    assert.equal(5, #f)
    local seen = {}
    for _, item in ipairs(f) do
      assert.equal("d-" .. item.space_id, item.id)
      assert.equal("conflict", item.error.type)
      seen[item.space_id] = true
    end
    assert.same({ statuses = true, saved_objects = true, resolved_objects = true, success = true, errors = true }, seen)
  end)
end)

describe("destination spaces (copy, resolve copy errors, initialNamespaces)", function()
  local objects = { { type = "dashboard", id = "d1" } }

  it("a missing destination of copy_saved_objects is a SpaceNotFoundError naming it, and nothing is copied", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    local err = catch(c.spaces.copy_saved_objects, c.spaces, { spaces = { "marketing", "markting" }, objects = objects })
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal("markting", err.space_id)
    assert.equal("SpaceNotFoundError: space 'markting' not found", tostring(err))
    assert.equal(0, #t:find("_copy_saved_objects"))
  end)

  it("existing destinations are validated once, through the cache, then the copy is sent", function()
    local t = fake.new{ spaces = { "marketing", "sales" } }
    local c = fake.client(t)
    c.spaces:copy_saved_objects{ spaces = { "marketing", "sales" }, objects = objects }
    c.spaces:copy_saved_objects{ spaces = { "marketing", "sales" }, objects = objects }
    assert.equal(1, t:validations("marketing"))
    assert.equal(1, t:validations("sales"))
    assert.equal(2, #t:find("^/api/spaces/_copy_saved_objects$", "POST"))
  end)

  it("'default' needs no validation; an invalid destination id is an InvalidSpaceIdError before any request", function()
    local t = fake.new()
    local c = fake.client(t, { raise = false })
    assert.is_table(c.spaces:copy_saved_objects{ spaces = { "default" }, objects = objects })
    assert.equal(0, t:validations())
    t:reset()
    local _, err = c.spaces:copy_saved_objects{ spaces = { "Marketing Team" }, objects = objects }
    assert.is_true(errors.is(err, errors.InvalidSpaceIdError))
    assert.equal("Marketing Team", err.space_id)
    assert.equal(0, #t.requests)
  end)

  it("the space keys of resolve_copy_errors' retries are validated", function()
    local t = fake.new{ spaces = { "sales" } }
    local c = fake.client(t, { raise = false })
    local _, err = c.spaces:resolve_copy_errors{ objects = objects, retries = {
      sales = { { type = "dashboard", id = "d1", overwrite = true } },
      salse = { { type = "dashboard", id = "d1", overwrite = true } } } }
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal("salse", err.space_id)
    assert.equal(0, #t:find("_resolve_copy_saved_objects_errors"))
  end)

  it("initialNamespaces of saved_objects:create and of bulk_create items are validated ('*' is all spaces)", function()
    local t = fake.new{ spaces = { "sales" } }
    local c = fake.client(t, { raise = false })
    assert.is_table(c.saved_objects:create{ type = "dashboard", attributes = {}, initialNamespaces = { "sales", "*" } })
    local _, err = c.saved_objects:create{ type = "dashboard", attributes = {}, initialNamespaces = { "salse" } }
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal("salse", err.space_id)
    _, err = c.saved_objects:bulk_create{ objects = {
      { type = "dashboard", attributes = {}, initialNamespaces = { "sales" } },
      { type = "dashboard", attributes = {}, initialNamespaces = { "nope" } } } }
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal("nope", err.space_id)
    assert.equal(1, #t:find("^/api/saved_objects/", "POST"))
  end)

  it("are not validated by a scoped client with validate = false, nor with validate_spaces = false", function()
    local t = fake.new{ spaces = { "marketing" } }
    local c = fake.client(t)
    c:space("marketing", { validate = false }).spaces:copy_saved_objects{ spaces = { "x1" }, objects = objects }
    fake.client(t, { validate_spaces = false }).spaces:copy_saved_objects{ spaces = { "x2" }, objects = objects }
    assert.equal(0, t:validations())
    assert.equal(2, #t:find("_copy_saved_objects"))
  end)
end)

describe("meta of a failed client:space(id)", function()
  it("describes the validation request it sent: status, attempts, headers", function()
    local t = fake.new()
    local c = fake.client(t, { raise = false })
    local scoped, err, meta = c:space("nope")
    assert.is_nil(scoped)
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal(404, meta.status)
    assert.equal(1, meta.attempts)
    assert.equal("GET", meta.method)
    assert.equal("/api/spaces/space/nope", meta.path)
    assert.equal("nope", meta.space_id)
    assert.is_table(meta.headers)
    assert.equal(1, err.attempts)
  end)

  it("of a call whose space is missing says the call itself was not sent (attempts 0)", function()
    local t = fake.new()
    local c = fake.client(t, { raise = false })
    local _, err, meta = c.actions:get_all{ space_id = "nope" }
    assert.is_true(errors.is(err, errors.SpaceNotFoundError))
    assert.equal(0, meta.attempts)
    assert.equal(0, err.attempts)
    assert.equal("/s/nope/api/actions/connectors", meta.path)
  end)
end)
