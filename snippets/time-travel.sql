-- title: Time travel with _tp_time: look back, then keep following
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, since:Interval=1h
-- _tp_time is the event time of each row. On a Kafka external stream it is the
-- message timestamp. A filter on _tp_time in a streaming query makes Proton
-- start reading at that time instead of at the latest offset: the query first
-- replays the past messages, then keeps following new ones.
-- WHERE _tp_time > earliest_ts() replays everything. SETTINGS seek_to='-1h'
-- does the same as the filter below (see the seek-to snippet).
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

-- Bounded: messages per minute over the look-back period.
SELECT to_start_of_minute(_tp_time) AS minute, count() AS messages
FROM table(document)
WHERE _tp_time > now() - {since:Interval}
GROUP BY minute
ORDER BY minute;

-- Streaming: the messages of the look-back period, then new ones as they come.
SELECT _tp_time, raw:resourcename AS resource, raw:documentuuid AS uuid,
       raw:__deleted = 'true' AS deleted
FROM document
WHERE _tp_time > now() - {since:Interval};
