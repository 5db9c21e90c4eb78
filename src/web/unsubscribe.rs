//! `/unsubscribe`: the link at the foot of every notice. `GET` shows a page with one button
//! (a link scanner that opens it changes nothing); `POST` turns the notice off, which is what
//! a mail client's one-click unsubscribe does (RFC 8058). The token in the link is the
//! authority, so the cross-site guard lets this path through.
use super::HypeState;
use crate::mail::compose::escape;
use crate::services::accounts::{self, Notice};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Link {
    user: Option<i32>,
    notice: Option<String>,
    token: Option<String>,
}

impl Link {
    fn parts(&self) -> Option<(i32, Notice, &str)> {
        Some((
            self.user?,
            Notice::parse(self.notice.as_deref()?)?,
            self.token.as_deref()?,
        ))
    }
}

fn describe(notice: Notice) -> &'static str {
    match notice {
        Notice::Joins => "mails when someone joins through your link",
        Notice::Credits => "mails when a referral of yours is confirmed",
        Notice::Digest => "the hourly digest of referrals waiting for review",
    }
}

pub async fn show(Query(link): Query<Link>) -> Response {
    let Some((user, notice, token)) = link.parts() else {
        return page(
            StatusCode::BAD_REQUEST,
            "This unsubscribe link is incomplete.",
            None,
        );
    };
    let action = format!(
        "/unsubscribe?user={user}&notice={}&token={}",
        notice.as_str(),
        url_encode(token)
    );
    page(
        StatusCode::OK,
        &format!("Stop {}?", describe(notice)),
        Some(&action),
    )
}

pub async fn apply(State(state): State<HypeState>, Query(link): Query<Link>) -> Response {
    let Some((user, notice, token)) = link.parts() else {
        return page(
            StatusCode::BAD_REQUEST,
            "This unsubscribe link is incomplete.",
            None,
        );
    };
    match accounts::unsubscribe(&state.db, &state.tokens, user, notice, token).await {
        Ok(()) => page(
            StatusCode::OK,
            &format!(
                "Done: you will get no more {}. You can turn them on again on your account page.",
                describe(notice)
            ),
            None,
        ),
        Err(crate::Error::Invalid(message)) => page(StatusCode::BAD_REQUEST, &message, None),
        Err(error) => {
            tracing::error!(%error, "unsubscribing failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again in a moment.",
                None,
            )
        }
    }
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn page(status: StatusCode, message: &str, confirm: Option<&str>) -> Response {
    let form = confirm
        .map(|action| {
            format!(
                "<form method=\"post\" action=\"{}\"><button type=\"submit\">Unsubscribe</button></form>",
                escape(action)
            )
        })
        .unwrap_or_default();
    let message = escape(message);
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Unsubscribe · hype</title><link rel=\"stylesheet\" href=\"/pkg/hype.css\"></head>\
         <body><main class=\"page narrow\"><section class=\"card\"><h1>Unsubscribe</h1>\
         <p>{message}</p>{form}<p><a href=\"/account\">Your account page</a></p></section></main>\
         </body></html>"
    );
    (status, Html(body)).into_response()
}
