//! The client's address: the peer, or — only when the peer is a trusted proxy — the nearest
//! untrusted address in `X-Forwarded-For`.
use crate::config::HypeConfig;
use axum::http::HeaderMap;
use std::net::IpAddr;

pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, config: &HypeConfig) -> Option<IpAddr> {
    let peer = peer?;
    if !config.is_trusted_proxy(peer) {
        return Some(peer);
    }
    let mut chain = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else {
            return Some(peer);
        };
        for part in value.split(',') {
            match part.trim().parse::<IpAddr>() {
                Ok(ip) => chain.push(ip),
                Err(_) => return Some(peer),
            }
        }
    }
    chain
        .iter()
        .rev()
        .find(|ip| !config.is_trusted_proxy(**ip))
        .or(chain.first())
        .copied()
        .or(Some(peer))
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
}
