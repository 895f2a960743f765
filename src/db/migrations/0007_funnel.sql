-- 0007_funnel.sql: the attendance funnel's inputs kept up to date on write.
--
-- The funnel by age group read every participant's roster row (4 to 16 seconds at a million
-- participants) on the first dashboard view after any import or at midnight. Ages change with
-- the date, so no trigger can keep counts per age group; but birth dates do not, and there
-- are only some tens of thousands of distinct ones. This table holds, per birth date and kept
-- age group, how many participants there are and how many attended sessions 1, 2 and 3; the
-- dashboard turns birth dates into ages on the day asked (`crate::dashboard::funnel`), over a
-- few thousand rows. `crate::dashboard::funnel_from_scratch` counts the same from the base
-- tables (tests compare the two); `crate::dashboard::recount` rebuilds this table.
--
-- Every participant counts, with or without a roster row: one without counts under
-- ('null', 'null') with no session attended, exactly as a row without those fields does.
--
-- A birth date is personal data: a row whose last participant leaves it (a changed date, an
-- erasure, a delete) is deleted, so that the table holds only dates some participant has now.
-- The ('null', 'null') row is changed by upserts, so that a participant's delete and its
-- roster row's (ON DELETE CASCADE) add up whichever trigger runs first.

CREATE TABLE funnel_counts (
    -- The roster values as JSON (`attrs -> '$.birth_date'`: '"1980-06-01"'), 'null' when
    -- absent: a key column cannot be NULL, and JSON text tells a missing value from any string
    -- (`birth_date ->> '$'` gives the value back, NULL for 'null').
    birth_date TEXT NOT NULL,
    -- The age group kept at erasure (`attrs -> '$.age_group'`), 'null' when none.
    age_group TEXT NOT NULL,
    people INTEGER NOT NULL DEFAULT 0,
    attended_1 INTEGER NOT NULL DEFAULT 0,
    attended_2 INTEGER NOT NULL DEFAULT 0,
    attended_3 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (birth_date, age_group)
) STRICT, WITHOUT ROWID;

INSERT INTO funnel_counts (birth_date, age_group, people, attended_1, attended_2, attended_3)
SELECT coalesce(r.attrs -> '$.birth_date', 'null'), coalesce(r.attrs -> '$.age_group', 'null'),
       count(*), sum(coalesce(r.attrs ->> '$.attended_1' = '1', 0)),
       sum(coalesce(r.attrs ->> '$.attended_2' = '1', 0)),
       sum(coalesce(r.attrs ->> '$.attended_3' = '1', 0))
FROM participants p LEFT JOIN participant_rows r ON r.participant_id = p.id
WHERE true GROUP BY 1, 2;

-- A new participant has no roster row yet.
CREATE TRIGGER funnel_participant_insert AFTER INSERT ON participants BEGIN
    INSERT INTO funnel_counts (birth_date, age_group, people) VALUES ('null', 'null', 1)
    ON CONFLICT (birth_date, age_group) DO UPDATE SET people = people + 1;
END;

-- A deleted participant's roster row goes with it (ON DELETE CASCADE), and its trigger below
-- moves the participant to ('null', 'null'), before or after this: either way the sum is right.
CREATE TRIGGER funnel_participant_delete AFTER DELETE ON participants BEGIN
    INSERT INTO funnel_counts (birth_date, age_group, people) VALUES ('null', 'null', -1)
    ON CONFLICT (birth_date, age_group) DO UPDATE SET people = people - 1;
    DELETE FROM funnel_counts WHERE birth_date = 'null' AND age_group = 'null' AND people = 0;
END;

