//! Sending one signed message over HTTP. One client serves every delivery (its connections
//! are kept for the next one); its resolver refuses names that lead to loopback, private,
//! link-local or otherwise non-public addresses, so the address checked is the address
//! connected to, and no proxy or redirect is followed.
use super::signing;
use crate::entities::webhook_endpoints;
use crate::error::{Error, Result};
use chrono::Utc;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// How long an answer may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an answer is kept for the admins.
pub(super) const EXCERPT: usize = 512;

/// What one attempt came to.
#[derive(Debug)]
pub(super) struct Outcome {
    pub delivered: bool,
    pub status: Option<u16>,
    pub result: String,
}

impl Outcome {
    pub fn failed(result: impl Into<String>) -> Self {
        Self {
            delivered: false,
            status: None,
            result: result.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    /// `allow_private`: send to non-public addresses too (`HYPE_WEBHOOK_ALLOW_PRIVATE`).
    pub fn new(allow_private: bool) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("hype-webhooks/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        let client = builder
            .build()
            .map_err(|e| Error::Internal(format!("building the webhook HTTP client: {e}")))?;
        Ok(Self {
            client,
            allow_private,
        })
    }

    /// Sends one signed message: a 2xx answer within `TIMEOUT` delivers it.
    pub async fn send(&self, endpoint: &webhook_endpoints::Model, id: &str, body: &str) -> Outcome {
        let url = match super::endpoints::parse_url(&endpoint.url) {
            Ok(url) => url,
            Err(error) => return Outcome::failed(error.to_string()),
        };
        // An address written in the URL reaches no resolver: it is checked here.
        if let Some(ip) = literal_address(&url) {
            if !self.allow_private && !is_public(ip) {
                return Outcome::failed(refusal(None, ip));
            }
        }
        let timestamp = Utc::now().timestamp();
        let Some(signature) = signing::sign(&endpoint.secret, id, timestamp, body) else {
            return Outcome::failed(
                "The endpoint's secret is malformed: create the endpoint again.",
            );
        };
        let answer = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_owned())
            .send()
            .await;
        let mut response = match answer {
            Ok(response) => response,
            Err(error) if error.is_timeout() => {
                return Outcome::failed(format!("No answer within {} s.", TIMEOUT.as_secs()))
            }
            Err(error) => return Outcome::failed(format!("Could not send: {}", describe(error))),
        };
        let status = response.status();
        let mut excerpt = Vec::new();
        while excerpt.len() < EXCERPT {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        excerpt.truncate(EXCERPT);
        Outcome {
            delivered: status.is_success(),
            status: Some(status.as_u16()),
            result: String::from_utf8_lossy(&excerpt).into_owned(),
        }
    }
}

/// reqwest's error and its causes, which say why (the page shows the URL already).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn literal_address(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Why a target is refused: `host` (a name) or the address itself is not public.
fn refusal(host: Option<&str>, ip: IpAddr) -> String {
    let what = match host {
        Some(host) => format!("{host} resolves to {ip}, which"),
        None => ip.to_string(),
    };
    format!("Refused: {what} is not a public address (HYPE_WEBHOOK_ALLOW_PRIVATE=1 allows it).")
}

/// The resolver of the webhook client: a name any of whose addresses is not public is
/// refused, so DNS cannot lead a delivery inside the network.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(resolve_public(name.as_str().to_owned()))
    }
}

async fn resolve_public(host: String) -> Result<Addrs, Box<dyn std::error::Error + Send + Sync>> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
    if let Some(refused) = addresses.iter().find(|a| !is_public(a.ip())) {
        return Err(refusal(Some(&host), refused.ip()).into());
    }
    Ok(Box::new(addresses.into_iter()))
}

/// True for an address on the public internet.
fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0xdb8 // documentation
                || first == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(
                !is_public(private.parse().unwrap()),
                "{private} counted as public"
            );
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(
                is_public(public.parse().unwrap()),
                "{public} counted as private"
            );
        }
    }

    #[tokio::test]
    async fn a_name_for_a_private_address_is_not_resolved() {
        let refused = match PublicOnly
            .resolve(Name::from_str("localhost").unwrap())
            .await
        {
            Ok(addresses) => panic!("resolved to {:?}", addresses.collect::<Vec<_>>()),
            Err(error) => error.to_string(),
        };
        assert!(refused.contains("HYPE_WEBHOOK_ALLOW_PRIVATE"), "{refused}");
    }
}
