//! Webhook endpoints: list them with their recent deliveries, create (the secret is shown
//! once), enable or disable, delete, send a test event, redeliver. Admins only.
use crate::error::AppError;
use crate::models::WebhooksView;
use leptos::prelude::*;

/// Recent deliveries shown per endpoint.
#[cfg(feature = "ssr")]
const RECENT: u64 = 10;

#[server(endpoint = "admin/list_webhooks", output = crate::codec::Json)]
pub async fn list_webhooks() -> Result<WebhooksView, AppError> {
    use super::ssr::*;
    use crate::models::{DeliveryView, WebhookView};
    use hype::outbox::endpoints;
    let (state, _admin) = admin().await?;
    let mut views = Vec::new();
    for endpoint in endpoints::list(&state.db).await? {
        let deliveries = endpoints::recent_deliveries(&state.db, endpoint.id, RECENT)
            .await?
            .into_iter()
            .map(|row| {
                let d = row.delivery;
                let pending = d.state == hype::entities::deliveries::DeliveryState::Pending;
                DeliveryView {
                    id: d.id,
                    event: row.event_type,
                    state: d.state.as_str().to_owned(),
                    status: d.last_status,
                    attempts: d.attempts,
                    next_attempt: pending
                        .then(|| d.next_attempt_at.format("%Y-%m-%d %H:%M:%S").to_string()),
                    result: d.last_result.unwrap_or_default(),
                    created: d.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                }
            })
            .collect();
        views.push(WebhookView {
            id: endpoint.id,
            url: endpoint.url,
            events: endpoints::describe_events(&endpoint.events),
            enabled: endpoint.enabled,
            disabled_reason: endpoint.disabled_reason,
            deliveries,
        });
    }
    Ok(WebhooksView {
        event_types: hype::outbox::EventType::ALL
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
        endpoints: views,
    })
}

/// Creates an endpoint. The answer carries its signing secret: the only time it is shown.
#[server(endpoint = "admin/create_webhook", output = crate::codec::Json)]
pub async fn create_webhook(url: String, events: Option<String>) -> Result<String, AppError> {
    use super::ssr::*;
    let (state, admin) = admin().await?;
    let endpoint = hype::outbox::endpoints::create(
        &state.db,
        Some(admin.id),
        &url,
        events.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(endpoint.secret)
}

#[server(endpoint = "admin/set_webhook_enabled", output = crate::codec::Json)]
pub async fn set_webhook_enabled(id: i32, enabled: bool) -> Result<(), AppError> {
    use super::ssr::*;
    let (state, admin) = admin().await?;
    hype::outbox::endpoints::set_enabled(&state.db, admin.id, id, enabled).await?;
    Ok(())
}

#[server(endpoint = "admin/delete_webhook", output = crate::codec::Json)]
pub async fn delete_webhook(id: i32) -> Result<(), AppError> {
    use super::ssr::*;
    let (state, admin) = admin().await?;
    hype::outbox::endpoints::delete(&state.db, admin.id, id).await?;
    Ok(())
}

#[server(endpoint = "admin/send_test_event", output = crate::codec::Json)]
pub async fn send_test_event(id: i32) -> Result<String, AppError> {
    use super::ssr::*;
    let (state, _admin) = admin().await?;
    hype::outbox::endpoints::send_test(&state.db, id).await?;
    Ok("Test event queued: it appears below within seconds.".into())
}

#[server(endpoint = "admin/redeliver", output = crate::codec::Json)]
pub async fn redeliver(id: i64) -> Result<(), AppError> {
    use super::ssr::*;
    let (state, _admin) = admin().await?;
    hype::outbox::endpoints::redeliver(&state.db, id).await?;
    Ok(())
}

/// The forms' fields, read in the browser (see `components::post_form`).
mod from_fields {
    use super::{CreateWebhook, DeleteWebhook, Redeliver, SendTestEvent, SetWebhookEnabled};
    use crate::components::post_form::{Fields, FromFields};

    impl FromFields for CreateWebhook {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                url: f.text("url")?,
                events: f.text("events"),
            })
        }
    }

    impl FromFields for SetWebhookEnabled {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                id: f.parse("id")?,
                enabled: f.parse("enabled")?,
            })
        }
    }

    impl FromFields for DeleteWebhook {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self { id: f.parse("id")? })
        }
    }

    impl FromFields for SendTestEvent {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self { id: f.parse("id")? })
        }
    }

    impl FromFields for Redeliver {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self { id: f.parse("id")? })
        }
    }
}
