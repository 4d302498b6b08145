-- title: Validate School categories (materialized view, snapshot, then live)
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document
-- The :validate macro as plain SQL, as the original demo runs it.
-- The materialized view "schools" keeps the edfidoc of every School message that
-- is not a delete, from the moment the view is created. The first SELECT reads
-- what the view holds so far (table() makes it a bounded query) and the second
-- follows new rows. The macro parses each row as JSON and reports every
-- educationOrganizationCategoryDescriptor that does not end in #School.
-- The json-shortcut snippet shows the same check done in SQL.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

CREATE MATERIALIZED VIEW IF NOT EXISTS schools AS
SELECT raw:edfidoc FROM document
WHERE raw:resourcename='School' AND raw:__deleted='false';

SELECT * FROM table(schools);

SELECT * FROM schools;
