-- title: Join a live stream with a table: name each new School's categories
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document
-- The right side of the join is bounded: table() reads the category
-- descriptors already in the topic once, when the query starts. The left side
-- streams: every new School message is split into one row per category and
-- looked up in the descriptors. A category with no descriptor (a typo, or a
-- descriptor that does not exist yet) keeps an empty description.
-- A descriptor is referenced as namespace#codeValue.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

WITH categories AS (
    SELECT concat(raw:edfidoc.namespace, '#', raw:edfidoc.codeValue) AS descriptor,
           raw:edfidoc.shortDescription AS description
    FROM table(document)
    WHERE raw:resourcename = 'EducationOrganizationCategoryDescriptor'
      AND raw:__deleted = 'false'
),
school_categories AS (
    SELECT raw:edfidoc.schoolId AS school_id,
           raw:edfidoc.nameOfInstitution AS name,
           array_join(json_extract_array(raw:edfidoc.educationOrganizationCategories)) AS category,
           category:educationOrganizationCategoryDescriptor AS descriptor
    FROM document
    WHERE raw:resourcename = 'School' AND raw:__deleted = 'false'
)
SELECT s.school_id, s.name, s.descriptor, c.description
FROM school_categories AS s
LEFT JOIN categories AS c ON s.descriptor = c.descriptor;
