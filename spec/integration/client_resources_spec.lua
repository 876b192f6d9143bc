-- Connections and file descriptors of the libcurl transport against the
-- Kibana emulator: one kept-alive connection per client (shared by its scoped
-- clients and by space validation), close(), and garbage-collected clients.
-- Linux only: it reads /proc/<pid>/fd and /proc/net/tcp{,6}.

local kibana = require "kibana"
local errors = kibana.errors
local emu = require "spec.support.emulator"
local support_client = require "spec.support.client"

local new_client = support_client.new

-- this Lua process's pid (io.popen would run a shell with its own /proc/self)
local PID = io.open("/proc/self/stat"):read("*l"):match("^(%d+)")

local function fd_links()
  local out = {}
  local p = io.popen("ls -l /proc/" .. PID .. "/fd 2>/dev/null")
  for line in p:lines() do
    local target = line:match("%->%s*(.+)$")
    if target then out[#out + 1] = target end
  end
  p:close()
  return out
end

local function fd_count()
  return #fd_links()
end

-- local ports of this process's TCP connections to the emulator's port
local function connections_to_emulator()
  local port = tonumber(emu.url():match(":(%d+)$"))
  local inodes = {}
  for _, target in ipairs(fd_links()) do
    local inode = target:match("^socket:%[(%d+)%]$")
    if inode then inodes[inode] = true end
  end
  local ports = {}
  for _, file in ipairs{ "/proc/net/tcp", "/proc/net/tcp6" } do
    local f = io.open(file)
    if f then
      for line in f:lines() do
        local lport, rport, inode = line:match("^%s*%d+:%s+%x+:(%x+)%s+%x+:(%x+)%s+%x+%s+%S+%s+%S+%s+%S+%s+%d+%s+%d+%s+(%d+)")
        if inode and inodes[inode] and tonumber(rport, 16) == port then
          ports[#ports + 1] = tonumber(lport, 16)
        end
      end
      f:close()
    end
  end
  table.sort(ports)
  return ports
end

-- connections opened since the list `before` was taken
local function new_since(before)
  local old = {}
  for _, p in ipairs(before) do old[p] = true end
  local out = {}
  for _, p in ipairs(connections_to_emulator()) do
    if not old[p] then out[#out + 1] = p end
  end
  return out
end

describe("one client's connection against the emulator", function()
  before_each(emu.reset)

  it("is opened once and kept alive across GET, POST, PUT, DELETE, spaces, validation and scoped clients", function()
    local before = connections_to_emulator()
    local c = new_client()
    c.spaces:create{ id = "marketing", name = "Marketing" }
    local first = new_since(before)
    assert.equal(1, #first)
    local m = c:space("marketing")
    for i = 1, 10 do
      local conn = c.actions:create{ name = "c" .. i, connector_type_id = ".index", config = { index = "i" },
                                     space_id = "marketing" }
      c.actions:update{ id = conn.id, name = "d" .. i, config = { index = "i" }, space_id = "marketing" }
      m.actions:get(conn.id)
      m.actions:delete(conn.id)
      c:space_cache().clear() -- the next call validates again, on the same connection
    end
    assert.same(first, new_since(before))
  end)

  it("is closed by client:close(), and later calls are a ValidationError", function()
    local before = connections_to_emulator()
    local c = new_client()
    c:status()
    local mine = new_since(before)
    assert.equal(1, #mine)
    c:close()
    for _, p in ipairs(connections_to_emulator()) do
      assert.are_not.equal(mine[1], p)
    end
    local ok, err = pcall(c.status, c)
    assert.is_false(ok)
    assert.is_true(errors.is(err, errors.ValidationError))
    assert.matches("closed", tostring(err), 1, true)
  end)
end)

describe("many clients against the emulator", function()
  before_each(emu.reset)

  it("10 000 clients that each made a request leave no descriptor open once collected", function()
    collectgarbage()
    collectgarbage()
    local before = fd_count()
    local peak = before
    for i = 1, 10000 do
      local c = new_client()
      c:status()
      if i % 500 == 0 then
        collectgarbage()
        peak = math.max(peak, fd_count())
      end
    end
    collectgarbage()
    collectgarbage()
    assert.is_true(fd_count() <= before, "descriptors: " .. fd_count() .. " after, " .. before .. " before")
    assert.is_true(peak - before < 20, "descriptors peaked at " .. peak .. " (from " .. before .. ")")
  end)
end)
