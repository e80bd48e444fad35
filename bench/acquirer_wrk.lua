-- wrk script of bench/acquirer_load_bench.py: POSTs each pre-signed payment request of a file (one
-- compact JWS a line) exactly once to /v1/payments, counts the answers by HTTP status, and ends wrk
-- (SIGINT to itself) as soon as every body has its answer, so the run's duration is the real one.
-- Run with one wrk thread: wrk -t1 -cN -dCEILING -s acquirer_wrk.lua URL -- BODIES_FILE
local ffi = require("ffi")
ffi.cdef [[
int kill(int pid, int sig);
int getpid(void);
]]

local the_thread = nil

function setup(thread)
  the_thread = thread
end

function init(args)
  bodies = {}
  local headers = { ["Content-Type"] = "application/jose" }
  for line in io.lines(args[1]) do
    if #line > 0 then
      bodies[#bodies + 1] = wrk.format("POST", "/v1/payments", headers, line)
    end
  end
  body_count = #bodies
  sent = 0
  answered = 0
  statuses = {}
  finished = false
  checked = false
end

-- once every body is sent, a connection waits (it is never woken: wrk ends first)
function delay()
  if sent >= #bodies then
    return 600000
  end
  return 0
end

-- wrk 4.1 calls request() once on its own before the run, to check the script, and sends nothing:
-- that call gets the first body without counting it, so every body is still sent once
function request()
  if not checked then
    checked = true
    return bodies[1]
  end
  if sent < #bodies then
    sent = sent + 1
    return bodies[sent]
  end
  -- only reached if the ceiling came first; answered 404, never counted as a payment's answer
  return wrk.format("GET", "/v1/keys/none")
end

function response(status, headers, body)
  if status == 404 then
    return
  end
  answered = answered + 1
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if answered == #bodies and not finished then
    finished = true
    wrk.thread:stop()
    ffi.C.kill(ffi.C.getpid(), 2)
  end
end

function done(summary, latency, requests)
  local t = the_thread
  local parts = {}
  for status, n in pairs(t:get("statuses")) do
    parts[#parts + 1] = string.format('"%s": %d', status, n)
  end
  local errors = summary.errors
  io.write(string.format(
    'wrk-result {"bodies": %d, "sent": %d, "answered": %d, "statuses": {%s}, "requests": %d, '
      .. '"duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    t:get("body_count"), t:get("sent"), t:get("answered"), table.concat(parts, ", "), summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    errors.connect, errors.read, errors.write, errors.timeout))
end
