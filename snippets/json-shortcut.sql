-- title: JSON access: the raw:a.b shortcut and the json_extract_* functions
-- params: brokers:String=dms-kafka1:9092, topic:String=edfi.dms.document, limit:UInt32=20
-- raw:a.b.c reads a path out of the JSON text in column raw. It is short for
-- json_value(raw, '$.a.b.c') and returns a string: strings come back unquoted,
-- and objects or arrays come back as JSON text, or an empty string when the
-- path is missing. raw:a.b::int64 casts, but fails the query on a message
-- where the path is missing, so the typed json_extract_* functions are safer.
-- json_extract_string/int/float/bool(raw, 'key', 'nested key', ...) read typed
-- values. json_extract_array gives an array of JSON texts, and array_join turns
-- it into one row per element.
-- Both queries are bounded (table()) and read the whole topic.
CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string)
SETTINGS type='kafka', brokers={brokers:String}, topic={topic:String}, skip_ssl_cert_check='true';

-- The same fields, read with the shortcut and with json_extract_*.
SELECT raw:edfidoc.schoolId AS school_id_text,
       json_extract_int(raw, 'edfidoc', 'schoolId') AS school_id,
       raw:edfidoc.nameOfInstitution AS name,
       json_extract_string(raw, 'edfidoc', 'nameOfInstitution') AS name_again,
       json_extract_int(raw, 'lastmodifiedat') AS modified_micros,
       json_extract_bool(raw, 'isdescriptor') AS is_descriptor,
       raw:__deleted AS deleted
FROM table(document)
WHERE raw:resourcename = 'School'
LIMIT {limit:UInt32};

-- The :validate check in SQL: one row per School category, keeping the
-- categories that do not end in #School.
SELECT school_id, descriptor
FROM (
    SELECT raw:edfidoc.schoolId AS school_id,
           array_join(json_extract_array(raw:edfidoc.educationOrganizationCategories)) AS category,
           category:educationOrganizationCategoryDescriptor AS descriptor
    FROM table(document)
    WHERE raw:resourcename = 'School' AND raw:__deleted = 'false'
)
WHERE NOT ends_with(descriptor, '#School');
