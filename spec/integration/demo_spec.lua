-- examples/provision.lua (what `make demo` runs) against the emulator: it
-- provisions two tenants and prints a summary a person can read.

local emu = require "spec.support.emulator"

local function run_example()
  local key = emu.api_key()
  local env = ("KIBANA_URL=%s %s"):format(emu.sh_quote(emu.url()),
    key and ("KIBANA_API_KEY=" .. emu.sh_quote(key))
        or "KIBANA_USERNAME=elastic KIBANA_PASSWORD=changeme")
  -- the interpreter running this spec: kibana.core in package.cpath is built for it
  local interp = rawget(_G, "jit") and "luajit" or "lua5.4"
  local p = io.popen(env .. " " .. interp .. " examples/provision.lua 2>&1; echo \"exit=$?\"")
  local out = p:read("*a")
  p:close()
  return out
end

describe("the provisioning example (make demo)", function()
  before_each(emu.reset)

  it("provisions both tenants and prints what it did", function()
    local out = run_example()
    assert.matches("exit=0", out, 1, true)
    assert.matches("Connected to Kibana 8.15.0 (available)", out, 1, true)
    assert.matches("space acme     (created)", out, 1, true)
    assert.matches("space globex   (created)", out, 1, true)
    assert.matches('"ACME Corp audit log" -> index audit-acme, test run: ok', out, 1, true)
    assert.matches('"Globex overview" (1 reference)', out, 1, true)
    assert.matches("Spaces now: acme, default, globex", out, 1, true)
  end)

  it("shows isolation and the typo caught before any write", function()
    local out = run_example()
    assert.matches("NotFoundError: Saved object %[dashboard/[%x-]+%] not found %(space 'globex'%)", out)
    assert.matches("SpaceNotFoundError: space 'acmee' not found", out, 1, true)
    assert.matches("connectors in the orphan namespace 'acmee': 0", out, 1, true)
    for _, r in ipairs(emu.requests()) do
      assert.is_nil(r.method ~= "GET" and r.path:find("^/s/acmee/") or nil, r.path)
    end
  end)

  it("can run twice: existing spaces are reused", function()
    run_example()
    local out = run_example()
    assert.matches("exit=0", out, 1, true)
    assert.matches("space acme     (already there)", out, 1, true)
  end)
end)