-- A participant gains a roster row: out of ('null', 'null'), into the row's values.
CREATE TRIGGER funnel_row_insert AFTER INSERT ON participant_rows BEGIN
    INSERT INTO funnel_counts (birth_date, age_group, people) VALUES ('null', 'null', -1)
    ON CONFLICT (birth_date, age_group) DO UPDATE SET people = people - 1;
    DELETE FROM funnel_counts WHERE birth_date = 'null' AND age_group = 'null' AND people = 0;
    INSERT INTO funnel_counts (birth_date, age_group, people, attended_1, attended_2, attended_3)
    VALUES (coalesce(NEW.attrs -> '$.birth_date', 'null'),
            coalesce(NEW.attrs -> '$.age_group', 'null'), 1,
            coalesce(NEW.attrs ->> '$.attended_1' = '1', 0),
            coalesce(NEW.attrs ->> '$.attended_2' = '1', 0),
            coalesce(NEW.attrs ->> '$.attended_3' = '1', 0))
    ON CONFLICT (birth_date, age_group) DO UPDATE SET
        people = people + 1, attended_1 = attended_1 + excluded.attended_1,
        attended_2 = attended_2 + excluded.attended_2,
        attended_3 = attended_3 + excluded.attended_3;
END;

-- Only when one of the five values the funnel reads changes (most imports change none).
CREATE TRIGGER funnel_row_update AFTER UPDATE OF attrs ON participant_rows
WHEN OLD.attrs -> '$.birth_date' IS NOT NEW.attrs -> '$.birth_date'
  OR OLD.attrs -> '$.age_group' IS NOT NEW.attrs -> '$.age_group'
  OR OLD.attrs ->> '$.attended_1' IS NOT NEW.attrs ->> '$.attended_1'
  OR OLD.attrs ->> '$.attended_2' IS NOT NEW.attrs ->> '$.attended_2'
  OR OLD.attrs ->> '$.attended_3' IS NOT NEW.attrs ->> '$.attended_3'
BEGIN
    UPDATE funnel_counts SET
        people = people - 1,
        attended_1 = attended_1 - coalesce(OLD.attrs ->> '$.attended_1' = '1', 0),
        attended_2 = attended_2 - coalesce(OLD.attrs ->> '$.attended_2' = '1', 0),
        attended_3 = attended_3 - coalesce(OLD.attrs ->> '$.attended_3' = '1', 0)
    WHERE birth_date = coalesce(OLD.attrs -> '$.birth_date', 'null')
      AND age_group = coalesce(OLD.attrs -> '$.age_group', 'null');
    DELETE FROM funnel_counts WHERE people = 0
      AND birth_date = coalesce(OLD.attrs -> '$.birth_date', 'null')
      AND age_group = coalesce(OLD.attrs -> '$.age_group', 'null');
    INSERT INTO funnel_counts (birth_date, age_group, people, attended_1, attended_2, attended_3)
    VALUES (coalesce(NEW.attrs -> '$.birth_date', 'null'),
            coalesce(NEW.attrs -> '$.age_group', 'null'), 1,
            coalesce(NEW.attrs ->> '$.attended_1' = '1', 0),
            coalesce(NEW.attrs ->> '$.attended_2' = '1', 0),
            coalesce(NEW.attrs ->> '$.attended_3' = '1', 0))
    ON CONFLICT (birth_date, age_group) DO UPDATE SET
        people = people + 1, attended_1 = attended_1 + excluded.attended_1,
        attended_2 = attended_2 + excluded.attended_2,
        attended_3 = attended_3 + excluded.attended_3;
END;

-- A roster row removed: the participant (if still there) counts as one without a row.
CREATE TRIGGER funnel_row_delete AFTER DELETE ON participant_rows BEGIN
    UPDATE funnel_counts SET
        people = people - 1,
        attended_1 = attended_1 - coalesce(OLD.attrs ->> '$.attended_1' = '1', 0),
        attended_2 = attended_2 - coalesce(OLD.attrs ->> '$.attended_2' = '1', 0),
        attended_3 = attended_3 - coalesce(OLD.attrs ->> '$.attended_3' = '1', 0)
    WHERE birth_date = coalesce(OLD.attrs -> '$.birth_date', 'null')
      AND age_group = coalesce(OLD.attrs -> '$.age_group', 'null');
    DELETE FROM funnel_counts WHERE people = 0
      AND birth_date = coalesce(OLD.attrs -> '$.birth_date', 'null')
      AND age_group = coalesce(OLD.attrs -> '$.age_group', 'null');
    INSERT INTO funnel_counts (birth_date, age_group, people) VALUES ('null', 'null', 1)
    ON CONFLICT (birth_date, age_group) DO UPDATE SET people = people + 1;
END;
