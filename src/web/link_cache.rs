//! Enabled links by identifier, kept in memory for a few seconds so `/ref` needs no query.
//!
//! A link disabled on this instance is forgotten at once ([`LinkCache::forget_all`]); one
//! disabled through another instance behind the same load balancer keeps working here for at
//! most the time to live (`HYPE_LINK_CACHE_SECONDS`, 2 s by default; 0 turns the cache off).
use crate::error::Result;
use crate::services::links;
use crate::types::Identifier;
use sea_orm::ConnectionTrait;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Past this many identifiers (most of them unknown ones, probed at random) the cache starts
/// over, so guessing cannot grow memory without bound.
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone, Debug)]
pub struct LinkCache {
    ttl: Duration,
    entries: Arc<RwLock<HashMap<String, Entry>>>,
}

#[derive(Clone, Debug)]
struct Entry {
    /// The enabled link; `None` for an unknown or disabled identifier.
    link: Option<CachedLink>,
    stored: Instant,
}

/// What `/ref` needs of an enabled link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedLink {
    pub id: i32,
    /// Where a visitor without a `next` goes (checked against the allowed hosts when used).
    pub destination: Option<Arc<str>>,
}

impl LinkCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Arc::default(),
        }
    }

    /// The id of the enabled link named `identifier` (case-insensitively), if there is one.
    pub async fn enabled_link_id(
        &self,
        db: &impl ConnectionTrait,
        identifier: &str,
    ) -> Result<Option<i32>> {
        Ok(self.enabled_link(db, identifier).await?.map(|link| link.id))
    }

    /// The enabled link named `identifier` (case-insensitively), if there is one.
    pub async fn enabled_link(
        &self,
        db: &impl ConnectionTrait,
        identifier: &str,
    ) -> Result<Option<CachedLink>> {
        let Ok(parsed) = Identifier::parse(identifier) else {
            return Ok(None);
        };
        let key = parsed.key();
        if !self.ttl.is_zero() {
            if let Ok(entries) = self.entries.read() {
                if let Some(entry) = entries.get(&key) {
                    if entry.stored.elapsed() < self.ttl {
                        return Ok(entry.link.clone());
                    }
                }
            }
        }
        let stored = Instant::now();
        let link = links::find_enabled(db, identifier)
            .await?
            .map(|l| CachedLink {
                id: l.id,
                destination: l.destination.map(Arc::from),
            });
        if !self.ttl.is_zero() {
            if let Ok(mut entries) = self.entries.write() {
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
                entries.insert(
                    key,
                    Entry {
                        link: link.clone(),
                        stored,
                    },
                );
            }
        }
        Ok(link)
    }

    /// Drops every entry: called when a link is disabled or enabled.
    pub fn forget_all(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::links::{self, NewLink};
    use crate::test_support::{memory_db, user};

    #[tokio::test]
    async fn a_disabled_link_is_forgotten_at_once() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let link = links::create(&db, alice.id, NewLink::default())
            .await
            .unwrap();
        let cache = LinkCache::new(Duration::from_secs(3600));
        assert_eq!(
            cache
                .enabled_link_id(&db, &link.identifier.to_uppercase())
                .await
                .unwrap(),
            Some(link.id)
        );
        links::set_disabled(&db, alice.id, link.id, true)
            .await
            .unwrap();
        // Still cached: the hour-long TTL has not run out...
        assert_eq!(
            cache.enabled_link_id(&db, &link.identifier).await.unwrap(),
            Some(link.id)
        );
        // ...until the change is announced.
        cache.forget_all();
        assert_eq!(
            cache.enabled_link_id(&db, &link.identifier).await.unwrap(),
            None
        );
        assert_eq!(cache.enabled_link_id(&db, "no such!").await.unwrap(), None);
    }
}
