-- 0016_no_email_index.sql: participant_rows keeps its email column but no index on it.
--
-- Why: no query looks a participant up by email address (participants are matched by
-- participant id, NIK and phone: `import::identity`), so the index was written and never read.
-- A first import builds it at its end, inside its transaction and after every row is stored:
-- 0.15 s of a million-row roster's import with no email column, a sort of a million addresses
-- with one. The column stays, written by the import and kept equal to the JSON by the triggers
-- of 0012, so that a lookup by email can index it again when one is needed.

DROP INDEX participant_rows_email;
