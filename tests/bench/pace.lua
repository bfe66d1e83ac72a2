-- wrk script: send at a fixed total rate (Debian's wrk has no -R and there is no wrk2).
-- usage: wrk -tT -cC -s pace.lua URL -- RATE T
-- Each wrk thread claims evenly spaced send slots (RATE/T per second) and delays every
-- request until its slot. wrk delays in whole milliseconds, so single requests may leave up
-- to 1 ms early, but the average rate holds as long as C is large enough that connections
-- are free when their slot comes. Latency is measured from the actual send (no coordinated
-- omission correction as in wrk2): report the achieved rate next to it.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } zt_pace_timespec;
int clock_gettime(int clk, zt_pace_timespec *ts);
]]

local ts = ffi.new("zt_pace_timespec")
local interval = 0.1	-- ms between this thread's slots; set by init()
local next_slot = nil

local function now_ms()
	ffi.C.clock_gettime(1, ts)	-- CLOCK_MONOTONIC
	return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

function init(args)
	local rate = tonumber(args[1] or "10000")
	local threads = tonumber(args[2] or "1")
	interval = 1000 * threads / rate
end

function delay()
	local now = now_ms()
	-- Behind by more than 100 ms (server stalled): restart the schedule, don't burst.
	if next_slot == nil or next_slot < now - 100 then
		next_slot = now
	end
	local d = next_slot - now
	next_slot = next_slot + interval
	if d < 0 then
		return 0
	end
	return math.floor(d)
end
