-- title: Hop window: overlapping windows that slide by a fixed step
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, step:Interval=2s, size:Interval=10s
-- hop(stream, step, size) opens a new window of length size every step, so the
-- windows overlap and one message is counted in size/step windows: a moving
-- count of the last 10 seconds, refreshed every 2 seconds with the defaults.
-- Like tumble, a window is emitted when the watermark passes its end. hop is
-- for streaming queries only (it does not work inside table()).
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

SELECT window_start, window_end,
       count() AS messages,
       count_if(raw:resourcename = 'School') AS school_messages
FROM hop(document, {step:Interval}, {size:Interval})
GROUP BY window_start, window_end;
