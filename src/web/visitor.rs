//! The visitor cookie: a random visitor UUID in the `cookie` crate's signed jar (HMAC-SHA256
//! of the value), so a forged or altered value is ignored as if absent.
//! Cookies issued before the signed jar (`<uuid>.<base64url tag>`) are still honoured until
//! they expire.
use crate::config::HypeConfig;
use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{Cookie, CookieJar, Key, SameSite};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use uuid::Uuid;

#[derive(Clone)]
pub struct VisitorSigner {
    name: String,
    key: Key,
    legacy: LegacySigner,
}

impl std::fmt::Debug for VisitorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VisitorSigner(..)")
    }
}

impl VisitorSigner {
    /// Derives the cookie key from the site secret (a dedicated key: the secret itself is
    /// never used directly) for the cookie called `name`.
    pub fn new(secret: &[u8], name: &str) -> Self {
        let mut hasher = Sha512::new();
        hasher.update(b"hype visitor cookie v2\0");
        hasher.update(secret);
        Self {
            name: name.to_owned(),
            key: Key::from(&hasher.finalize()),
            legacy: LegacySigner::new(secret),
        }
    }

    /// The signed cookie value for `visitor`.
    pub fn sign(&self, visitor: Uuid) -> String {
        let mut jar = CookieJar::new();
        jar.signed_mut(&self.key)
            .add(Cookie::new(self.name.clone(), visitor.simple().to_string()));
        jar.get(&self.name)
            .map(|cookie| cookie.value().to_owned())
            .unwrap_or_default()
    }

    /// The visitor id of a genuine cookie value; `None` for anything forged or malformed.
    pub fn verify(&self, value: &str) -> Option<Uuid> {
        let cookie = Cookie::new(self.name.clone(), value.to_owned());
        match CookieJar::new().signed(&self.key).verify(cookie) {
            Some(genuine) => Uuid::try_parse(genuine.value()).ok(),
            None => self.legacy.verify(value),
        }
    }

    /// The visitor named by the request's cookie, when it is genuine.
    pub fn visitor(&self, headers: &HeaderMap) -> Option<Uuid> {
        read_cookie(headers, &self.name).and_then(|cookie| self.verify(cookie.value_trimmed()))
    }
}

/// The format before the signed jar: `<uuid>.<base64url HMAC-SHA256 of the uuid>`.
#[derive(Clone)]
struct LegacySigner {
    key: [u8; 32],
}

impl LegacySigner {
    fn new(secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"hype visitor cookie v1\0");
        hasher.update(secret);
        Self {
            key: hasher.finalize().into(),
        }
    }

    fn verify(&self, value: &str) -> Option<Uuid> {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let (payload, tag) = value.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(payload.as_bytes());
        mac.verify_slice(&tag).ok()?;
        Uuid::try_parse(payload).ok()
    }
}

/// Cookie `name` of the request, from any of its `Cookie` headers: the one cookie parser of
/// the site.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<Cookie<'a>> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
}

/// `Set-Cookie` for a new visitor cookie.
pub fn set_cookie(config: &HypeConfig, value: &str) -> HeaderValue {
    let max_age = i64::from(config.attribution_window_days) * 86_400;
    cookie_header(config, value, max_age)
}

/// `Set-Cookie` that deletes the visitor cookie.
pub fn delete_cookie(config: &HypeConfig) -> HeaderValue {
    cookie_header(config, "", 0)
}

fn cookie_header(config: &HypeConfig, value: &str, max_age: i64) -> HeaderValue {
    let cookie = Cookie::build((config.cookie_name.as_str(), value))
        .max_age(cookie::time::Duration::seconds(max_age))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies())
        .build();
    // The name comes from configuration (checked at start-up) and the value is ours.
    HeaderValue::from_str(&cookie.to_string())
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
        let signer = VisitorSigner::new(b"secret", "hype_rk");
        let visitor = Uuid::new_v4();
        let value = signer.sign(visitor);
        assert_eq!(signer.verify(&value), Some(visitor));
        let other = Uuid::new_v4().simple().to_string();
        let forged = format!("{}{other}", &value[..value.len() - 32]);
        assert_eq!(signer.verify(&forged), None);
        assert_eq!(VisitorSigner::new(b"other", "hype_rk").verify(&value), None);
        assert_eq!(signer.verify("garbage"), None);
        assert_eq!(signer.verify(""), None);
    }

    #[test]
    fn a_cookie_signed_before_the_signed_jar_still_names_its_visitor() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let visitor = Uuid::new_v4();
        let payload = visitor.simple().to_string();
        let legacy = LegacySigner::new(b"secret");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&legacy.key).unwrap();
        mac.update(payload.as_bytes());
        let value = format!(
            "{payload}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        );
        let signer = VisitorSigner::new(b"secret", "hype_rk");
        assert_eq!(signer.verify(&value), Some(visitor));
        assert_eq!(VisitorSigner::new(b"other", "hype_rk").verify(&value), None);
    }

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("b=2; hype_rk=\"v\""),
        );
        assert_eq!(
            read_cookie(&headers, "hype_rk").unwrap().value_trimmed(),
            "v"
        );
        assert_eq!(read_cookie(&headers, "a").unwrap().value(), "1");
        assert!(read_cookie(&headers, "c").is_none());
    }

    #[test]
    fn the_set_cookie_header_keeps_its_attributes() {
        let config = HypeConfig::default();
        let header = set_cookie(&config, "value");
        let text = header.to_str().unwrap();
        for part in [
            "hype_rk=value",
            "Max-Age=31536000",
            "Path=/",
            "HttpOnly",
            "SameSite=Lax",
        ] {
            assert!(text.contains(part), "{text} lacks {part}");
        }
        assert!(!text.contains("Secure"), "plain http gets no Secure");
        assert!(delete_cookie(&config)
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
    }
}
