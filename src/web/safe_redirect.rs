//! Which `next` values may be followed: same-site relative paths only, by the rules of Django's
//! `url_has_allowed_host_and_scheme(next, allowed_hosts=None)` and a little stricter. What is
//! followed is re-serialized so a Location header carries only visible ASCII.
use url::Url;

/// Returns the path (with query and fragment) to redirect to, or `None` when `raw` is not a
/// safe same-site path.
pub fn safe_next(raw: &str) -> Option<String> {
    let candidate = raw.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\n' || c == '\r');
    if !candidate.starts_with('/') {
        // Schemes (`https:`, `javascript:`), hosts and bare relative paths all start otherwise.
        return None;
    }
    if has_control(candidate) {
        return None;
    }
    // Browsers read `\` as `/`: `/\evil` is `//evil`, a host.
    let slashed = candidate.replace('\\', "/");
    if slashed.starts_with("//") {
        return None;
    }
    // The same checks once percent-decoded: `/%09/evil` and `/%2F/evil` are refused too.
    let decoded = percent_decode(candidate);
    if has_control(&decoded) || decoded.replace('\\', "/").starts_with("//") {
        return None;
    }
    let base = Url::parse("http://hype.invalid/").ok()?;
    let url = base.join(&slashed).ok()?;
    if url.host_str() != Some("hype.invalid") || url.scheme() != "http" {
        return None;
    }
    let mut out = url.path().to_owned();
    if let Some(query) = url.query() {
        out.push('?');
        out.push_str(query);
    }
    if let Some(fragment) = url.fragment() {
        out.push('#');
        out.push_str(fragment);
    }
    if out.starts_with("//") || !out.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return None;
    }
    Some(out)
}

fn has_control(s: &str) -> bool {
    s.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{feff}')
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn unsafe_targets_are_refused() {
        for raw in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "javascript:alert(1)",
            "https:evil.example",
            "http://127.0.0.1:3000/links",
            "///evil.example",
            "/a\tb",
            "/a\r\nSet-Cookie: x=1",
            "/a\u{0}b",
            "/%0d%0aSet-Cookie:x",
            "",
            "accounts/signup/",
            "  //evil.example",
        ] {
            assert_eq!(safe_next(raw), None, "{raw:?} must not be followed");
        }
    }

    #[test]
    fn same_site_paths_are_kept_and_encoded() {
        assert_eq!(
            safe_next("/accounts/signup/").as_deref(),
            Some("/accounts/signup/")
        );
        assert_eq!(safe_next("/a?b=1&c=2").as_deref(), Some("/a?b=1&c=2"));
        assert_eq!(safe_next("/caf%C3%A9").as_deref(), Some("/caf%C3%A9"));
        assert_eq!(safe_next("/café").as_deref(), Some("/caf%C3%A9"));
        assert_eq!(
            safe_next("/path with space").as_deref(),
            Some("/path%20with%20space")
        );
        assert_eq!(safe_next("/").as_deref(), Some("/"));
        assert_eq!(safe_next("/x#frag").as_deref(), Some("/x#frag"));
    }
}
