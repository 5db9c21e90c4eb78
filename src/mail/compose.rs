//! The mails, in plain text and HTML, built from an outbox event when it is sent, so that a
//! link that was used or superseded, a notice turned off or an address removed in the
//! meantime is respected.
use super::Mail;
use crate::entities::{outbox_events, users};
use crate::error::Result;
use crate::outbox::EventType;
use crate::services::accounts::{self, Notice, TokenKey};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::Value;

/// What the mails need of the site: its address and the key of its links.
#[derive(Debug, Clone)]
pub struct Site {
    pub public_url: url::Url,
    pub key: TokenKey,
}

impl Site {
    fn url(&self, path: &str) -> String {
        let mut url = self.public_url.clone();
        url.set_path(path);
        url.into()
    }

    fn name(&self) -> String {
        format!(
            "hype at {}",
            self.public_url.host_str().unwrap_or("localhost")
        )
    }

    fn unsubscribe_url(&self, user_id: i32, notice: Notice) -> String {
        let mut url = self.public_url.clone();
        url.set_path("/unsubscribe");
        url.query_pairs_mut()
            .append_pair("user", &user_id.to_string())
            .append_pair("notice", notice.as_str())
            .append_pair("token", &self.key.unsubscribe(user_id, notice));
        url.into()
    }
}

/// How a referral's mail to the referrer names the person referred: `username`, or "a friend"
/// when they asked to be hidden from the referrer (as they are now, not when the event was
/// written).
async fn shown_referred(db: &impl ConnectionTrait, data: &Value, username: &str) -> Result<String> {
    let referral_id = data
        .pointer("/referral/id")
        .and_then(Value::as_i64)
        .and_then(|id| i32::try_from(id).ok());
    let hidden = match referral_id {
        Some(id) => crate::services::referee::hidden_from_referrer(db, id).await?,
        None => false,
    };
    Ok(crate::services::referee_shown_as(username, hidden).to_owned())
}

