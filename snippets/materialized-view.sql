-- title: Materialized view: a query that keeps running and stores its results
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, view:Identifier=school_names
-- A materialized view runs its SELECT in the background from the moment it is
-- created, and keeps every result row. Here: one row per School message, with a
-- few fields pulled out of the JSON. It only sees messages produced after it was
-- created, so create it, then run :demo-load in a second terminal.
-- SELECT ... FROM table(view) returns the rows stored so far and stops.
-- SELECT ... FROM view streams new rows as they are added.
-- DROP VIEW removes it (and its stored rows) when you are done.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

CREATE MATERIALIZED VIEW IF NOT EXISTS {view:Identifier} AS
SELECT raw:documentuuid AS uuid,
       raw:edfidoc.schoolId AS school_id,
       raw:edfidoc.nameOfInstitution AS name,
       raw:__deleted = 'true' AS deleted
FROM document
WHERE raw:resourcename = 'School';

-- Bounded: what the view holds so far.
SELECT * FROM table({view:Identifier});

-- Streaming: new rows as the view adds them.
SELECT * FROM {view:Identifier};
