//! Which hosts a `NO_PROXY` list sends direct, by the rules the engine's
//! HTTP client applies (reqwest, through hyper-util's proxy matcher), so
//! the doctor's answer is what a request does:
//!
//! - entries are separated by commas, spaces around them ignored;
//! - an IP address or a network (`10.0.0.0/8`, `::1`) matches IP hosts only;
//! - any other entry is a domain: `example.com` and `.example.com` both
//!   match `example.com` and every name under it, case-insensitively;
//! - `*` matches every host *name*. Like the engine, it does not match an
//!   IP address written in the base URL: list those explicitly.
//!
//! Ports in an entry are not understood (the entry then matches nothing),
//! as in the engine.

use std::net::IpAddr;

/// The entry of `no_proxy` that sends `host` direct, if any. `host` is a
/// URL's host: a name, an IPv4 address, or an IPv6 address in brackets.
pub(super) fn excluded_by<'a>(no_proxy: &'a str, host: &str) -> Option<&'a str> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let entries = no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty());
    match host.parse::<IpAddr>() {
        Ok(ip) => entries
            .into_iter()
            .find(|entry| ip_entry(entry).is_some_and(|net| net.contains(ip))),
        Err(_) => entries
            .into_iter()
            .filter(|entry| ip_entry(entry).is_none())
            .find(|entry| domain_matches(entry, host)),
    }
}

/// An address or a network written as `addr/prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                same_prefix(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

/// True when the first `prefix` bits of `a` and `b` agree.
fn same_prefix(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let mut bits = usize::from(prefix);
    for (x, y) in a.iter().zip(b) {
        if bits == 0 {
            return true;
        }
        let take = bits.min(8);
        // `take` is 1..=8, so the shift stays within u8.
        let mask = 0xffu8 << (8 - take);
        if x & mask != y & mask {
            return false;
        }
        bits -= take;
    }
    true
}

/// The entry as an IP address or network, when it is one.
fn ip_entry(entry: &str) -> Option<Network> {
    let (addr, prefix) = match entry.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (entry, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(text) => text.parse::<u8>().ok().filter(|p| *p <= max)?,
        None => max,
    };
    Some(Network { addr, prefix })
}

/// `example.com` and `.example.com` match the name and its subdomains.
fn domain_matches(entry: &str, host: &str) -> bool {
    if entry == "*" {
        return true;
    }
    let bare = entry.strip_prefix('.').unwrap_or(entry);
    if bare.is_empty() {
        return false;
    }
    if host.eq_ignore_ascii_case(bare) {
        return true;
    }
    let (h, b) = (host.as_bytes(), bare.as_bytes());
    h.len() > b.len()
        && h[h.len() - b.len()..].eq_ignore_ascii_case(b)
        && h[h.len() - b.len() - 1] == b'.'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_match_themselves_and_their_subdomains() {
        let list = "localhost, .internal.example, Example.COM";
        assert_eq!(excluded_by(list, "example.com"), Some("Example.COM"));
        assert_eq!(excluded_by(list, "api.example.com"), Some("Example.COM"));
        assert_eq!(excluded_by(list, "notexample.com"), None);
        assert_eq!(
            excluded_by(list, "gw.internal.example"),
            Some(".internal.example")
        );
        assert_eq!(
            excluded_by(list, "internal.example"),
            Some(".internal.example")
        );
        assert_eq!(excluded_by(list, "localhost"), Some("localhost"));
        assert_eq!(excluded_by(list, "api.anthropic.com"), None);
        assert_eq!(excluded_by("", "api.anthropic.com"), None);
        assert_eq!(excluded_by(" , ,", "api.anthropic.com"), None);
    }

    #[test]
    fn addresses_and_networks_match_ip_hosts() {
        let list = "10.0.0.0/8, 192.168.1.42, ::1, fd00::/8";
        assert_eq!(excluded_by(list, "10.20.30.40"), Some("10.0.0.0/8"));
        assert_eq!(excluded_by(list, "11.0.0.1"), None);
        assert_eq!(excluded_by(list, "192.168.1.42"), Some("192.168.1.42"));
        assert_eq!(excluded_by(list, "192.168.1.43"), None);
        assert_eq!(excluded_by(list, "[::1]"), Some("::1"));
        assert_eq!(excluded_by(list, "[fd12::5]"), Some("fd00::/8"));
        assert_eq!(excluded_by(list, "[fe80::1]"), None);
        assert_eq!(excluded_by("127.0.0.1/33", "127.0.0.1"), None);
        assert_eq!(excluded_by("0.0.0.0/0", "203.0.113.9"), Some("0.0.0.0/0"));
        assert_eq!(excluded_by("10.1.2.3/20", "10.1.15.1"), Some("10.1.2.3/20"));
        assert_eq!(excluded_by("10.1.2.3/20", "10.1.16.1"), None);
    }

    #[test]
    fn a_star_matches_names_but_not_ip_addresses_as_in_the_engine() {
        assert_eq!(excluded_by("*", "api.anthropic.com"), Some("*"));
        assert_eq!(excluded_by("*", "127.0.0.1"), None);
        // An IP entry never matches a name, and a port makes an entry inert.
        assert_eq!(excluded_by("127.0.0.1", "localhost"), None);
        assert_eq!(excluded_by("example.com:443", "example.com"), None);
    }
}
