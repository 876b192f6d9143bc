-- emulator/kibana-emulator, the launcher: daemon and foreground modes, port 0,
-- busy ports, --stop, --api-key, --config errors (BEHAVIOUR §2.4 credentials,
-- §1.2 --strict-spaces labelling).

local emu = require "spec.support.emulator"
local http = require "spec.support.http"
local socket = require "socket"

local q = emu.sh_quote
local BIN = emu.launcher()

local function tmpdir()
  local d = os.tmpname()
  os.remove(d)
  return d
end

local function answers(url)
  local r = http.request{ url = url, path = "/_emulator/health" }
  return r ~= nil and r.status == 200
end

describe("launcher --help (BEHAVIOUR §1.2: --strict-spaces is labelled non-Kibana)", function()
  it("prints usage and exits 0", function()
    local out, ok = emu.run(BIN .. " --help")
    assert.is_true(ok)
    assert.truthy(out:find("--port N", 1, true))
    assert.truthy(out:find("--strict-spaces", 1, true))
    assert.truthy(out:find("NOT Kibana's behaviour", 1, true))
  end)

  it("refuses unknown options and bad ports with a non-zero exit", function()
    local out, ok = emu.run(BIN .. " --bogus")
    assert.is_false(ok)
    assert.truthy(out:find("unknown option: --bogus", 1, true))
    out, ok = emu.run(BIN .. " --port 70000 --daemon")
    assert.is_false(ok)
    assert.truthy(out:find("invalid port: 70000", 1, true))
  end)
end)

describe("launcher --daemon --port 0 and --stop (BEHAVIOUR §2.4 printed API key)", function()
  it("picks a free port, prints the API key then ready, and --stop stops it", function()
    local dir = tmpdir()
    local out, ok = emu.run(BIN .. " --daemon --port 0 --dir " .. q(dir))
    assert.is_true(ok, out)
    local key, url = out:match("^api key: (%S+)\nready (http://127%.0%.0%.1:%d+)\n$")
    assert.is_string(key, out)
    assert.is_string(url, out)
    assert.is_true(answers(url))
    assert.are.equal(200, http.request{ url = url, path = "/api/actions/connectors", auth = "apikey",
                                        api_key = key }.status)
    local f = io.open(dir .. "/nginx.pid")
    assert.truthy(f)
    f:close()
    out, ok = emu.run(BIN .. " --stop --dir " .. q(dir))
    assert.is_true(ok, out)
    assert.are.equal("stopped\n", out)
    assert.is_false(answers(url))
    out, ok = emu.run(BIN .. " --stop --dir " .. q(dir))
    assert.is_false(ok)
    assert.truthy(out:find("no emulator is running in " .. dir, 1, true))
    os.execute("rm -rf " .. q(dir))
  end)

  it("uses ${TMPDIR}/kibana-emulator-<port> when no --dir is given", function()
    local base = tmpdir()
    assert.is_true(os.execute("mkdir -p " .. q(base)) == true or true)
    local env = "TMPDIR=" .. q(base) .. " "
    local out, ok = emu.run(env .. BIN .. " --daemon --port 0")
    assert.is_true(ok, out)
    local port = out:match("ready http://127%.0%.0%.1:(%d+)")
    local f = io.open(base .. "/kibana-emulator-" .. port .. "/nginx.pid")
    assert.truthy(f, "state dir")
    f:close()
    out, ok = emu.run(env .. BIN .. " --stop --port " .. port)
    assert.is_true(ok, out)
    assert.is_false(answers("http://127.0.0.1:" .. port))
    os.execute("rm -rf " .. q(base))
  end)

  it("accepts --api-key as id:key (printed base64-encoded) and as base64", function()
    local inst = assert(emu.start_extra("--api-key myid:mysecret"))
    local encoded = http.b64("myid:mysecret")
    assert.are.equal(encoded, inst.api_key)
    assert.are.equal(200, http.request{ url = inst.url, path = "/api/spaces/space", auth = "apikey",
                                        api_key = encoded }.status)
    inst.stop()
    inst = assert(emu.start_extra("--api-key " .. encoded))
    assert.are.equal(encoded, inst.api_key)
    inst.stop()
  end)
end)

