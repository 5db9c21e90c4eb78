//! Site settings kept in the database: the generated secret key.
use crate::entities::settings;
use crate::error::{Error, Result};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

const SECRET_KEY: &str = "secret_key";

/// Returns the site's stored secret, generating and storing it the first time. Two processes
/// starting at once agree on one value: the first insert wins, the other reads it back.
pub async fn secret_key(db: &impl ConnectionTrait) -> Result<String> {
    if let Some(row) = settings::Entity::find_by_id(SECRET_KEY).one(db).await? {
        return Ok(row.value);
    }
    let fresh = {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        super::hex(&bytes)
    };
    settings::Entity::insert(settings::ActiveModel {
        key: Set(SECRET_KEY.into()),
        value: Set(fresh),
    })
    .on_conflict(
        OnConflict::column(settings::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(db)
    .await?;
    settings::Entity::find_by_id(SECRET_KEY)
        .one(db)
        .await?
        .map(|row| row.value)
        .ok_or_else(|| Error::Internal("the secret key vanished after being stored".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::memory_db;

    #[tokio::test]
    async fn the_generated_secret_is_kept() {
        let db = memory_db().await;
        let first = secret_key(&db).await.unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(secret_key(&db).await.unwrap(), first);
    }
}
