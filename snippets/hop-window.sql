-- title: Hop window: overlapping windows that slide by a fixed step
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, step:Interval=2s, size:Interval=10s
-- hop(stream, step, size) opens a new window of length size every step, so the
-- windows overlap and one message is counted in size/step windows: with the
-- defaults, a count of the last 10 seconds for every 2 seconds of event time.
-- Like tumble, a window is emitted once a later message moves the watermark
-- past its end, so nothing is shown while no messages arrive. Write step and
-- size in the same unit (2s and 10s, not 2s and 1m). hop is for streaming
-- queries only (it does not work inside table()). The spelling is the same on
-- Proton 1.x and 3.x.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

SELECT window_start, window_end,
       count() AS messages,
       count_if(raw:resourcename = 'School') AS school_messages
FROM hop(document, {step:Interval}, {size:Interval})
GROUP BY window_start, window_end;
