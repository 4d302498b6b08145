-- title: table() vs streaming: bounded history or an endless live query
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document
-- A plain SELECT on a stream is a streaming query. It never ends and, on a
-- Kafka external stream, it starts at the latest offset: it only sees messages
-- produced after it started.
-- Wrapping the stream in table() makes the query bounded (historical): it reads
-- each partition from the earliest offset up to its current end, then stops.
-- The first two queries below finish on their own. The last one runs until you
-- press Ctrl-C. Run :demo-load --pace 1s in a second terminal to feed it.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

-- Bounded: how many messages the topic holds right now.
SELECT count() FROM table(document);

-- Bounded: the mix of resource types so far.
SELECT raw:resourcename AS resource, count() AS messages
FROM table(document)
GROUP BY resource
ORDER BY messages DESC, resource;

-- Streaming: each new message as it arrives, with its Kafka timestamp.
SELECT _tp_time, raw:resourcename AS resource, raw:documentuuid AS uuid
FROM document;
