-- spec/unit/core_spec.lua - the binding kibana.core, behaviour by behaviour.
--
-- Run from the repository root after building:
--   LUA_CPATH='build/?.so;;' lua5.4 /usr/bin/busted spec/unit/core_spec.lua
--
-- The HTTP part starts a small echo server (python3, on a free loopback port)
-- for the duration of its describe block; it is skipped when python3 is
-- missing.

local core = require "kibana.core"
local socket = require "socket"

local function sleep(s) socket.sleep(s) end

-- A loopback port nobody listens on (bound, read, then released).
local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

local has_integers = math.type ~= nil

describe("kibana.core", function()

  describe("the module", function()
    it("has a version", function()
      assert.equal("0.1.0", core.version)
    end)

    it("exposes JSON null as a lightuserdata (the same value as cjson.null)", function()
      assert.equal("userdata", type(core.null))
      local ok, cjson = pcall(require, "cjson")
      if ok then assert.equal(cjson.null, core.null) end
    end)
  end)

  ------------------------------------------------------------------------
  describe("JSON keeps [] and {} apart", function()
    it("decodes [] to a table marked as an array, and encodes it back as []", function()
      local v = assert(core.json_decode("[]"))
      assert.is_true(core.is_array(v))
      assert.equal(core.array_mt, getmetatable(v))
      assert.equal("[]", core.json_encode(v))
    end)

    it("decodes {} to an unmarked table, and encodes it back as {}", function()
      local v = assert(core.json_decode("{}"))
      assert.is_false(core.is_array(v))
      assert.equal("{}", core.json_encode(v))
    end)

    it("round-trips nested documents byte for byte (keys sorted, no spaces)", function()
      local doc = '{"a":[],"b":{},"c":[{"d":[],"e":{"f":[[],{}]}}],"g":"x"}'
      assert.equal(doc, core.json_encode(core.json_decode(doc)))
    end)

    it("marks every decoded array, however deep", function()
      local v = core.json_decode('{"x":[[1],[{"y":[]}]]}')
      assert.is_true(core.is_array(v.x))
      assert.is_true(core.is_array(v.x[1]))
      assert.is_true(core.is_array(v.x[2][1].y))
      assert.is_false(core.is_array(v.x[2][1]))
    end)

    it("lets Lua code mark tables with core.array", function()
      local t = core.array()
      assert.is_true(core.is_array(t))
      local u = {}
      assert.equal(u, core.array(u))
      assert.is_true(core.is_array(u))
      assert.equal('{"tags":[]}', core.json_encode({ tags = core.array{} }))
      assert.is_false(core.is_array("x"))
      assert.has_error(function() core.array("x") end)
    end)
  end)

  describe("JSON null", function()
    it("decodes to core.null and keeps array positions", function()
      local v = core.json_decode("[1,null,3]")
      assert.equal(3, #v)
      assert.equal(core.null, v[2])
      assert.equal(core.null, core.json_decode("null"))
      assert.equal(core.null, core.json_decode('{"a":null}').a)
    end)

    it("encodes core.null (and nil) as null", function()
      assert.equal("null", core.json_encode(core.null))
      assert.equal("null", core.json_encode(nil))
      assert.equal('{"a":null}', core.json_encode({ a = core.null }))
    end)
  end)

  describe("JSON numbers", function()
    it("keeps integers as integers when they fit", function()
      assert.equal(42, core.json_decode("42"))
      assert.equal(-7, core.json_decode("-7"))
      if has_integers then
        assert.equal("integer", math.type(core.json_decode("42")))
        assert.equal(math.maxinteger, core.json_decode("9223372036854775807"))
        assert.equal(math.mininteger, core.json_decode("-9223372036854775808"))
        assert.equal("float", math.type(core.json_decode("9223372036854775808")))
        assert.equal("float", math.type(core.json_decode("1e3")))
        assert.equal("float", math.type(core.json_decode("2.0")))
      end
    end)

    it("decodes fractions and exponents", function()
      assert.equal(1.5, core.json_decode("1.5"))
      assert.equal(-0.25, core.json_decode("-2.5e-1"))
      assert.equal(1000, core.json_decode("1E+3"))
      assert.equal(12345678901234567890, core.json_decode("12345678901234567890"))
    end)

    it("encodes integers as integers and floats so that they round-trip", function()
      assert.equal("3", core.json_encode(3))
      assert.equal("-12", core.json_encode(-12))
      assert.equal("0.1", core.json_encode(0.1))
      assert.equal("1.5", core.json_encode(1.5))
      assert.equal("1e+300", core.json_encode(1e300))
      assert.equal("0.3333333333333333", core.json_encode(1 / 3)) -- shortest form
      for _, x in ipairs{ 1 / 3, 2 / 3, 0.1 + 0.2, 123456.789e-20, 5e-324, 1.7976931348623157e308 } do
        assert.equal(x, core.json_decode(core.json_encode(x)))
      end
      if has_integers then
        assert.equal("9223372036854775807", core.json_encode(math.maxinteger))
        assert.equal("3.0", core.json_encode(3.0)) -- stays a float on the way back
        assert.equal("float", math.type(core.json_decode(core.json_encode(3.0))))
      end
    end)

    it("refuses NaN and infinities", function()
      assert.has_error(function() core.json_encode(0 / 0) end, "cannot encode NaN at value")
      assert.has_error(function() core.json_encode({ x = math.huge }) end, "cannot encode inf at value.x")
      assert.has_error(function() core.json_encode({ -math.huge }) end, "cannot encode -inf at value[1]")
    end)

    it("writes '.' as the decimal point whatever the C locale", function()
      local old = os.setlocale(nil, "numeric")
      local switched = os.setlocale("de_DE.UTF-8", "numeric") or os.setlocale("fr_FR.UTF-8", "numeric")
      local ok, enc = pcall(core.json_encode, 1.5)
      local ok2, dec = pcall(core.json_decode, "2.25")
      os.setlocale(old, "numeric")
      assert.is_true(ok)
      assert.equal("1.5", enc)
      assert.is_true(ok2)
      assert.equal(2.25, dec)
      -- with no comma locale installed this checks the C locale only
      assert.is_true(switched == nil or type(switched) == "string")
    end)
  end)

  describe("JSON strings", function()
    it("decodes every escape", function()
      assert.equal('"\\/\b\f\n\r\t', core.json_decode([["\"\\\/\b\f\n\r\t"]]))
      assert.equal("é", core.json_decode([["\u00e9"]]))
      assert.equal("€", core.json_decode([["\u20AC"]]))
      assert.equal("a\0b", core.json_decode([["a\u0000b"]]))
    end)

    it("joins UTF-16 surrogate pairs into one UTF-8 character", function()
      assert.equal("😀", core.json_decode([["\ud83d\ude00"]]))
      assert.equal("x😀y", core.json_decode([["x\uD83D\uDE00y"]]))
    end)

    it("turns a lone surrogate into U+FFFD instead of failing", function()
      assert.equal("\239\191\189", core.json_decode([["\ud83d"]]))
      assert.equal("\239\191\189x", core.json_decode([["\ude00x"]]))
      assert.equal("\239\191\189A", core.json_decode([["\ud83d\u0041"]]))
    end)

    it("passes UTF-8 through untouched in both directions", function()
      local s = "Ünïcødé 日本語 😀"
      assert.equal('"' .. s .. '"', core.json_encode(s))
      assert.equal(s, core.json_decode(core.json_encode(s)))
    end)

    it("escapes quotes, backslashes and control characters, but not '/'", function()
      assert.equal([["a\"b\\c/d"]], core.json_encode('a"b\\c/d'))
      assert.equal([["\n\r\t\b\f"]], core.json_encode("\n\r\t\b\f"))
      assert.equal([["\u0001\u001f\u0000"]], core.json_encode("\1\31\0"))
      assert.equal("\1\31\0", core.json_decode(core.json_encode("\1\31\0")))
    end)
  end)

  describe("JSON syntax errors say what and where", function()
    local cases = {
      { '{"a": x}', "unexpected character 'x' at line 1 column 7" },
      { "[1,2", "unexpected end of input at line 1 column 5" },
      { "", "unexpected end of input at line 1 column 1" },
      { "   ", "unexpected end of input at line 1 column 4" },
      { "[1,]", "unexpected character ']' at line 1 column 4" },
      { '{"a",1}', "unexpected character ',' at line 1 column 5" },
      { '{"a":1,}', "unexpected character '}' at line 1 column 8" },
      { "{a:1}", "unexpected character 'a' at line 1 column 2" },
      { "01", "unexpected character '1' at line 1 column 2" },
      { "1.", "unexpected end of input at line 1 column 3" },
      { "-x", "unexpected character 'x' at line 1 column 2" },
      { "[1] x", "unexpected character 'x' at line 1 column 5" },
      { "trux", "unexpected character 'x' at line 1 column 4" },
      { "nul", "unexpected end of input at line 1 column 4" },
      { '{\n  "a": 1,\n  "b": tru e\n}', "unexpected character ' ' at line 3 column 11" },
      { '"abc', "unexpected end of input at line 1 column 5" },
      { '"a\nb"', "unexpected control character 0x0A in string at line 1 column 3" },
      { [["a\qb"]], "invalid escape '\\q' at line 1 column 3" },
      { [["\u12G4"]], "invalid unicode escape '\\u12G4' at line 1 column 2" },
      { "\1", "unexpected byte 0x01 at line 1 column 1" },
    }
    for _, c in ipairs(cases) do
      it(("reports %q"):format(c[1]), function()
        local v, err = core.json_decode(c[1])
        assert.is_nil(v)
        assert.equal(c[2], err)
      end)
    end

    it("accepts 1000 levels of nesting and refuses 1001", function()
      local ok = core.json_decode(("["):rep(1000) .. ("]"):rep(1000))
      assert.is_table(ok)
      local v, err = core.json_decode(("["):rep(1001) .. ("]"):rep(1001))
      assert.is_nil(v)
      assert.equal("nesting deeper than 1000 levels at line 1 column 1001", err)
      v, err = core.json_decode(('{"a":'):rep(1001))
      assert.is_nil(v)
      assert.matches("nesting deeper than 1000 levels", err)
    end)

    it("raises (does not return) on a non-string argument", function()
      assert.has_error(function() core.json_decode(nil) end)
      assert.has_error(function() core.json_decode({}) end)
    end)

    it("tolerates a UTF-8 byte order mark and surrounding whitespace", function()
      assert.equal(1, core.json_decode("\239\187\191 \t\r\n[1]\n")[1])
    end)
  end)

  describe("JSON encoding of Lua tables", function()
    it("writes a sequence 1..n as an array", function()
      assert.equal("[1,2,3]", core.json_encode({ 1, 2, 3 }))
      assert.equal('[["a"],{"b":true}]', core.json_encode({ { "a" }, { b = true } }))
    end)

    it("writes an empty unmarked table as {}", function()
      assert.equal("{}", core.json_encode({}))
    end)

    it("writes tables with holes or extra keys as objects with string keys", function()
      assert.equal('{"1":"a","3":"c"}', core.json_encode({ [1] = "a", [3] = "c" }))
      assert.equal('{"1":1,"2":2,"x":3}', core.json_encode({ 1, 2, x = 3 }))
      assert.equal('{"-1":true,"0":false}', core.json_encode({ [0] = false, [-1] = true }))
      assert.equal('{"1.5":1}', core.json_encode({ [1.5] = 1 }))
    end)

    it("emits object keys in sorted (byte) order", function()
      assert.equal('{"A":0,"a":2,"b":1,"c":{"y":2,"z":1}}',
        core.json_encode({ b = 1, a = 2, A = 0, c = { z = 1, y = 2 } }))
    end)

    it("fills holes of a marked array with null", function()
      local t = core.array{}
      t[3] = "x"
      assert.equal('[null,null,"x"]', core.json_encode(t))
    end)

    it("refuses a marked array with non-index keys", function()
      local t = core.array{ 1, x = 2 }
      assert.has_error(function() core.json_encode({ tags = t }, "body") end,
        "cannot encode array (a table marked as array) with non-index keys at body.tags")
    end)

    it("refuses keys that are neither strings nor numbers", function()
      assert.has_error(function() core.json_encode({ [true] = 1 }) end,
        "cannot encode table key of type boolean at value")
    end)

    it("refuses a table that has both 1 and '1' as keys", function()
      assert.has_error(function() core.json_encode({ [1] = "a", ["1"] = "b", x = 1 }) end)
    end)
  end)

  describe("JSON values that cannot be encoded are named by their path", function()
    it("names functions, userdata and threads with the path from the root", function()
      assert.has_error(function()
        core.json_encode({ config = { x = print } }, "body")
      end, "cannot encode function at body.config.x")
      assert.has_error(function()
        core.json_encode({ tags = { "a", io.stdout } }, "body")
      end, "cannot encode userdata at body.tags[2]")
      assert.has_error(function()
        core.json_encode({ co = coroutine.create(print) })
      end, "cannot encode thread at value.co")
      assert.has_error(function() core.json_encode(print) end, "cannot encode function at value")
    end)

    it("refuses cycles", function()
      local t = { a = {} }
      t.a.back = t
      assert.has_error(function() core.json_encode(t) end,
        "cannot encode a table that contains itself at value.a.back")
    end)

    it("accepts a table shared by two branches (not a cycle)", function()
      local shared = { 1 }
      assert.equal('{"a":[1],"b":[1]}', core.json_encode({ a = shared, b = shared }))
    end)

    it("refuses nesting deeper than 1000 levels", function()
      local t = {}
      local cur = t
      for _ = 1, 1000 do cur[1] = {}; cur = cur[1] end
      assert.has_error(function() core.json_encode(t) end)
      local ok, err = pcall(core.json_encode, t)
      assert.is_false(ok)
      assert.matches("cannot encode value nested deeper than 1000 levels at value%[1%]", err)
      -- 1000 levels are fine
      t = {}
      cur = t
      for _ = 1, 999 do cur[1] = {}; cur = cur[1] end
      assert.is_string(core.json_encode(t))
    end)
  end)

  ------------------------------------------------------------------------
  describe("space ids follow Kibana's rule ^[a-z0-9_-]+$", function()
    it("accepts lower-case letters, digits, '_' and '-'", function()
      assert.is_true(core.valid_space_id("marketing"))
      assert.is_true(core.valid_space_id("team_1-eu"))
      assert.is_true(core.valid_space_id("default"))
    end)

    it("refuses anything else and says which character", function()
      local ok, msg = core.valid_space_id("Marketing Team")
      assert.is_false(ok)
      assert.matches("Marketing Team", msg, 1, true)
      assert.matches("'M' at position 1", msg, 1, true)
      assert.is_false((core.valid_space_id("a/b")))
      assert.is_false((core.valid_space_id("a\0b")))
      assert.is_false((core.valid_space_id("é")))
    end)

    it("refuses the empty string", function()
      local ok, msg = core.valid_space_id("")
      assert.is_false(ok)
      assert.matches("empty", msg)
    end)

    it("answers false (does not raise) for non-strings", function()
      local ok, msg = core.valid_space_id(nil)
      assert.is_false(ok)
      assert.equal("space id must be a string, got nil", msg)
      ok, msg = core.valid_space_id(42)
      assert.is_false(ok)
      assert.equal("space id must be a string, got number", msg)
    end)
  end)

  describe("build_path", function()
    local T = "/api/saved_objects/{type}/{id}"

    it("adds no prefix for the default space", function()
      assert.equal("/api/saved_objects/dashboard/x",
        core.build_path(nil, nil, T, { type = "dashboard", id = "x" }))
      assert.equal("/api/saved_objects/dashboard/x",
        core.build_path(nil, "default", T, { type = "dashboard", id = "x" }))
    end)

    it("puts /s/<space> between the base path and /api", function()
      assert.equal("/kibana/s/marketing/api/saved_objects/dashboard/x",
        core.build_path("/kibana", "marketing", T, { type = "dashboard", id = "x" }))
      assert.equal("/kibana/s/marketing/api/spaces/space",
        core.build_path("/kibana/", "marketing", "/api/spaces/space"))
    end)

    it("refuses the ids '.' and '..', which Kibana would resolve as dot segments", function()
      local path, msg = core.build_path(nil, nil, "/x/{id}", { id = ".." })
      assert.is_nil(path)
      assert.equal("path parameter 'id' cannot be '..': Kibana resolves '.' and '..' path segments "
        .. "before routing, so no such id can be addressed", msg)
      assert.is_nil((core.build_path(nil, nil, "/x/{id}", { id = "." })))
    end)

    it("encodes every id as exactly one path segment", function()
      local function id(v) return core.build_path(nil, nil, "/x/{id}", { id = v }) end
      assert.equal("/x/a%2Fb", id("a/b"))
      assert.equal("/x/..x", id("..x"))
      assert.equal("/x/..%2F..%2Fapi", id("../../api"))
      assert.equal("/x/q%3Fx%3D1%23f", id("q?x=1#f"))
      assert.equal("/x/100%25%20sure", id("100% sure"))
      assert.equal("/x/%C3%A9", id("é"))
      assert.equal("/x/a-b_c.d~e", id("a-b_c.d~e"))
    end)

    it("converts number parameters to strings", function()
      assert.equal("/x/42", core.build_path(nil, nil, "/x/{id}", { id = 42 }))
      assert.equal("/x/1.5", core.build_path(nil, nil, "/x/{id}", { id = 1.5 }))
    end)

    it("returns nil and a message for an invalid space", function()
      local p, err = core.build_path(nil, "Bad Space", T, { type = "a", id = "b" })
      assert.is_nil(p)
      assert.matches("space id 'Bad Space' is invalid", err, 1, true)
      p, err = core.build_path(nil, "", T, { type = "a", id = "b" })
      assert.is_nil(p)
      assert.matches("empty", err)
      p, err = core.build_path(nil, "ok\0evil", T, { type = "a", id = "b" })
      assert.is_nil(p)
      assert.is_string(err)
    end)

    it("returns nil and a message for missing, empty or ill-typed parameters", function()
      local p, err = core.build_path(nil, nil, T, { type = "a" })
      assert.is_nil(p)
      assert.equal("missing path parameter 'id'", err)
      p, err = core.build_path(nil, nil, T, { type = "a", id = "" })
      assert.is_nil(p)
      assert.equal("path parameter 'id' must not be empty", err)
      p, err = core.build_path(nil, nil, T, { type = "a", id = true })
      assert.is_nil(p)
      assert.equal("path parameter 'id' must be a string or a number, got boolean", err)
    end)

    it("returns nil and a message for a broken template", function()
      local p, err = core.build_path(nil, nil, "/x/{id", { id = "a" })
      assert.is_nil(p)
      assert.matches("unterminated", err)
    end)

    it("raises on arguments of the wrong type", function()
      assert.has_error(function() core.build_path(nil, nil, nil) end)
      assert.has_error(function() core.build_path(1, nil, "/x") end)
      assert.has_error(function() core.build_path(nil, {}, "/x") end)
      assert.has_error(function() core.build_path(nil, nil, "/x", "params") end)
    end)
  end)

  describe("encode_query", function()
    it("sorts keys and percent-encodes keys and values", function()
      assert.equal("a=1&b=x%20y&c%2Fd=%26%3D%3F",
        core.encode_query({ b = "x y", a = 1, ["c/d"] = "&=?" }))
    end)

    it("repeats the key for each value of an array", function()
      assert.equal("fields=title&fields=type&page=2",
        core.encode_query({ page = 2, fields = { "title", "type" } }))
      assert.equal("page=1", core.encode_query({ page = 1, fields = {} }))
    end)

    it("writes booleans as true/false", function()
      assert.equal("a=true&b=false", core.encode_query({ a = true, b = false }))
    end)

    it("gives the empty string for an empty or missing table", function()
      assert.equal("", core.encode_query({}))
      assert.equal("", core.encode_query(nil))
    end)

    it("raises, naming the parameter, for values it cannot write", function()
      assert.has_error(function() core.encode_query({ x = print }) end,
        "query parameter 'x' must be a string, a number, a boolean or an array of them, got function")
      assert.has_error(function() core.encode_query({ x = { {} } }) end)
      assert.has_error(function() core.encode_query("a=1") end)
    end)
  end)

  ------------------------------------------------------------------------
  describe("classify maps statuses to error classes", function()
    it("gives nil for 1xx-3xx", function()
      assert.is_nil(core.classify(200))
      assert.is_nil(core.classify(204))
      assert.is_nil(core.classify(302))
    end)

    it("names the class of each 4xx and 5xx", function()
      assert.equal("BadRequestError", core.classify(400))
      assert.equal("AuthenticationError", core.classify(401))
      assert.equal("AuthorizationError", core.classify(403))
      assert.equal("NotFoundError", core.classify(404))
      assert.equal("ConflictError", core.classify(409))
      assert.equal("PayloadTooLargeError", core.classify(413))
      assert.equal("TooManyRequestsError", core.classify(429))
      assert.equal("ApiError", core.classify(418))
      assert.equal("ServerError", core.classify(500))
      assert.equal("ServerError", core.classify(503))
    end)

    it("raises on a non-integer status", function()
      assert.has_error(function() core.classify("404") end)
      assert.has_error(function() core.classify(404.5) end)
    end)

    it("tells which statuses are worth retrying", function()
      assert.is_true(core.retryable(429))
      assert.is_true(core.retryable(503))
      assert.is_false(core.retryable(500))
      assert.is_false(core.retryable(404))
    end)
  end)

  describe("retry_after parses Retry-After", function()
    it("reads delta-seconds", function()
      assert.equal(120, core.retry_after("120"))
      assert.equal(0, core.retry_after("0"))
      assert.equal(7, core.retry_after(7))
    end)

    it("reads an HTTP date relative to now", function()
      -- Wed, 21 Oct 2015 07:28:00 GMT is 1445412480
      assert.equal(30, core.retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412450))
      assert.equal(0, core.retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490))
      -- against the wall clock: a date in the past
      assert.equal(0, core.retry_after("Wed, 21 Oct 2015 07:28:00 GMT"))
    end)

    it("gives nil for anything else", function()
      assert.is_nil(core.retry_after("soon"))
      assert.is_nil(core.retry_after(""))
      assert.is_nil(core.retry_after(nil))
      assert.is_nil(core.retry_after("-5"))
    end)
  end)

  describe("backoff", function()
    it("doubles from base and stops at cap", function()
      assert.equal(0.5, core.backoff(1, 0.5, 10))
      assert.equal(1, core.backoff(2, 0.5, 10))
      assert.equal(2, core.backoff(3, 0.5, 10))
      assert.equal(10, core.backoff(10, 0.5, 10))
      assert.equal(10, core.backoff(5000, 0.5, 10))
    end)

    it("takes a random part off with jitter, never more than the fraction", function()
      for _ = 1, 50 do
        local d = core.backoff(3, 1, 100, 0.5)
        assert.is_true(d > 2 and d <= 4, tostring(d))
      end
    end)

    it("raises on invalid arguments", function()
      assert.has_error(function() core.backoff(0, 1, 10) end)
      assert.has_error(function() core.backoff(1.5, 1, 10) end)
      assert.has_error(function() core.backoff(1, -1, 10) end)
      assert.has_error(function() core.backoff(1, 1, 10, 2) end)
    end)
  end)

  describe("monotonic", function()
    it("never goes backwards", function()
      local a = core.monotonic()
      sleep(0.01)
      local b = core.monotonic()
      assert.is_true(b > a)
    end)
  end)

  describe("sleep", function()
    it("blocks for about the given number of seconds", function()
      local a = core.monotonic()
      core.sleep(0.05)
      local d = core.monotonic() - a
      assert.is_true(d >= 0.049 and d < 1, tostring(d))
      core.sleep(0)
    end)

    it("returns true after sleeping the whole time", function()
      assert.is_true(core.sleep(0.01))
    end)

    it("ends early on a signal, so Ctrl-C stops a script waiting out a Retry-After", function()
      -- a child interpreter sleeps 10 s and gets SIGINT after 0.3 s: lua5.4 and
      -- luajit turn the signal into an "interrupted!" error once the sleep returns
      local script = os.tmpname()
      local f = assert(io.open(script, "w"))
      f:write('local core = require "kibana.core"; local t0 = core.monotonic(); '
        .. 'local ok, err = pcall(function() core.sleep(10); return 1 end); '
        .. 'io.write(string.format("%s %.2f %s", tostring(ok), core.monotonic() - t0, tostring(err)))')
      f:close()
      -- the interpreter running this spec: the module in package.cpath is built for it
      local interp = rawget(_G, "jit") and "luajit" or "lua5.4"
      local cmd = ("LUA_CPATH=%q %s %s & pid=$!; sleep 0.3; kill -INT $pid; wait $pid")
        :format(package.cpath, interp, script)
      local p = io.popen(cmd)
      local out = p:read("*a")
      p:close()
      os.remove(script)
      local ok, secs, err = out:match("^(%a+) ([%d.]+) (.*)$")
      assert.equal("false", ok, out)
      assert.matches("interrupted", err)
      assert.is_true(tonumber(secs) < 5, "slept " .. tostring(secs) .. " s")
    end)

    it("raises on a negative or non-number duration", function()
      assert.has_error(function() core.sleep(-1) end)
      assert.has_error(function() core.sleep("soon") end)
    end)
  end)

  ------------------------------------------------------------------------
  describe("space cache", function()
    it("answers nil until told, then what it was told", function()
      local c = core.space_cache(60, 60)
      assert.is_nil(c:get("marketing"))
      c:put("marketing", "exists")
      c:put("ghost", "missing")
      assert.equal("exists", c:get("marketing"))
      assert.equal("missing", c:get("ghost"))
      c:close()
    end)

    it("forgets an answer once its TTL has passed", function()
      local c = core.space_cache(0.05, 0.05)
      c:put("marketing", "exists")
      assert.equal("exists", c:get("marketing"))
      sleep(0.08)
      assert.is_nil(c:get("marketing"))
    end)

    it("does not cache misses when missing_ttl is 0", function()
      local c = core.space_cache(60, 0)
      c:put("ghost", "missing")
      assert.is_nil(c:get("ghost"))
    end)

    it("counts hits, misses and lookups", function()
      local c = core.space_cache(60)
      c:get("a")            -- miss
      c:put("a", "exists")
      c:get("a")            -- hit
      c:get("a")            -- hit
      c:get("b")            -- miss
      local s = c:stats()
      assert.same({ hits = 2, misses = 2, lookups = 4, size = 1 }, s)
    end)

    it("invalidates one id, or clears everything", function()
      local c = core.space_cache(60)
      c:put("a", "exists")
      c:put("b", "exists")
      c:invalidate("a")
      assert.is_nil(c:get("a"))
      assert.equal("exists", c:get("b"))
      c:clear()
      assert.is_nil(c:get("b"))
      assert.equal(0, c:stats().size)
    end)

    it("applies new TTLs to what is already stored", function()
      local c = core.space_cache(60)
      c:put("a", "exists")
      c:set_ttl(0.03, 0)
      sleep(0.06)
      assert.is_nil(c:get("a"))
    end)

    it("closes idempotently and refuses use after close", function()
      local c = core.space_cache(60)
      c:close()
      c:close()
      assert.has_error(function() c:get("a") end, "space cache is closed")
      assert.has_error(function() c:put("a", "exists") end, "space cache is closed")
      assert.has_error(function() c:stats() end, "space cache is closed")
      assert.matches("closed", tostring(c))
    end)

    it("is freed by the garbage collector when dropped", function()
      for _ = 1, 100 do
        local c = core.space_cache(60)
        c:put("x", "exists")
      end
      collectgarbage()
      collectgarbage()
    end)

    it("raises on bad arguments", function()
      local c = core.space_cache(60)
      assert.has_error(function() c:put("a", "maybe") end)
      assert.has_error(function() c:get(nil) end)
      assert.has_error(function() core.space_cache(-1) end)
      assert.has_error(function() core.space_cache(0 / 0) end)
      assert.has_error(function() c.get({}, "a") end)
    end)
  end)

  ------------------------------------------------------------------------
  describe("http connection", function()
    it("reports a refused connection as nil, \"connection\", message", function()
      local port = free_port()
      local conn = core.http{ timeout = 5, proxy = "" }
      local res, kind, msg = conn:request("GET", ("http://127.0.0.1:%d/"):format(port))
      assert.is_nil(res)
      assert.equal("connection", kind)
      assert.matches("127.0.0.1:" .. port, msg, 1, true)
      conn:close()
    end)

    it("reports a server that never answers as nil, \"timeout\", message", function()
      local server = assert(socket.bind("127.0.0.1", 0)) -- listens, never accepts
      local _, port = server:getsockname()
      local conn = core.http{ timeout = 0.3, proxy = "" }
      local t0 = core.monotonic()
      local res, kind, msg = conn:request("GET", ("http://127.0.0.1:%d/"):format(port))
      local elapsed = core.monotonic() - t0
      server:close()
      assert.is_nil(res)
      assert.equal("timeout", kind)
      assert.is_string(msg)
      assert.is_true(elapsed >= 0.25 and elapsed < 3, tostring(elapsed))
    end)

    it("reports other failures as \"transport\"", function()
      local conn = core.http()
      local res, kind = conn:request("GET", "ftp://127.0.0.1/")
      assert.is_nil(res)
      assert.equal("transport", kind)
    end)

    it("closes idempotently and refuses requests once closed", function()
      local conn = core.http()
      conn:close()
      conn:close()
      assert.has_error(function() conn:request("GET", "http://127.0.0.1/") end,
        "http connection is closed")
    end)

    it("raises on bad options and arguments, naming them", function()
      assert.has_error(function() core.http{ timeout = "5" } end)
      assert.has_error(function() core.http{ timeout = -1 } end)
      assert.has_error(function() core.http{ verify = "no" } end)
      assert.has_error(function() core.http{ ca_file = 42 } end)
      local conn = core.http()
      assert.has_error(function() conn:request("FETCH", "http://127.0.0.1/") end)
      assert.has_error(function() conn:request("GET", nil) end)
      assert.has_error(function() conn:request("GET", "http://127.0.0.1/", { "X: a\r\nY: b" }) end)
      assert.has_error(function() conn:request("GET", "http://127.0.0.1/", { "no colon" }) end)
      assert.has_error(function() conn:request("POST", "http://127.0.0.1/", nil, {}) end)
    end)

    describe("against a local echo server", function()
      local python = io.popen("command -v python3 2>/dev/null"):read("*l")
      local port, base, conn, key
      -- Echoes each request as JSON. /gzip compresses, /dup repeats a header,
      -- /redirect answers 302, /drop closes without answering.
      local server_py = [[
import gzip, json, socket, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("latin-1") if n else None
        if self.path == "/drop":
            self.connection.shutdown(socket.SHUT_RDWR); self.close_connection = True; return
        if self.path == "/cut":
            self.send_response(200); self.send_header("Content-Length", "100"); self.end_headers()
            self.wfile.write(b'{"cut": "sh'); self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR); self.close_connection = True; return
        out = json.dumps({"method": self.command, "path": self.path, "body": body,
                          "port": self.client_address[1],
                          "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        status = 302 if self.path == "/redirect" else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if self.path == "/redirect": self.send_header("Location", "/elsewhere")
        if self.path == "/dup":
            self.send_header("X-Dup", "one"); self.send_header("X-Dup", "two")
        self.send_header("X-Spaces", "   padded   ")
        if self.path == "/gzip" and "gzip" in (self.headers.get("Accept-Encoding") or ""):
            out = gzip.compress(out); self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(out)
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any
srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
if len(sys.argv) > 3:  # TLS: cert.pem key.pem
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
]]

      local openssl = io.popen("command -v openssl 2>/dev/null"):read("*l")
      local pidfiles, tmpfiles = {}, {}
      local tls_port, cert

      local function tmp()
        local name = os.tmpname()
        tmpfiles[#tmpfiles + 1] = name
        return name
      end

      -- Starts the echo server on a free port (TLS when cert/key are given).
      local function start(script, ...)
        local p = free_port()
        local pidfile = tmp()
        pidfiles[#pidfiles + 1] = pidfile
        os.execute(("%s %s %d %s >/dev/null 2>&1 & echo $! > %s")
          :format(python, script, p, table.concat({ ... }, " "), pidfile))
        for _ = 1, 100 do -- wait until it listens
          local s = socket.connect("127.0.0.1", p)
          if s then s:close() break end
          sleep(0.05)
        end
        return p
      end

      setup(function()
        if not python then return end
        local script = tmp()
        local f = assert(io.open(script, "w"))
        f:write(server_py)
        f:close()
        port = start(script)
        base = ("http://127.0.0.1:%d"):format(port)
        conn = core.http{ timeout = 5, user_agent = "lua-kibana-spec", proxy = "" } -- "" ignores http_proxy
        if openssl then
          cert, key = tmp(), tmp()
          local ok = os.execute(("%s req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
            .. "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout %s -out %s >/dev/null 2>&1")
            :format(openssl, key, cert))
          if ok then tls_port = start(script, cert, key) end
        end
      end)

      teardown(function()
        if conn then conn:close() end
        for _, pidfile in ipairs(pidfiles) do
          local f = io.open(pidfile)
          local pid = f and f:read("*l")
          if f then f:close() end
          if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
        end
        for _, name in ipairs(tmpfiles) do os.remove(name) end
      end)

      local function echo(method, path, headers, body)
        local res, kind, msg = conn:request(method, base .. path, headers, body)
        assert(res, tostring(kind) .. ": " .. tostring(msg))
        return res, res.body ~= "" and core.json_decode(res.body) or nil
      end

      it("returns status, lower-cased trimmed headers, body and duration", function()
        assert(python, "python3 not found (tools/deps.sh installs it)")
        local res, e = echo("GET", "/api/status")
        assert.equal(200, res.status)
        assert.equal("application/json", res.headers["content-type"])
        assert.equal("padded", res.headers["x-spaces"])
        assert.is_number(res.duration)
        assert.equal("GET", e.method)
        assert.equal("/api/status", e.path)
        assert.equal("lua-kibana-spec", e.headers["user-agent"])
      end)

      it("sends the caller's headers, given as lines or as a map", function()
        assert(python, "python3 not found (tools/deps.sh installs it)")
        local _, e = echo("GET", "/", { "kbn-xsrf: true", "Authorization: ApiKey abc" })
        assert.equal("true", e.headers["kbn-xsrf"])
        assert.equal("ApiKey abc", e.headers["authorization"])
        _, e = echo("GET", "/", { ["X-Opaque-Id"] = "42" })
        assert.equal("42", e.headers["x-opaque-id"])
      end)

      it("sends a body with POST, PUT and PATCH, and none with a later GET", function()
        assert(python, "python3 not found (tools/deps.sh installs it)")
        for _, m in ipairs{ "POST", "PUT", "PATCH" } do
          local _, e = echo(m, "/b", { "Content-Type: application/json" }, '{"a":1}')
          assert.equal(m, e.method)
          assert.equal('{"a":1}', e.body)
          assert.equal("application/json", e.headers["content-type"])
        end
        local _, e = echo("GET", "/after")
        assert.equal("GET", e.method)
        assert.equal(core.null, e.body) -- the server read no body
        assert.is_nil(e.headers["content-length"])
        assert.is_nil(e.headers["content-type"])
      end)

      it("does not invent a Content-Type or an Expect header", function()
        assert(python, "python3 not found (tools/deps.sh installs it)")
        local _, e = echo("POST", "/", nil, ("x"):rep(5000))
        assert.is_nil(e.headers["content-type"])
        assert.is_nil(e.headers["expect"])
        assert.equal(5000, #e.body)
        _, e = echo("POST", "/")
        assert.equal("0", e.headers["content-length"])
      end)

      it("sends DELETE, and HEAD without reading a body", function()
        assert(python, "python3 not found (tools/deps.sh installs it)")
        local _, e = echo("DELETE", "/x")
        assert.equal("DELETE", e.method)
        local res = conn:request("HEAD", base .. "/x")
        assert.equal(200, res.status)
        assert.equal("", res.body)
        assert.is_string(res.headers["content-length"])
        _, e = echo("get", "/lower") -- method names are case-insensitive
        assert.equal("GET", e.method)
      end)

      it("reuses one connection for successive requests (keep-alive)", function()
        assert(python, "python3 not found (tools/deps.sh installs it)")
        local _, a = echo("GET", "/1")
        local _, b = echo("POST", "/2", nil, "x")
        local _, c = echo("GET", "/3")
        assert.equal(a.port, b.port)
        assert.equal(b.port, c.port)
      end)

      it("asks for gzip and hands back the decompressed body", function()
        assert(python, "python3 not found (tools/deps.sh installs it)")
        local res, e = echo("GET", "/gzip")
        assert.equal("gzip", res.headers["content-encoding"])
        assert.equal("/gzip", e.path)
        assert.matches("gzip", e.headers["accept-encoding"])
      end)

      it("joins repeated response headers with ', '", function()
        assert(python, "python3 not found (tools/deps.sh installs it)")
        local res = echo("GET", "/dup")
        assert.equal("one, two", res.headers["x-dup"])
      end)

      it("returns redirects as they are, without following them", function()
        assert(python, "python3 not found (tools/deps.sh installs it)")
        local res = echo("GET", "/redirect")
        assert.equal(302, res.status)
        assert.equal("/elsewhere", res.headers["location"])
      end)

      it("reports a connection dropped without an answer as \"connection\"", function()
        assert(python, "python3 not found (tools/deps.sh installs it)")
        local res, kind, msg = conn:request("GET", base .. "/drop")
        assert.is_nil(res)
        assert.equal("connection", kind)
        assert.matches("127.0.0.1:" .. port, msg, 1, true)
        -- and the connection object still works afterwards
        assert.equal(200, (echo("GET", "/again")).status)
      end)

      it("reports a body cut short as \"connection\" with the status that had arrived", function()
        assert(python, "python3 not found (tools/deps.sh installs it)")
        local res, kind, msg, status = conn:request("GET", base .. "/cut")
        assert.is_nil(res)
        assert.equal("connection", kind)
        assert.is_string(msg)
        assert.equal(200, status)
        -- a failure before any answer carries no status
        local _, _, _, none = conn:request("GET", base .. "/drop")
        assert.is_nil(none)
      end)

      it("verifies TLS certificates by default", function()
        assert(tls_port, "python3 or openssl not found (tools/deps.sh installs them)")
        local url = ("https://127.0.0.1:%d/tls"):format(tls_port)
        local c = core.http{ timeout = 5, proxy = "" }
        local res, kind, msg = c:request("GET", url)
        assert.is_nil(res)
        assert.equal("tls", kind)
        assert.matches("127.0.0.1:" .. tls_port, msg, 1, true)
        c:close()
      end)

      it("trusts a certificate authority given with ca_file", function()
        assert(tls_port, "python3 or openssl not found (tools/deps.sh installs them)")
        local c = core.http{ timeout = 5, proxy = "", ca_file = cert }
        local res, kind, msg = c:request("GET", ("https://127.0.0.1:%d/tls"):format(tls_port))
        assert(res, tostring(kind) .. ": " .. tostring(msg))
        assert.equal(200, res.status)
        assert.equal("/tls", core.json_decode(res.body).path)
        c:close()
      end)

      it("skips verification with verify = false", function()
        assert(tls_port, "python3 or openssl not found (tools/deps.sh installs them)")
        local c = core.http{ timeout = 5, proxy = "", verify = false }
        local res = c:request("GET", ("https://127.0.0.1:%d/tls"):format(tls_port))
        assert.equal(200, res.status)
        c:close()
      end)

      it("reports a missing ca_file as \"tls\"", function()
        assert(tls_port, "python3 or openssl not found (tools/deps.sh installs them)")
        local c = core.http{ timeout = 5, proxy = "", ca_file = "/nonexistent/ca.pem" }
        local res, kind = c:request("GET", ("https://127.0.0.1:%d/tls"):format(tls_port))
        assert.is_nil(res)
        assert.equal("tls", kind)
        c:close()
      end)

      it("reports a TLS handshake with a plain HTTP server as \"tls\"", function()
        assert(python, "python3 not found (tools/deps.sh installs it)")
        local res, kind = conn:request("GET", ("https://127.0.0.1:%d/"):format(port))
        assert.is_nil(res)
        assert.equal("tls", kind)
      end)
    end)
  end)
end)
