//! hype's schema: the ordered list of migrations. Append-only: a landed file is never edited.
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_users;
mod m20261125_000002_create_referral_links;
mod m20261125_000003_create_referral_hits;
mod m20261125_000004_create_referrals;
mod m20261125_000005_create_settings;
mod m20261125_000006_create_sessions;
mod m20261125_000007_create_reward_ledger;
mod m20261125_000008_create_audit_log;
mod m20261125_000009_add_user_ips;
mod m20261202_000010_hit_aggregates;
mod m20261203_000011_confirmed_hits_index;
mod m20261204_000012_lean_hit_writes;
mod m20261205_000013_admin_disabled_links;
mod m20261206_000014_outbox;
mod m20261206_000015_accounts_and_mail;
mod m20261206_000016_api_keys;
mod m20261206_000017_conversions;
mod m20261206_000018_external_ids_and_destinations;
mod m20261206_000019_leaderboard_names;
mod m20261206_000020_bots_and_referee_privacy;
mod m20261206_000021_referral_rules;

pub use m20261202_000010_hit_aggregates::fill_statements_counting as fill_hit_aggregates_counting;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_users::Migration),
            Box::new(m20261125_000002_create_referral_links::Migration),
            Box::new(m20261125_000003_create_referral_hits::Migration),
            Box::new(m20261125_000004_create_referrals::Migration),
            Box::new(m20261125_000005_create_settings::Migration),
            Box::new(m20261125_000006_create_sessions::Migration),
            Box::new(m20261125_000007_create_reward_ledger::Migration),
            Box::new(m20261125_000008_create_audit_log::Migration),
            Box::new(m20261125_000009_add_user_ips::Migration),
            Box::new(m20261202_000010_hit_aggregates::Migration),
            Box::new(m20261203_000011_confirmed_hits_index::Migration),
            Box::new(m20261204_000012_lean_hit_writes::Migration),
            Box::new(m20261205_000013_admin_disabled_links::Migration),
            Box::new(m20261206_000014_outbox::Migration),
            Box::new(m20261206_000015_accounts_and_mail::Migration),
            Box::new(m20261206_000016_api_keys::Migration),
            Box::new(m20261206_000017_conversions::Migration),
            Box::new(m20261206_000018_external_ids_and_destinations::Migration),
            Box::new(m20261206_000019_leaderboard_names::Migration),
            Box::new(m20261206_000020_bots_and_referee_privacy::Migration),
            Box::new(m20261206_000021_referral_rules::Migration),
        ]
    }
}
