-- kibana.space_validator on its own: the cache, in-flight lookups and what
-- invalidation keeps in memory. The lookup is a plain Lua function here.

local space_validator = require "kibana.space_validator"

local function count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

describe("the space validator's bookkeeping", function()
  it("keeps nothing per id for invalidations made while no lookup is in flight", function()
    local v = space_validator.new{ ttl = 300 }
    for i = 1, 1000 do
      local id = "tenant-" .. i
      assert.equal("exists", v:check(id, function() return "exists" end))
      v:invalidate(id)
    end
    assert.equal(0, count(v.generation))
    assert.equal(0, v:stats().size)
  end)

  it("an invalidation during a lookup keeps that lookup's answer out of the cache", function()
    local v = space_validator.new{ ttl = 300 }
    local state = v:check("marketing", function(id)
      v:invalidate(id) -- spaces:delete("marketing") ran meanwhile
      return "exists"
    end)
    assert.equal("exists", state)
    assert.equal(0, v:stats().size)
    local asked = 0
    v:check("marketing", function() asked = asked + 1; return "exists" end)
    assert.equal(1, asked)
  end)
end)
