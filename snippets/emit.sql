-- title: EMIT: choose when a streaming aggregation shows its results
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, every:Interval=5s
-- Without EMIT, a global aggregation (no window) emits every 2 seconds, and a
-- windowed one when each window closes. EMIT changes that. Proton 1.6 grammar:
--   EMIT [STREAM|CHANGELOG] [AFTER WATERMARK [WITH DELAY d]] [PERIODIC p]
--        [ON UPDATE] [[AND] TIMEOUT t] [[AND] LAST l [ON PROCTIME]]
-- Proton 1.6 emits only when new rows arrived since the last emit. PERIODIC ...
-- REPEAT and the newer AFTER WINDOW CLOSE spelling need a newer server.
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
