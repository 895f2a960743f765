//! The reporting pipeline: from the database to indicator figures. [`merge`] builds one record
//! per participant (and wave) from roster attributes, derived attributes and answers; the
//! indicator domain (`crate::indicators`) computes the figures.

pub mod merge;