describe("launcher on a busy port (emulator tooling; BEHAVIOUR has no section for it)", function()
  it("fails fast with a clear message and a non-zero exit", function()
    local server = assert(socket.bind("127.0.0.1", 0))
    local _, port = server:getsockname()
    local started = socket.gettime()
    local dir = tmpdir()
    local out, ok = emu.run(BIN .. " --daemon --port " .. port .. " --dir " .. q(dir))
    server:close()
    assert.is_false(ok)
    assert.truthy(out:find("port " .. port .. " is already in use", 1, true), out)
    assert.is_true(socket.gettime() - started < 10)
    os.execute("rm -rf " .. q(dir))
  end)

  it("with --port 0 never picks a port that is taken (it tries binding)", function()
    local inst = assert(emu.start_extra(""))
    local port = tonumber(inst.url:match(":(%d+)$"))
    assert.is_true(port > 0)
    local dir = tmpdir()
    local out, ok = emu.run(BIN .. " --daemon --port " .. port .. " --dir " .. q(dir))
    assert.is_false(ok)
    assert.truthy(out:find("already in use", 1, true))
    inst.stop()
    -- the failed start removed the state dir it had created
    assert.is_nil(io.open(dir .. "/nginx.conf"))
  end)

  it("refuses to start a second emulator in a state dir that has one running", function()
    local inst = assert(emu.start_extra(""))
    local out, ok = emu.run(BIN .. " --daemon --port 0 --dir " .. q(inst.dir))
    assert.is_false(ok)
    assert.truthy(out:find("already running from " .. inst.dir, 1, true), out)
    assert.is_true(answers(inst.url))
    inst.stop()
  end)
end)

describe("launcher in the foreground (emulator tooling; BEHAVIOUR has no section for it)", function()
  it("prints ready, serves, and exits when stopped", function()
    local dir = tmpdir()
    local p = io.popen(BIN .. " --port 0 --dir " .. q(dir) .. " 2>&1")
    local key_line = p:read("*l")
    local ready = p:read("*l")
    assert.matches("^api key: ", key_line)
    local url = ready:match("^ready (http://127%.0%.0%.1:%d+)$")
    assert.is_string(url, ready)
    assert.is_true(answers(url))
    local out, ok = emu.run(BIN .. " --stop --dir " .. q(dir))
    assert.is_true(ok, out)
    local rest = p:read("*a")
    local closed = { p:close() }
    assert.are.equal("", rest)
    assert.is_true(closed[1])
    assert.is_false(answers(url))
    os.execute("rm -rf " .. q(dir))
  end)
end)

describe("launcher --config errors (BEHAVIOUR §2.4 principals, §2.5 403s: the config that defines them)", function()
  local function with_config(text, ext)
    local path = os.tmpname()
    os.remove(path)
    path = path .. ext
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
    local inst, out = emu.start_extra("--config " .. q(path))
    os.remove(path)
    return inst, out
  end

  it("reports an unreadable file", function()
    local out, ok = emu.run(BIN .. " --daemon --port 0 --config /nonexistent/x.json")
    assert.is_false(ok)
    assert.truthy(out:find("cannot read config file: /nonexistent/x.json", 1, true))
  end)

  it("reports invalid JSON and unknown keys, and does not start", function()
    local inst, out = with_config('{"users": [', ".json")
    assert.is_nil(inst)
    assert.truthy(out:find("kibana-emulator config:", 1, true), out)
    assert.truthy(out:find("invalid JSON", 1, true), out)
    inst, out = with_config('{"userz": []}', ".json")
    assert.is_nil(inst)
    assert.truthy(out:find("unknown key 'userz'", 1, true), out)
    inst, out = with_config('return { users = { { username = "x" } } }', ".lua")
    assert.is_nil(inst)
    assert.truthy(out:find("users[1].password must be a non-empty string", 1, true), out)
  end)
end)
