-- title: EMIT: choose when a streaming aggregation shows its results
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, every:Interval=5s
-- proton: <3
-- Proton 1.x spelling (emit.v3 has the 3.x one). Without EMIT, a global
-- aggregation (no window) emits at most every 2 seconds, and only when new rows
-- arrived since the last emit: nothing new, nothing shown. A windowed
-- aggregation emits each window once it closes. EMIT changes that. Proton 1.6
-- grammar:
--   EMIT [STREAM|CHANGELOG] [AFTER WATERMARK [WITH DELAY d]] [PERIODIC p]
--        [ON UPDATE] [[AND] TIMEOUT t] [[AND] LAST l [ON PROCTIME]]
-- PERIODIC ... REPEAT (emit even when nothing new arrived) needs 1.6.2 or newer,
-- and Proton 3.x renames AFTER WATERMARK to AFTER WINDOW CLOSE.
-- Other things to try in place of EMIT PERIODIC below:
--   EMIT ON UPDATE      (emit the groups that changed, as soon as they change)
--   EMIT CHANGELOG      (adds _tp_delta: +1 for a new value, -1 for a retracted one)
--   EMIT LAST 1m        (count only the messages of the last minute)
-- and, on a tumble window: EMIT AFTER WATERMARK WITH DELAY 2s
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

SELECT emit_version() AS emit, raw:resourcename AS resource, count() AS messages
FROM document
GROUP BY resource
EMIT PERIODIC {every:Interval};
