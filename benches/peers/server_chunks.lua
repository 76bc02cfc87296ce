-- wrk script: PUTs distinct 8 MiB chunks into one chunked upload session (each chunk is
-- hashed with SHA-256 by the server and checked against X-Content-SHA256).
-- Environment: ECG_KEY (API key), ECG_UPLOAD (upload id), ECG_CHUNK_FILE (a file of
-- exactly CHUNK bytes), ECG_CHUNK_SHA256 (its SHA-256 hex).
local chunk_file = os.getenv("ECG_CHUNK_FILE")
local f = assert(io.open(chunk_file, "rb"))
local body = f:read("*a")
f:close()
local chunk = #body
local upload = os.getenv("ECG_UPLOAD")
local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   nthreads = #threads > 0 and #threads or 1
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("ECG_KEY")
   wrk.headers["Content-Type"] = "application/octet-stream"
   wrk.headers["X-Content-SHA256"] = os.getenv("ECG_CHUNK_SHA256")
end

function request()
   -- thread id and a per-thread counter give every request its own offset
   local n = counter * 16 + id
   counter = counter + 1
   local path = "/api/v1/uploads/" .. upload .. "/chunks/" .. string.format("%d", n * chunk)
   return wrk.format("PUT", path, nil, body)
end

function response(status, headers, body)
   if status ~= 201 then
      io.stderr:write("status " .. status .. ": " .. body .. "\n")
   end
end
