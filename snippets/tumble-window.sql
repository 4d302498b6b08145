-- title: Tumble window: messages per resource in fixed, non-overlapping windows
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, window:Interval=5s
-- tumble(stream, size) cuts time into back-to-back windows of one size. Each row
-- gets window_start and window_end, and the query must GROUP BY one or both.
-- The time column defaults to _tp_time, here the Kafka message timestamp.
-- A window is emitted once it closes, that is when a later message moves the
-- watermark past window_end. So the most recent window shows up only after the
-- next message arrives. Feed it with :demo-load --pace 500ms in a second terminal.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

SELECT window_start, window_end, raw:resourcename AS resource, count() AS messages
FROM tumble(document, {window:Interval})
GROUP BY window_start, window_end, resource;
