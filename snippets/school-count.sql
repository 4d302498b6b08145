-- title: Running count of School documents
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document
-- The :school-count macro as plain SQL.
-- A streaming query on a Kafka external stream starts at the latest offset, so
-- this counts School messages that arrive from now on. Proton emits a global
-- aggregate about every 2 seconds, and only when new rows arrived: nothing is
-- shown (not even 0) until the first School message comes in.
-- Updates are counted like inserts, and so are deletes (the delete message is
-- the full last row with "__deleted":"true"). Add AND raw:__deleted='false' to
-- leave deletes out, or put SETTINGS seek_to='earliest' at the end to count the
-- whole topic instead of only new messages.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

SELECT count() FROM document WHERE raw:resourcename='School';
