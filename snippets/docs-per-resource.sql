-- title: Documents per resource per 10 s window, to watch as a chart
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, window:Interval=10s
-- Type :chart first: the result is then drawn as lines, one per Ed-Fi resource
-- (School, Student, ...), with time along the bottom and the document count up
-- the side. The chart picks window_end as the time axis, resource as the series
-- and documents as the value (:chart x=window_end y=documents by=resource says
-- the same explicitly). Each 10 s tumble window is emitted once it closes, that
-- is when a later message moves the watermark past window_end, so a new point
-- appears on every line every 10 s while messages flow (and none while they do
-- not). Feed it with :demo-load --pace 200ms in a second terminal. Ctrl-C stops
-- the query and leaves the last frame on screen, and :chart off goes back to tables.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

SELECT window_end, raw:resourcename AS resource, count() AS documents
FROM tumble(document, {window:Interval})
GROUP BY window_end, resource;
