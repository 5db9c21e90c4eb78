//! The visitor cookie: a random visitor UUID signed with HMAC-SHA256, so a forged or altered
//! value is ignored as if absent.
use crate::config::HypeConfig;
use axum::http::{header, HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

#[derive(Clone)]
pub struct VisitorSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for VisitorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VisitorSigner(..)")
    }
}

impl VisitorSigner {
    /// Derives the cookie key from the site secret (a dedicated key: the secret itself is
    /// never used directly).
    pub fn new(secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"hype visitor cookie v1\0");
        hasher.update(secret);
        Self {
            key: hasher.finalize().into(),
        }
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(payload.as_bytes());
        mac
    }

    /// `<uuid>.<signature>`, all cookie-safe characters.
    pub fn sign(&self, visitor: Uuid) -> String {
        let payload = visitor.simple().to_string();
        let tag = self.mac(&payload).finalize().into_bytes();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The visitor id of a genuine cookie value; `None` for anything forged or malformed.
    pub fn verify(&self, value: &str) -> Option<Uuid> {
        let (payload, tag) = value.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(payload).verify_slice(&tag).ok()?;
        Uuid::try_parse(payload).ok()
    }
}

/// The value of cookie `name` in the request, if any.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// `Set-Cookie` for a new visitor cookie.
pub fn set_cookie(config: &HypeConfig, value: &str) -> HeaderValue {
    let max_age = u64::from(config.attribution_window_days) * 86_400;
    cookie_header(config, value, max_age)
}

/// `Set-Cookie` that deletes the visitor cookie.
pub fn delete_cookie(config: &HypeConfig) -> HeaderValue {
    cookie_header(config, "", 0)
}

fn cookie_header(config: &HypeConfig, value: &str, max_age: u64) -> HeaderValue {
    let secure = if config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}",
        config.cookie_name
    );
    // The name comes from configuration (checked at start-up) and the value is ours.
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("hype_rk=; Max-Age=0; Path=/"))
}

/// True when `name` can be a cookie name (an RFC 6265 token).
pub fn valid_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_value_verifies_and_any_change_does_not() {
        let signer = VisitorSigner::new(b"secret");
        let visitor = Uuid::new_v4();
        let value = signer.sign(visitor);
        assert_eq!(signer.verify(&value), Some(visitor));
        let other = Uuid::new_v4().simple().to_string();
        let forged = format!("{other}{}", &value[32..]);
        assert_eq!(signer.verify(&forged), None);
        assert_eq!(VisitorSigner::new(b"other").verify(&value), None);
        assert_eq!(signer.verify("garbage"), None);
        assert_eq!(signer.verify(""), None);
    }

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; hype_rk=v"));
        assert_eq!(read_cookie(&headers, "hype_rk"), Some("v"));
        assert_eq!(read_cookie(&headers, "b"), None);
    }
}
