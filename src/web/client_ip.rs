//! The client's address: the peer, or — only when the peer is a trusted proxy — the address
//! `X-Forwarded-For` names just before the trusted proxies.
use crate::config::HypeConfig;
use axum::http::HeaderMap;
use std::net::IpAddr;

/// Walks `X-Forwarded-For` from the right (the entries the nearest proxies appended) over
/// trusted proxies, and answers the first entry that is not one. Only that entry has to parse:
/// whatever a client wrote to the left of it is its own claim and is never read. An entry that
/// is not an address stops the walk at the last trusted hop. IPv4-mapped IPv6 addresses
/// (`::ffff:a.b.c.d`, as a dual-stack socket reports IPv4 peers) count as their IPv4 address.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, config: &HypeConfig) -> Option<IpAddr> {
    let mut nearest = peer?.to_canonical();
    if !config.is_trusted_proxy(nearest) {
        return Some(nearest);
    }
    let entries = headers
        .get_all("x-forwarded-for")
        .iter()
        .rev()
        .flat_map(|value| value.to_str().unwrap_or("").rsplit(','));
    for entry in entries {
        let Ok(ip) = entry.trim().parse::<IpAddr>() else {
            return Some(nearest);
        };
        nearest = ip.to_canonical();
        if !config.is_trusted_proxy(nearest) {
            return Some(nearest);
        }
    }
    Some(nearest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(xff).unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let config = HypeConfig {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..Default::default()
        };
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let h = headers("198.51.100.1, 10.0.0.7");
        assert_eq!(
            client_ip(Some(proxy), &h, &config),
            Some("198.51.100.1".parse().unwrap())
        );
        assert_eq!(client_ip(Some(stranger), &h, &config), Some(stranger));
        assert_eq!(
            client_ip(Some(proxy), &headers("junk"), &config),
            Some(proxy)
        );
    }

    #[test]
    fn only_the_entry_left_of_the_trusted_proxies_is_read() {
        let config = HypeConfig {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..Default::default()
        };
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let client: IpAddr = "198.51.100.7".parse().unwrap();
        // What the client wrote itself, left of the address our proxy saw, is ignored.
        for xff in [
            "junk, 198.51.100.7",
            "203.0.113.1, 198.51.100.7",
            "junk, 198.51.100.7, 10.0.0.9",
            " 198.51.100.7 ",
        ] {
            assert_eq!(
                client_ip(Some(proxy), &headers(xff), &config),
                Some(client),
                "{xff}"
            );
        }
        // Two headers are one list, in order.
        let mut two = headers("junk");
        two.append(
            "x-forwarded-for",
            HeaderValue::from_static("198.51.100.7, 10.0.0.9"),
        );
        assert_eq!(client_ip(Some(proxy), &two, &config), Some(client));
        // Garbage right after a trusted hop: that hop is the client as far as we know.
        assert_eq!(
            client_ip(
                Some(proxy),
                &headers("198.51.100.7, junk, 10.0.0.9"),
                &config
            ),
            Some("10.0.0.9".parse().unwrap())
        );
        // Nothing but trusted hops: the farthest of them.
        assert_eq!(
            client_ip(Some(proxy), &headers("10.1.1.1, 10.0.0.9"), &config),
            Some("10.1.1.1".parse().unwrap())
        );
    }

    #[test]
    fn ipv4_mapped_peers_are_trusted_as_their_ipv4_address() {
        let config = HypeConfig {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..Default::default()
        };
        let mapped: IpAddr = "::ffff:10.0.0.5".parse().unwrap();
        assert_eq!(
            client_ip(Some(mapped), &headers("198.51.100.7"), &config),
            Some("198.51.100.7".parse().unwrap())
        );
        let stranger: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(
            client_ip(Some(stranger), &headers("198.51.100.7"), &config),
            Some("203.0.113.9".parse().unwrap())
        );
    }
}
