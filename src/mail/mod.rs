//! Mail: what hype sends (`compose`: address confirmations, password resets, notices to
//! referrers and the admins' review digest) and how (`Mailer`: SMTP through `lettre`, or, with
//! no SMTP configured, a line in the log). Mails are outbox deliveries: the worker sends them,
//! retries them and records the answer like a webhook's.
pub mod compose;
pub mod digest;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How long an SMTP exchange may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// One mail, ready to send.
#[derive(Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe URL of a notice (RFC 8058).
    pub unsubscribe: Option<String>,
    /// The body holds a secret (a reset or confirmation link): never logged.
    pub secret: bool,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Sends mails over SMTP, or logs them when no SMTP is configured.
#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("smtp", &self.transport.is_some())
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// Call it on a Tokio runtime (the SMTP connection pool runs a task there).
    ///
    /// `smtp_url`: `smtp://host:port` (plain; `?tls=required` for STARTTLS), `smtps://user:pass@host`
    /// (TLS from the start), or `None` to log mails instead. `from`: the sender, as in
    /// `hype <noreply@example.com>`.
    ///
    /// Errors: a message naming what is wrong with either.
    pub fn new(smtp_url: Option<&str>, from: &str) -> Result<Self, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("HYPE_MAIL_FROM={from:?} is not a mail address: {e}"))?;
        let transport = match smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("HYPE_SMTP_URL is not a usable SMTP URL: {e}"))?
                    .timeout(Some(TIMEOUT))
                    .build(),
            ),
            None => None,
        };
        Ok(Self { transport, from })
    }

    /// Sends `mail`. `Ok` holds the server's answer (or "logged"); `Err` says why it failed.
    pub async fn send(&self, mail: &Mail) -> Result<String, String> {
        let Some(transport) = &self.transport else {
            if mail.secret {
                tracing::info!(
                    subject = %mail.subject,
                    "no HYPE_SMTP_URL: a mail was not sent (its link is secret and left out; \
                     `hype-server reset-password USERNAME` prints a reset link)"
                );
            } else {
                tracing::info!(subject = %mail.subject, body = %mail.text, "no HYPE_SMTP_URL: a mail was not sent");
            }
            return Ok("No SMTP server is configured: logged, not sent.".into());
        };
        let message = self.message(mail)?;
        match transport.send(message).await {
            Ok(response) => Ok(format!(
                "{} {}",
                u16::from(response.code()),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Err(error) => Err(format!("SMTP: {error}")),
        }
    }

    fn message(&self, mail: &Mail) -> Result<Message, String> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| format!("The address is not usable: {e}"))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone());
        if let Some(url) = &mail.unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| format!("The mail could not be built: {e}"))
    }
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bad_settings_are_named() {
        let error = Mailer::new(None, "not an address").unwrap_err();
        assert!(error.contains("HYPE_MAIL_FROM"), "{error}");
        let error = Mailer::new(Some("ftp://mail.example.com"), "a@example.com").unwrap_err();
        assert!(error.contains("HYPE_SMTP_URL"), "{error}");
        assert!(Mailer::new(Some("smtp://127.0.0.1:2525"), "hype <a@example.com>").is_ok());
    }

    #[test]
    fn a_notice_carries_one_click_unsubscribe_headers() {
        let mailer = Mailer::new(None, "hype <noreply@example.com>").unwrap();
        let mail = Mail {
            to: "bob@example.com".into(),
            subject: "Someone joined".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
            unsubscribe: Some("https://refer.example.com/unsubscribe?t=x".into()),
            secret: false,
        };
        let formatted = String::from_utf8(mailer.message(&mail).unwrap().formatted()).unwrap();
        assert!(
            formatted.contains("List-Unsubscribe: <https://refer.example.com/unsubscribe?t=x>"),
            "{formatted}"
        );
        assert!(formatted.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(formatted.contains("text/plain") && formatted.contains("text/html"));
    }
}
