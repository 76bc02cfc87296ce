-- wrk script: polls one task's status with an API key.
-- Usage: wrk -t2 -c64 -d20s --latency -s server_status.lua \
--          http://127.0.0.1:8080/api/v1/advanced/ecg/holter/status/TASK_ID
-- The key comes from the environment variable ECG_KEY.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("ECG_KEY")
