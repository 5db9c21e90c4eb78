//! Parse-don't-validate newtypes for everything a user types: once built, a value is valid.
use crate::error::Error;

/// A referral link identifier: 1–50 of `[A-Za-z0-9_-]`. Compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier(String);

impl Identifier {
    pub const MAX_LEN: usize = 50;

    pub fn parse(raw: &str) -> Result<Self, Error> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(Error::invalid(
                "An identifier has 1 to 50 characters: letters, digits, '_' and '-'.",
            ));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(Error::invalid(
                "An identifier may only use letters, digits, '_' and '-'.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// `None` for a blank field: the link then gets a random identifier.
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, Error> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => Self::parse(raw).map(Some),
        }
    }

    /// A random identifier of 8 lowercase letters and digits (about 2.8 × 10¹² of them).
    pub fn random() -> Self {
        use rand::Rng;
        const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyz23456789";
        let mut rng = rand::thread_rng();
        Self(
            (0..8)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and lookups.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// A username: 3–32 of `[A-Za-z0-9_.-]`, unique case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let raw = raw.trim();
        if raw.len() < 3 || raw.len() > 32 {
            return Err(Error::invalid("A username has 3 to 32 characters."));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(Error::invalid(
                "A username may only use letters, digits, '.', '_' and '-'.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, loosely checked: something@something, no spaces, at most 254 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// `None` for a blank field: email is optional.
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, Error> {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let valid = raw.len() <= 254
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(raw.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                    && !domain.starts_with('.') && !domain.ends_with('.'));
        if !valid {
            return Err(Error::invalid("That email address does not look right."));
        }
        Ok(Some(Self(raw.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8 to 1024 characters.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let len = raw.chars().count();
        if len < 8 {
            return Err(Error::invalid("A password has at least 8 characters."));
        }
        if len > 1024 {
            return Err(Error::invalid("A password has at most 1024 characters."));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// Cleans text from a request for storage: valid UTF-8 (lossy), no NUL, at most `max` chars,
/// so the same input is stored the same way on SQLite and PostgreSQL.
pub fn clean_text(bytes: &[u8], max: usize) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| *c != '\0')
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_accept_the_documented_alphabet_only() {
        assert!(Identifier::parse("abc_DEF-123").is_ok());
        assert!(Identifier::parse(&"a".repeat(50)).is_ok());
        assert!(Identifier::parse(&"a".repeat(51)).is_err());
        assert!(Identifier::parse("").is_err());
        assert!(Identifier::parse("has space").is_err());
        assert!(Identifier::parse("café").is_err());
        assert!(Identifier::parse("a/b").is_err());
    }

    #[test]
    fn random_identifiers_are_eight_valid_characters() {
        let id = Identifier::random();
        assert_eq!(id.as_str().len(), 8);
        assert!(Identifier::parse(id.as_str()).is_ok());
        assert_ne!(Identifier::random(), Identifier::random());
    }

    #[test]
    fn emails_are_optional_but_checked_when_given() {
        assert_eq!(Email::parse_optional(Some("  ")).unwrap(), None);
        assert!(Email::parse_optional(Some("a@b.example"))
            .unwrap()
            .is_some());
        assert!(Email::parse_optional(Some("nope")).is_err());
        assert!(Email::parse_optional(Some("a@b")).is_err());
    }

    #[test]
    fn clean_text_drops_nul_and_caps_length() {
        assert_eq!(clean_text(b"a\0b", 10), "ab");
        assert_eq!(clean_text(b"abcdef", 3), "abc");
        assert_eq!(clean_text(&[0xff, b'x'], 10), "\u{fffd}x");
    }
}
