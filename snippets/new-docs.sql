-- title: Print each new document as it arrives
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document
-- The :new-docs macro as plain SQL: a tail of the topic. Every resource type
-- shares the one topic (descriptors, schools, students...). Each row is the
-- whole Kafka message value, a compact JSON object with resourcename,
-- documentuuid, edfidoc (the document itself) and __deleted ('true' on deletes).
-- Only messages produced after the query starts are shown.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

SELECT * FROM document;
