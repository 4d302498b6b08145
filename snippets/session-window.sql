-- title: Session window: bursts of activity per resource type
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, gap:Interval=10s
-- proton: <3
-- session(stream, gap) groups messages that arrive close together. A session
-- closes after gap without a new message (or once it lasts 5 times gap), so
-- each row below is one burst of writes to one resource type: how many
-- messages, and when the burst started and ended.
-- PARTITION BY keeps a separate session (and watermark) per resource type.
-- Without it Proton 1.x keeps one session for all messages, not one per
-- resource, and refuses a session window over parallel input. The subquery
-- turns raw:resourcename into a column the partition can use. Proton 3.x keys
-- sessions by the GROUP BY columns instead (session-window.v3).
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

WITH docs AS (
    SELECT _tp_time, raw:resourcename AS resource FROM document
)
SELECT resource, window_start, window_end, count() AS messages
FROM session(docs, _tp_time, {gap:Interval})
PARTITION BY resource
GROUP BY resource, window_start, window_end;
