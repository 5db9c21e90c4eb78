//! Black-box HTTP tests: the real router on port 0, a fresh database per test, a cookie-keeping
//! client with redirects off. Every test runs on SQLite and on PostgreSQL.
mod helpers;

mod accounts;
mod admin;
mod api_v1;
mod api_v1_people;
mod bots;
mod claims;
mod cli;
mod faults;
mod leaderboard;
mod links;
mod mail;
mod migrations;
mod receipts;
mod ref_links;
mod referee;
mod site;
mod webhooks;
mod what_if;
