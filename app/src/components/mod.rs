//! Reusable pieces of the pages. Prop-only: no data fetching in here.
pub mod admin_nav;
pub mod chart;
pub mod copy;
pub mod form_error;
pub mod ledger_table;
pub mod nav;
pub mod notice;
pub mod post_form;
pub mod search_form;
pub mod share;
