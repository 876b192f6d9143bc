-- Answers that cannot be used, and retries, against the emulator's fault
-- injection: typed errors with the status and a readable message, never a
-- Lua error about indexing nil.

local kibana = require "kibana"
local errors = kibana.errors
local emu = require "spec.support.emulator"
local support_client = require "spec.support.client"

local function new_client(opts)
  opts = opts or {}
  if opts.retry_base == nil then opts.retry_base = 0.01 end -- fast retries
  return support_client.new(opts)
end

describe("a malformed body against the emulator", function()
  before_each(emu.reset)

  it("is a ResponseError with the status and a readable message", function()
    local c = new_client{ raise = false }
    emu.fault{ mode = "malformed", count = 1 }
    local body, err, meta = c.actions:get_all()
    assert.is_nil(body)
    assert.is_true(errors.is(err, errors.ResponseError))
    assert.equal(200, err.status)
    assert.matches("non-JSON body", err.message, 1, true)
    assert.is_nil(err.message:find("index", 1, true))
    assert.equal(200, meta.status)
  end)

  it("raises the same error object in raise mode", function()
    local c = new_client()
    emu.fault{ mode = "malformed", count = 1 }
    local ok, err = pcall(c.saved_objects.find, c.saved_objects, { type = "dashboard" })
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.ResponseError))
    assert.matches("^ResponseError: HTTP 200 with a non%-JSON body", tostring(err))
  end)
end)

describe("a truncated JSON body against the emulator", function()
  before_each(emu.reset)

  it("is a ResponseError with the status, the parser's complaint and the start of the body", function()
    local c = new_client{ raise = false }
    emu.fault{ mode = "truncated", count = 1 }
    local body, err = c.saved_objects:find{ type = "dashboard" }
    assert.is_nil(body)
    assert.is_true(errors.is(err, errors.ResponseError))
    assert.equal(200, err.status)
    assert.matches("HTTP 200 with a non-JSON body (unexpected end of input", err.message, 1, true)
    assert.matches('{"page":1,"per_page":20', err.message, 1, true)
  end)
end)

describe("a body cut short by a closed connection against the emulator", function()
  before_each(emu.reset)

  it("is a ConnectionError that keeps the status which had arrived (POST: not retried)", function()
    local c = new_client{ raise = false }
    emu.fault{ mode = "cut", count = 1 }
    local body, err, meta = c.saved_objects:create{ type = "dashboard", attributes = { title = "x" } }
    assert.is_nil(body)
    assert.is_true(errors.is(err, errors.ConnectionError))
    assert.equal(200, err.status)
    assert.matches("after an HTTP 200 answer began", err.message, 1, true)
    assert.equal(1, meta.attempts)
  end)

  it("is retried for GET, and the retry succeeds", function()
    local c = new_client{ raise = false }
    emu.fault{ mode = "cut", count = 1 }
    local body, err, meta = c.actions:get_all()
    assert.is_nil(err)
    assert.equal("table", type(body))
    assert.equal(2, meta.attempts)
  end)
end)

describe("an HTML error page from a proxy against the emulator", function()
  before_each(emu.reset)

  it("is a ServerError with the status and the page's text, not its tags", function()
    local c = new_client{ raise = false, retries = 0 }
    emu.fault{ mode = "html", count = 1 }
    local body, err = c.actions:get_all{ space_id = "default" }
    assert.is_nil(body)
    assert.is_true(errors.is(err, errors.ServerError))
    assert.equal(502, err.status)
    assert.equal("HTTP 502 with a non-JSON body: 502 Bad Gateway 502 Bad Gateway nginx (space 'default')",
      err.message)
    assert.is_nil(err.body)
  end)
end)

describe("an empty 200 against the emulator", function()
  before_each(emu.reset)

  it("is a ResponseError: Kibana answers every 200 with JSON", function()
    local c = new_client{ raise = false }
    emu.fault{ mode = "empty", count = 1 }
    local body, err, meta = c.actions:get_all()
    assert.is_nil(body)
    assert.is_true(errors.is(err, errors.ResponseError))
    assert.equal(200, err.status)
    assert.equal("HTTP 200 with an empty body where Kibana sends JSON (space 'default')", tostring(err.message))
    assert.equal(200, meta.status)
  end)

  it("while an empty 204 (deleting a connector) is success: true", function()
    local c = new_client()
    local conn = c.actions:create{ name = "gone soon", connector_type_id = ".server-log" }
    assert.is_true(c.actions:delete(conn.id))
  end)
end)

