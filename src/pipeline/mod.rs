//! The reporting pipeline: from the database to workbooks. [`merge`] builds one record per
//! participant (and wave) from roster attributes, derived attributes and answers; [`quality`]
//! flags what looks wrong; [`report`] assembles the plain-value `Report`; [`job`] runs it all
//! once (import, invitations, flags, report, workbooks) and records the run, with [`timing`]
//! per phase. [`inputs`] is the one read of roster values and answers the quality check and
//! the merge share; [`cache`] keeps merged records between runs (`job_cache`).

pub mod cache;
pub mod inputs;
pub mod job;
pub mod merge;
pub mod quality;
pub mod report;
pub mod timing;
