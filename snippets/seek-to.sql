-- title: seek_to: start a streaming query at a chosen place in the topic
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, from:String=earliest
-- A streaming query on a Kafka external stream starts at latest by default.
-- SETTINGS seek_to moves the start. It accepts:
--   earliest | latest
--   a time: 2025-04-08T14:03:00.000, or a relative one: -10s, -5m, -2h, -1d
--   an offset, or one entry per partition in partition order: 5,3,11
-- The start offset is inclusive. After replaying, the query keeps following
-- new messages until Ctrl-C.
-- _tp_shard (partition) and _tp_sn (offset) are virtual columns: SELECT * does
-- not return them, name them. :validate --resume uses them to resume where it
-- stopped, with seek_to set to the next offset of each partition.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

SELECT _tp_shard AS kafka_partition, _tp_sn AS kafka_offset, _tp_time,
       raw:resourcename AS resource, raw:documentuuid AS uuid
FROM document
SETTINGS seek_to={from:String};