describe("a dropped connection against the emulator", function()
  before_each(emu.reset)

  it("is retried for GET and the attempts are reported", function()
    local c = new_client()
    emu.fault{ mode = "drop", count = 1 }
    local body, _, meta = c.actions:get_all()
    assert.is_table(body)
    assert.equal(2, meta.attempts)
  end)

  it("is a ConnectionError for POST (never retried)", function()
    local c = new_client{ raise = false }
    emu.fault{ mode = "drop", count = 1 }
    local _, err, meta = c.actions:create{ name = "x", connector_type_id = ".index", config = { index = "x" } }
    assert.is_true(errors.is(err, errors.TransportError))
    assert.equal(1, meta.attempts)
    assert.equal("POST", err.method)
  end)

  it("is a ConnectionError once the retries are spent", function()
    local c = new_client{ raise = false, retries = 1 }
    emu.fault{ mode = "drop", count = 5 }
    local _, err = c.actions:get_all()
    assert.is_true(errors.is(err, errors.ConnectionError))
    assert.equal(2, err.attempts)
  end)
end)

describe("5xx answers against the emulator", function()
  before_each(emu.reset)

  it("a 503 once is retried for GET", function()
    local c = new_client()
    emu.fault{ status = 503, count = 1 }
    local body, _, meta = c.actions:get_all()
    assert.is_table(body)
    assert.equal(2, meta.attempts)
    assert.equal(200, meta.status)
  end)

  it("a 503 on POST is a ServerError with the status", function()
    local c = new_client{ raise = false }
    emu.fault{ status = 503, count = 1 }
    local _, err = c.actions:create{ name = "x", connector_type_id = ".index", config = { index = "x" } }
    assert.is_true(errors.is(err, errors.ServerError))
    assert.equal(503, err.status)
    assert.equal(1, err.attempts)
  end)

  it("a 503 that persists is a ServerError after retries", function()
    local c = new_client{ raise = false, retries = 2 }
    emu.fault{ status = 503 }
    local _, err = c.actions:get_all()
    assert.is_true(errors.is(err, errors.ServerError))
    assert.equal(3, err.attempts)
  end)
end)

describe("429 with Retry-After against the emulator", function()
  before_each(emu.reset)

  it("is waited for and retried, also for POST", function()
    local c = new_client()
    emu.fault{ status = 429, retry_after = "1", count = 1 }
    local t0 = require("socket").gettime()
    local conn, _, meta = c.actions:create{ name = "x", connector_type_id = ".index", config = { index = "x" } }
    local waited = require("socket").gettime() - t0
    assert.is_string(conn.id)
    assert.equal(2, meta.attempts)
    assert.is_true(waited >= 0.9, "waited " .. waited)
  end)

  it("without retries is a TooManyRequestsError carrying retry_after", function()
    local c = new_client{ raise = false, retries = 0 }
    emu.fault{ status = 429, retry_after = "7", count = 1 }
    local _, err = c.actions:get_all()
    assert.is_true(errors.is(err, errors.TooManyRequestsError))
    assert.equal(429, err.status)
    assert.equal(7, err.retry_after)
  end)
end)

describe("space validation under faults against the emulator", function()
  before_each(emu.reset)

  it("a failing validation request is reported as itself, naming the space, and not cached", function()
    local c = new_client{ raise = false, retries = 0 }
    c.spaces:create{ id = "marketing", name = "Marketing" }
    emu.fault{ status = 500, count = 1, match = "/api/spaces/space/marketing" }
    local _, err = c.actions:get_all{ space_id = "marketing" }
    assert.is_true(errors.is(err, errors.ServerError))
    assert.is_false(errors.is(err, errors.NotFoundError))
    assert.equal("marketing", err.space_id)
    assert.matches("marketing", err.message, 1, true)
    assert.is_table((c.actions:get_all{ space_id = "marketing" }))
  end)
end)
