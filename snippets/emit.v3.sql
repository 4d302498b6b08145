-- title: EMIT: choose when a streaming aggregation shows its results
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, every:Interval=5s
-- proton: >=3
-- Proton 3.x spelling (emit has the 1.x one). Without EMIT, a global
-- aggregation (no window) emits at most every 2 seconds, and only when new rows
-- arrived since the last emit. REPEAT, used below, emits every interval even
-- when nothing new arrived. A windowed aggregation emits each window once it
-- closes. The 3.x grammar for a global aggregation:
--   EMIT [STREAM|CHANGELOG] [PERIODIC p [REPEAT]] [ON UPDATE [WITH BATCH b]]
--        [AFTER KEY EXPIRE [IDENTIFIED BY col] WITH [ONLY] MAXSPAN m [AND TIMEOUT t]]
-- and for a tumble, hop or session window (one policy, AFTER WINDOW CLOSE when
-- none is given):
--   EMIT AFTER WINDOW CLOSE [WITH DELAY d [AND TIMEOUT t]]
--   EMIT PERIODIC p [REPEAT] [WITH DELAY d [AND TIMEOUT t]]
--   EMIT ON UPDATE [WITH BATCH b] [WITH DELAY d [AND TIMEOUT t]]
-- Other things to try in place of EMIT PERIODIC ... REPEAT below:
--   EMIT ON UPDATE                (emit the groups that changed, as soon as they change)
--   EMIT ON UPDATE WITH BATCH 1s  (the same, checked once a second)
--   EMIT CHANGELOG                (adds _tp_delta: +1 for a new value, -1 for a retracted one)
-- and, on a tumble window: EMIT AFTER WINDOW CLOSE WITH DELAY 2s
-- Proton 1.x spells that last one AFTER WATERMARK WITH DELAY 2s.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

SELECT emit_version() AS emit, raw:resourcename AS resource, count() AS messages
FROM document
GROUP BY resource
EMIT PERIODIC {every:Interval} REPEAT;
