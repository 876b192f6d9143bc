-- Error classes, the two error modes, answers that cannot be used, retries.
-- Fake transport.

local kibana = require "kibana"
local errors = kibana.errors
local fake = require "spec.unit.client_fake_transport"

local function catch(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return err
end

local function kerr(status, message)
  return { status = status, body = { statusCode = status, error = "E", message = message } }
end

describe("the error class tree", function()
  local tree = {
    TransportError = "KibanaError", ConnectionError = "TransportError", TimeoutError = "TransportError",
    TLSError = "TransportError", ApiError = "KibanaError", BadRequestError = "ApiError",
    AuthenticationError = "ApiError", AuthorizationError = "ApiError", NotFoundError = "ApiError",
    SpaceNotFoundError = "NotFoundError", ConflictError = "ApiError", PayloadTooLargeError = "ApiError",
    TooManyRequestsError = "ApiError", ServerError = "ApiError", ResponseError = "ApiError",
    ValidationError = "KibanaError", InvalidSpaceIdError = "ValidationError",
  }
  for name, parent in pairs(tree) do
    it(name .. " is a " .. parent .. " and a KibanaError", function()
      local e = errors[name]{ message = "m" }
      assert.is_true(errors.is(e, errors[parent]))
      assert.is_true(errors.is(e, errors.KibanaError))
      assert.is_true(errors.is(e, name))
      assert.is_true(e:is(errors[name]))
    end)
  end

  it("errors.is follows the tree only downwards", function()
    local e = errors.NotFoundError{ message = "m" }
    assert.is_false(errors.is(e, errors.SpaceNotFoundError))
    assert.is_false(errors.is(e, errors.ServerError))
  end)

  it("errors.is is false for values that are not errors", function()
    assert.is_false(errors.is(nil, errors.KibanaError))
    assert.is_false(errors.is("NotFoundError", errors.NotFoundError))
    assert.is_false(errors.is({}, errors.NotFoundError))
    assert.is_false(errors.is(42, errors.KibanaError))
    assert.is_false(errors.is(errors.NotFoundError, errors.NotFoundError)) -- a class is not an instance
    assert.is_false(errors.is(setmetatable({}, { __index = {} }), errors.KibanaError))
  end)

  it("tostring is '<ClassName>: <message>'", function()
    assert.equal("ConflictError: boom", tostring(errors.ConflictError{ message = "boom" }))
  end)
end)

describe("HTTP statuses", function()
  local cases = {
    { 400, "BadRequestError" }, { 401, "AuthenticationError" }, { 403, "AuthorizationError" },
    { 404, "NotFoundError" }, { 409, "ConflictError" }, { 413, "PayloadTooLargeError" },
    { 429, "TooManyRequestsError" }, { 500, "ServerError" }, { 503, "ServerError" }, { 418, "ApiError" },
  }
  for _, case in ipairs(cases) do
    it(case[1] .. " becomes " .. case[2] .. " with Kibana's message and body", function()
      local t = fake.new()
      t:on("POST", "/api/actions/connector", kerr(case[1], "kibana says " .. case[1]))
      local c = fake.client(t, { retries = 0 })
      local err = catch(c.actions.create, c.actions, { name = "x", connector_type_id = ".index" })
      assert.equal(errors[case[2]], getmetatable(err))
      assert.equal(case[1], err.status)
      assert.equal("kibana says " .. case[1] .. " (space 'default')", err.message)
      assert.equal(case[1], err.body.statusCode)
      assert.equal("POST", err.method)
      assert.equal("/api/actions/connector", err.path)
      assert.equal(1, err.attempts)
    end)
  end

  it("400s carry Kibana's message", function()
    local t = fake.new()
    t:on("POST", "/api/actions/connector", kerr(400, "[request body.name]: expected value of type [string] but got [undefined]"))
    local c = fake.client(t)
    local err = catch(c.actions.create, c.actions, { connector_type_id = ".index" })
    assert.matches("[request body.name]: expected value of type [string] but got [undefined]", err.message, 1, true)
  end)
end)

describe("the two error modes", function()
  it("raise by default: pcall gives the error object back", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connector/x", kerr(404, "Saved object [action/x] not found"))
    local c = fake.client(t)
    local ok, err = pcall(c.actions.get, c.actions, "x")
    assert.is_false(ok)
    assert.is_table(err)
    assert.is_true(errors.is(err, errors.NotFoundError))
  end)

  it("raise = false returns nil, err, meta", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connector/x", kerr(404, "Saved object [action/x] not found"))
    local c = fake.client(t, { raise = false })
    local body, err, meta = c.actions:get("x")
    assert.is_nil(body)
    assert.is_true(errors.is(err, errors.NotFoundError))
    assert.equal(404, meta.status)
    assert.equal("GET", meta.method)
  end)

  it("success returns body, nil, meta", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connector/x", { status = 200, body = { id = "x" }, headers = { ["X-Thing"] = "1" } })
    local c = fake.client(t)
    local body, err, meta = c.actions:get("x")
    assert.same({ id = "x" }, body)
    assert.is_nil(err)
    assert.equal(200, meta.status)
    assert.equal("1", meta.headers["x-thing"])
    assert.equal("default", meta.space_id)
    assert.equal("GET", meta.method)
    assert.equal("/api/actions/connector/x", meta.path)
    assert.equal(1, meta.attempts)
    assert.is_number(meta.duration)
  end)

  it("an empty 2xx body is true", function()
    local t = fake.new()
    t:on("DELETE", "/api/actions/connector/x", { status = 204, body = "" })
    local c = fake.client(t)
    assert.is_true(c.actions:delete("x"))
  end)
end)

describe("answers that cannot be used", function()
  it("a non-JSON 200 body is a ResponseError with the status and a snippet", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connectors", { status = 200, body = "{\"truncated\": [1, 2" })
    local c = fake.client(t, { raise = false })
    local body, err, meta = c.actions:get_all()
    assert.is_nil(body)
    assert.is_true(errors.is(err, errors.ResponseError))
    assert.is_true(errors.is(err, errors.ApiError))
    assert.equal(200, err.status)
    assert.matches("HTTP 200 with a non-JSON body", err.message, 1, true)
    assert.matches('{"truncated": [1, 2', err.message, 1, true)
    assert.equal(200, meta.status)
  end)

  it("an HTML error page keeps the status class and reads cleanly", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connectors", { status = 502, body =
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n" })
    local c = fake.client(t, { raise = false, retries = 0 })
    local _, err = c.actions:get_all()
    assert.is_true(errors.is(err, errors.ServerError))
    assert.equal(502, err.status)
    assert.equal("HTTP 502 with a non-JSON body: 502 Bad Gateway 502 Bad Gateway nginx (space 'default')", err.message)
  end)

  it("a long non-JSON body is cut at 200 characters", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connectors", { status = 500, body = string.rep("x", 1000) })
    local c = fake.client(t, { raise = false, retries = 0 })
    local _, err = c.actions:get_all()
    assert.is_true(#err.message < 260)
  end)

  it("an error status with an empty body gets a readable message", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connectors", { status = 401, body = "" })
    local c = fake.client(t, { raise = false })
    local _, err = c.actions:get_all()
    assert.is_true(errors.is(err, errors.AuthenticationError))
    assert.equal("HTTP 401 Unauthorized (space 'default')", err.message)
  end)

  it("an unexpected redirect is a ResponseError", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connectors", { status = 302, body = "", headers = { Location = "/login" } })
    local c = fake.client(t, { raise = false })
    local _, err = c.actions:get_all()
    assert.is_true(errors.is(err, errors.ResponseError))
    assert.equal(302, err.status)
    assert.matches("/login", err.message, 1, true)
  end)

  it("a JSON body that is not an object is returned as decoded", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connectors", { status = 200, body = "[]" })
    local c = fake.client(t)
    local body = c.actions:get_all()
    assert.equal(0, #body)
    assert.is_true(kibana.is_array(body))
  end)
end)

describe("transport failures", function()
  local kinds = { connection = "ConnectionError", timeout = "TimeoutError", tls = "TLSError", transport = "TransportError" }
  for kind, class in pairs(kinds) do
    it(kind .. " becomes " .. class, function()
      local t = fake.new()
      t:on("POST", "/api/actions/connector", { fail = kind, message = "it broke" })
      local c = fake.client(t, { raise = false })
      local _, err, meta = c.actions:create{ name = "x", connector_type_id = ".index" }
      assert.equal(errors[class], getmetatable(err))
      assert.is_true(errors.is(err, errors.TransportError))
      assert.matches("it broke", err.message, 1, true)
      assert.equal("POST", err.method)
      assert.is_nil(meta.status)
      assert.equal(1, meta.attempts)
    end)
  end
end)

describe("retries", function()
  it("retry GET on 503 with backoff and report attempts", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connectors", { kerr(503, "busy"), { status = 200, body = {} } })
    local c = fake.client(t)
    local _, _, meta = c.actions:get_all()
    assert.equal(2, meta.attempts)
    assert.equal(1, #t.sleeps)
    assert.is_true(t.sleeps[1] > 0)
  end)

  it("honour Retry-After", function()
    local t = fake.new()
    t:on("PUT", "/api/actions/connector/x", {
      { status = 429, body = { statusCode = 429, error = "Too Many Requests", message = "slow down" }, headers = { ["Retry-After"] = "3" } },
      { status = 200, body = { id = "x" } },
    })
    local c = fake.client(t)
    local _, _, meta = c.actions:update{ id = "x", name = "n" }
    assert.equal(2, meta.attempts)
    assert.same({ 3 }, t.sleeps)
  end)

  it("give up after `retries` retries with the last error, attempts counted", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connectors", kerr(502, "bad gateway"))
    local c = fake.client(t, { raise = false, retries = 3 })
    local _, err, meta = c.actions:get_all()
    assert.is_true(errors.is(err, errors.ServerError))
    assert.equal(4, err.attempts)
    assert.equal(4, meta.attempts)
    assert.equal(3, #t.sleeps)
  end)

  it("retry idempotent requests on connection failures", function()
    local t = fake.new()
    t:on("DELETE", "/api/actions/connector/x", { { fail = "connection" }, { status = 204, body = "" } })
    local c = fake.client(t)
    local body, _, meta = c.actions:delete("x")
    assert.is_true(body)
    assert.equal(2, meta.attempts)
  end)

  it("never retry POST on 5xx or connection failures", function()
    local t = fake.new()
    t:on("POST", "/api/actions/connector", { kerr(503, "busy"), { status = 200, body = {} } })
    local c = fake.client(t, { raise = false })
    local _, err = c.actions:create{ name = "x", connector_type_id = ".index" }
    assert.equal(503, err.status)
    assert.equal(1, #t.requests)
    t = fake.new()
    t:on("POST", "/api/actions/connector", { { fail = "connection" }, { status = 200, body = {} } })
    c = fake.client(t, { raise = false })
    _, err = c.actions:create{ name = "x", connector_type_id = ".index" }
    assert.is_true(errors.is(err, errors.ConnectionError))
    assert.equal(1, #t.requests)
  end)

  it("retry POST on 429 only when Retry-After is given", function()
    local t = fake.new()
    t:on("POST", "/api/actions/connector", {
      { status = 429, body = "", headers = { ["Retry-After"] = "1" } },
      { status = 200, body = { id = "c" } },
    })
    local c = fake.client(t)
    local body, _, meta = c.actions:create{ name = "x", connector_type_id = ".index" }
    assert.equal("c", body.id)
    assert.equal(2, meta.attempts)
    t = fake.new()
    t:on("POST", "/api/actions/connector", { { status = 429, body = "" }, { status = 200, body = {} } })
    c = fake.client(t, { raise = false })
    local _, err = c.actions:create{ name = "x", connector_type_id = ".index" }
    assert.is_true(errors.is(err, errors.TooManyRequestsError))
    assert.equal(1, #t.requests)
  end)

  it("do not wait for a Retry-After beyond max_retry_after, and report it", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connectors", { status = 429, body = "", headers = { ["Retry-After"] = "3600" } })
    local c = fake.client(t, { raise = false })
    local _, err = c.actions:get_all()
    assert.is_true(errors.is(err, errors.TooManyRequestsError))
    assert.equal(3600, err.retry_after)
    assert.equal(1, #t.requests)
    assert.equal(0, #t.sleeps)
  end)

  it("retries = 0 disables them", function()
    local t = fake.new()
    t:on("GET", "/api/actions/connectors", kerr(503, "busy"))
    local c = fake.client(t, { raise = false, retries = 0 })
    local _, err = c.actions:get_all()
    assert.equal(1, err.attempts)
  end)
end)
