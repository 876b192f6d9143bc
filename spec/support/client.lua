-- spec/support/client.lua: a kibana client for the integration specs, talking to
-- the emulator the test run started (spec/support/emulator.lua).
--   local client = require "spec.support.client"
--   local c = client.new{ raise = false }      -- emulator URL and credentials filled in
--   local err = client.catch(f, ...)           -- asserts that f raises, returns the error
local kibana = require "kibana"
local emu = require "spec.support.emulator"

local pcall = pcall
local error = error

local _M = {}

-- new(opts) -> client: the key the emulator printed; without one (an external
-- emulator whose key was not passed on), its documented Basic credentials.
function _M.new(opts)
  opts = opts or {}
  if opts.api_key == nil and opts.username == nil and opts.bearer == nil then
    opts.api_key = emu.api_key()
    if opts.api_key == nil then
      opts.username, opts.password = "elastic", "changeme"
    end
  end
  return kibana.new(emu.url(), opts)
end

function _M.catch(f, ...)
  local ok, err = pcall(f, ...)
  if ok then
    error("expected an error, but the call succeeded", 2)
  end
  return err
end

return _M
