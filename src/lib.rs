//! pantau follows the participants of a livelihood programme after their training: it hosts their
//! follow-up surveys, merges the answers with the programme's Excel rosters and turns both into
//! donor-ready workbooks and emailed reports.
//!
//! The crate is a library with a thin binary (`src/main.rs`). Domain modules ([`expr`], [`form`])
//! do no I/O of their own beyond reading the bytes they are given and never see HTTP, the clock or
//! the network; [`config`], [`db`] and [`cli`] connect them to the outside world. See README's
//! Architecture section for the map and the invariants.

pub mod accounts;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod email;
pub mod expr;
pub mod form;
pub mod import;
pub mod indicators;
pub mod invitations;
pub mod outreach;
pub mod participants;
pub mod pipeline;
pub mod reference;
pub mod report;
pub mod roster;
pub mod schedule;
pub mod synthetic;
pub mod web;
pub mod workbook;
pub mod xls;