/// What to do with a mail delivery.
#[derive(Debug)]
pub enum Composed {
    Send(Mail),
    /// Nothing to send any more, and why (recorded as the delivery's result).
    Skip(&'static str),
}

/// The mail `event` makes for `user`.
pub async fn compose(
    db: &impl ConnectionTrait,
    site: &Site,
    event: &outbox_events::Model,
    user: &users::Model,
    now: DateTime<Utc>,
) -> Result<Composed> {
    if user.deleted_at.is_some() {
        return Ok(Composed::Skip("The account was deleted."));
    }
    let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
    let text_of = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or("someone");
    let confirmed_to = || {
        user.email
            .clone()
            .filter(|_| user.email_confirmed_at.is_some())
    };
    let Some(kind) = EventType::from_stored(&event.event_type) else {
        return Ok(Composed::Skip("No mail is made for this event."));
    };
    let mail = match kind {
        EventType::PasswordReset | EventType::EmailConfirmation => {
            let token_id = data.get("token_id").and_then(Value::as_i64).unwrap_or(0);
            let token = match i32::try_from(token_id) {
                Ok(id) => accounts::live_token(db, id, now).await?,
                Err(_) => None,
            };
            let Some(token) = token else {
                return Ok(Composed::Skip(
                    "The link was used, replaced by a newer one or expired before it was sent.",
                ));
            };
            let link = site.key.token(&token.nonce);
            if kind == EventType::PasswordReset {
                let Some(to) = user.email.clone() else {
                    return Ok(Composed::Skip("The account has no e-mail address."));
                };
                reset(
                    site,
                    user,
                    to,
                    &accounts::reset_url(&site.public_url, &link),
                )
            } else {
                let (Some(to), true) = (token.email.clone(), token.email == user.email) else {
                    return Ok(Composed::Skip("The account's address changed since."));
                };
                confirm(
                    site,
                    user,
                    to,
                    &accounts::confirm_url(&site.public_url, &link),
                )
            }
        }
        EventType::ReferralCreated => {
            let Some(to) = confirmed_to().filter(|_| user.notify_joins) else {
                return Ok(Composed::Skip(
                    "The notice is off, or the address unconfirmed.",
                ));
            };
            let referred = shown_referred(db, &data, text_of("referred")).await?;
            let link = data.get("link").and_then(Value::as_str);
            let via = link
                .map(|l| format!(" through your link {l}"))
                .unwrap_or_default();
            notice(
                site,
                user,
                to,
                Notice::Joins,
                format!("{referred} joined{via}"),
                format!(
                    "{referred} just signed up{via}. Once the referral is confirmed, you are \
                     credited for it."
                ),
                ("See your rewards", site.url("/rewards")),
            )
        }
        EventType::RewardCredited => {
            let Some(to) = confirmed_to().filter(|_| user.notify_credits) else {
                return Ok(Composed::Skip(
                    "The notice is off, or the address unconfirmed.",
                ));
            };
            let referred = shown_referred(db, &data, text_of("referred")).await?;
            let points = data.get("points").and_then(Value::as_i64).unwrap_or(0);
            notice(
                site,
                user,
                to,
                Notice::Credits,
                format!("Your referral of {referred} was confirmed: +{points} points"),
                format!(
                    "Your referral of {referred} was confirmed, and {points} points were \
                     credited to you."
                ),
                ("See your rewards", site.url("/rewards")),
            )
        }
        EventType::ReviewDigest => {
            let Some(to) = confirmed_to().filter(|_| user.notify_digest && user.is_admin) else {
                return Ok(Composed::Skip(
                    "The digest is off, or the address unconfirmed.",
                ));
            };
            let waiting = data.get("waiting").and_then(Value::as_i64).unwrap_or(0);
            let new = data.get("new").and_then(Value::as_i64).unwrap_or(0);
            notice(
                site,
                user,
                to,
                Notice::Digest,
                format!("{waiting} referrals are waiting for review"),
                format!(
                    "{new} referrals arrived in the last hour, and {waiting} in all are \
                     waiting for review."
                ),
                ("Review them", site.url("/admin/referrals")),
            )
        }
        _ => return Ok(Composed::Skip("No mail is made for this event.")),
    };
    Ok(Composed::Send(mail))
}

fn reset(site: &Site, user: &users::Model, to: String, url: &str) -> Mail {
    let minutes = accounts::RESET_TTL.num_minutes();
    let intro = format!(
        "Someone, hopefully you, asked to reset the password of {} on {}.",
        user.username,
        site.name()
    );
    let after = "If it wasn't you, ignore this mail: your password stays as it is.";
    Mail {
        to,
        subject: "Reset your password".into(),
        text: format!(
            "{intro}\n\nChoose a new password within {minutes} minutes here (the link works \
             once):\n{url}\n\n{after}\n"
        ),
        html: page(
            &intro,
            &format!("Choose a new password within {minutes} minutes (the link works once)."),
            ("Choose a new password", url),
            after,
        ),
        unsubscribe: None,
        secret: true,
    }
}

fn confirm(site: &Site, user: &users::Model, to: String, url: &str) -> Mail {
    let intro = format!(
        "Please confirm that this is the address of {} on {}.",
        user.username,
        site.name()
    );
    let after = "If you did not give this address, ignore this mail.";
    Mail {
        to,
        subject: "Confirm your e-mail address".into(),
        text: format!("{intro}\n\nConfirm it here:\n{url}\n\n{after}\n"),
        html: page(
            &intro,
            "Notices about your referrals are sent only once it is confirmed.",
            ("Confirm my address", url),
            after,
        ),
        unsubscribe: None,
        secret: true,
    }
}

fn notice(
    site: &Site,
    user: &users::Model,
    to: String,
    kind: Notice,
    subject: String,
    body: String,
    (action, url): (&str, String),
) -> Mail {
    let unsubscribe = site.unsubscribe_url(user.id, kind);
    let after = format!(
        "You get this mail because of your notice settings on {}. Choose them on your account \
         page ({}), or stop this kind of mail with one click: {unsubscribe}",
        site.name(),
        site.url("/account")
    );
    Mail {
        to,
        subject,
        text: format!(
            "Hello {},\n\n{body}\n\n{action}: {url}\n\n-- \n{after}\n",
            user.username
        ),
        html: page(
            &format!("Hello {},", user.username),
            &body,
            (action, &url),
            &after,
        ),
        unsubscribe: Some(unsubscribe),
        secret: false,
    }
}

/// A small HTML page with one button, every text escaped.
fn page(intro: &str, body: &str, (action, url): (&str, &str), after: &str) -> String {
    format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5;color:#1f2933\">\
         <p>{}</p><p>{}</p>\
         <p><a href=\"{}\" style=\"display:inline-block;padding:10px 16px;background:#4f46e5;\
         color:#fff;border-radius:6px;text-decoration:none\">{}</a></p>\
         <p style=\"font-size:13px;color:#52606d\">{}</p></body></html>",
        escape(intro),
        escape(body),
        escape(url),
        escape(action),
        escape(after)
    )
}

/// `text` safe inside HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_mails_escape_what_users_wrote() {
        let html = page("Hello <b>", "a & b", ("Go", "https://x/?a=1&b=2"), "\"q\"");
        assert!(html.contains("Hello &lt;b&gt;"));
        assert!(html.contains("a &amp; b"));
        assert!(html.contains("https://x/?a=1&amp;b=2"));
        assert!(!html.contains("<b>"));
    }
}
