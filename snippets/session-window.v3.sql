-- title: Session window: bursts of activity per resource type
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, gap:Interval=10s
-- proton: >=3
-- Proton 3.x spelling (session-window has the 1.x one). session(stream, gap)
-- groups messages that arrive close together. A session closes after gap
-- without a new message (or once it lasts 5 times gap), so each row below is
-- one burst of writes to one resource type: how many messages, and when the
-- burst started and ended.
-- Proton 3.x keeps one session per grouping key, the GROUP BY columns besides
-- window_start and window_end (here resource), so no PARTITION BY is needed.
-- The subquery turns raw:resourcename into a column to group by.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

WITH docs AS (
    SELECT _tp_time, raw:resourcename AS resource FROM document
)
SELECT resource, window_start, window_end, count() AS messages
FROM session(docs, _tp_time, {gap:Interval})
GROUP BY resource, window_start, window_end;
