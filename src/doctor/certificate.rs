//! What a server certificate says about who answered: its subject and
//! issuer in words, and whether the issuer is a public CA, a product
//! known to inspect TLS, or something else (a private CA, or an
//! interception proxy this list does not know).
//!
//! The certificate's structure is read by webpki (the verifier rustls
//! uses); only the distinguished names are decoded here, and only the
//! attributes people recognise (CN, O, OU, C, ST, L).

use rustls::pki_types::CertificateDer;

/// A certificate in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CertSummary {
    /// `CN=api.example.com, O=Example Inc, C=US`.
    pub subject: String,
    pub issuer: String,
    /// The names it is valid for (subject alternative names).
    pub names: Vec<String>,
}

impl CertSummary {
    /// Issued by itself: nothing but an explicit trust setting can vouch
    /// for it.
    pub fn self_signed(&self) -> bool {
        !self.issuer.is_empty() && self.subject == self.issuer
    }
}

/// Reads a DER certificate; `None` when webpki cannot parse it.
pub(super) fn summarize(der: &CertificateDer<'_>) -> Option<CertSummary> {
    let cert = webpki::EndEntityCert::try_from(der).ok()?;
    Some(CertSummary {
        subject: name_text(cert.subject()),
        issuer: name_text(cert.issuer()),
        names: cert.valid_dns_names().map(printable).collect(),
    })
}

/// Who issued a certificate, as far as the name tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IssuerKind {
    /// A certificate authority browsers and operating systems trust.
    PublicCa,
    /// A product known to decrypt and re-sign TLS (the product's name).
    Inspection(&'static str),
    /// Neither: a private CA, a self-signed certificate, or an
    /// inspecting proxy that is not on the list.
    Unrecognised,
}

/// Public CAs, matched case-insensitively anywhere in the issuer name.
/// Not exhaustive: a miss makes the step say "not recognised", never fail.
const PUBLIC_CAS: &[&str] = &[
    "Let's Encrypt",
    "ISRG",
    "DigiCert",
    "Google Trust Services",
    "GTS ",
    "Amazon",
    "Sectigo",
    "COMODO",
    "USERTrust",
    "GlobalSign",
    "Cloudflare",
    "Microsoft",
    "Entrust",
    "GoDaddy",
    "Go Daddy",
    "Starfield",
    "IdenTrust",
    "Baltimore",
    "Buypass",
    "Certum",
    "SSL.com",
    "Actalis",
    "QuoVadis",
    "Apple",
    "Thawte",
    "GeoTrust",
    "RapidSSL",
    "VeriSign",
    "ZeroSSL",
    "HARICA",
    "SwissSign",
    "Telia",
    "T-Systems",
    "Certigna",
    "TrustAsia",
];

/// Products that inspect TLS by re-signing it with their own CA.
const INSPECTORS: &[(&str, &str)] = &[
    ("Zscaler", "Zscaler"),
    ("Netskope", "Netskope"),
    ("Palo Alto", "Palo Alto Networks"),
    ("PAN-OS", "Palo Alto Networks"),
    ("Fortinet", "Fortinet FortiGate"),
    ("FortiGate", "Fortinet FortiGate"),
    ("Blue Coat", "Blue Coat / Symantec proxy"),
    ("BlueCoat", "Blue Coat / Symantec proxy"),
    ("Cisco Umbrella", "Cisco Umbrella"),
    ("Forcepoint", "Forcepoint"),
    ("Websense", "Forcepoint"),
    ("Sophos", "Sophos"),
    ("Check Point", "Check Point"),
    ("Checkpoint", "Check Point"),
    ("Barracuda", "Barracuda"),
    ("McAfee Web Gateway", "McAfee Web Gateway"),
    ("Kaspersky", "Kaspersky"),
    ("Avast", "Avast"),
    ("AVG ", "AVG"),
    ("ESET SSL Filter", "ESET"),
    ("Bitdefender", "Bitdefender"),
    ("mitmproxy", "mitmproxy"),
    ("Charles Proxy", "Charles Proxy"),
    ("DO_NOT_TRUST", "Fiddler"),
    ("Fiddler", "Fiddler"),
    ("PortSwigger", "Burp Suite"),
    ("Burp", "Burp Suite"),
];

pub(super) fn classify_issuer(issuer: &str) -> IssuerKind {
    let lower = issuer.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(&needle.to_ascii_lowercase());
    if let Some((_, product)) = INSPECTORS.iter().find(|(needle, _)| has(needle)) {
        return IssuerKind::Inspection(product);
    }
    if PUBLIC_CAS.iter().any(|needle| has(needle)) {
        IssuerKind::PublicCa
    } else {
        IssuerKind::Unrecognised
    }
}

/// The attributes worth showing, most specific first (as RFC 4514 writes
/// a name): `CN=…, OU=…, O=…, L=…, ST=…, C=…`.
fn name_text(rdn_sequence: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut sets = rdn_sequence;
    while let Some((tag, set, rest)) = tlv(sets) {
        sets = rest;
        if tag != SET {
            continue;
        }
        let mut attributes = set;
        while let Some((tag, attribute, rest)) = tlv(attributes) {
            attributes = rest;
            if tag == SEQUENCE
                && let Some(part) = attribute_text(attribute)
            {
                parts.push(part);
            }
        }
    }
    parts.reverse();
    let text = parts.join(", ");
    if text.chars().count() > MAX_NAME_CHARS {
        let cut: String = text.chars().take(MAX_NAME_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

const SET: u8 = 0x31;
const SEQUENCE: u8 = 0x30;
const OID: u8 = 0x06;
/// A hostile certificate could carry a novel; a name is cut here.
const MAX_NAME_CHARS: usize = 200;

/// `CN=value` for the attribute types people recognise.
fn attribute_text(attribute: &[u8]) -> Option<String> {
    let (tag, oid, rest) = tlv(attribute)?;
    if tag != OID {
        return None;
    }
    let label = match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x0a] => "O",
        [0x55, 0x04, 0x0b] => "OU",
        _ => return None,
    };
    let (tag, value, _) = tlv(rest)?;
    Some(format!("{label}={}", string_value(tag, value)?))
}

/// The ASN.1 string types names use, as text safe to print.
fn string_value(tag: u8, value: &[u8]) -> Option<String> {
    let text = match tag {
        // UTF8String, PrintableString, IA5String, and the legacy
        // TeletexString (read as Latin-1, as most decoders do).
        0x0c | 0x13 | 0x16 => String::from_utf8_lossy(value).into_owned(),
        0x14 => value.iter().map(|b| char::from(*b)).collect(),
        // BMPString: UTF-16, big-endian.
        0x1e => {
            let units: Vec<u16> = value
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => return None,
    };
    Some(printable(&text))
}

/// Control characters (a terminal escape in a certificate) become `?`.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// One DER element: its tag, its contents and what follows it.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (bytes, rest) = rest.split_at_checked(count)?;
        let length = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (length, rest)
    };
    let (contents, rest) = rest.split_at_checked(length)?;
    Some((tag, contents, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(params: rcgen::CertificateParams) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().clone()
    }

    #[test]
    fn a_certificate_reads_as_subject_issuer_and_names() {
        let mut params =
            rcgen::CertificateParams::new(vec!["gw.example.test".into(), "localhost".into()])
                .unwrap();
        let mut name = rcgen::DistinguishedName::new();
        name.push(rcgen::DnType::CountryName, "DE");
        name.push(rcgen::DnType::OrganizationName, "Zscaler Inc.");
        name.push(rcgen::DnType::CommonName, "Zscaler Intermediate Root CA");
        params.distinguished_name = name;
        let summary = summarize(&cert(params)).unwrap();
        assert_eq!(
            summary.subject,
            "CN=Zscaler Intermediate Root CA, O=Zscaler Inc., C=DE"
        );
        assert!(summary.self_signed());
        assert_eq!(summary.names, ["gw.example.test", "localhost"]);
        assert_eq!(
            classify_issuer(&summary.issuer),
            IssuerKind::Inspection("Zscaler")
        );
    }

    #[test]
    fn control_characters_in_a_name_cannot_reach_the_terminal() {
        let mut params = rcgen::CertificateParams::new(vec!["x.test".into()]).unwrap();
        let mut name = rcgen::DistinguishedName::new();
        name.push(rcgen::DnType::CommonName, "evil\u{1b}[2J");
        params.distinguished_name = name;
        let summary = summarize(&cert(params)).unwrap();
        assert_eq!(summary.subject, "CN=evil?[2J");
    }

    #[test]
    fn issuers_are_classified_by_name() {
        assert_eq!(
            classify_issuer("CN=R11, O=Let's Encrypt, C=US"),
            IssuerKind::PublicCa
        );
        assert_eq!(
            classify_issuer("CN=WE1, O=Google Trust Services, C=US"),
            IssuerKind::PublicCa
        );
        assert_eq!(
            classify_issuer("CN=mitmproxy, O=mitmproxy"),
            IssuerKind::Inspection("mitmproxy")
        );
        assert_eq!(
            classify_issuer("CN=FortiGate CA, O=Fortinet"),
            IssuerKind::Inspection("Fortinet FortiGate")
        );
        assert_eq!(
            classify_issuer("CN=ACME Corp Internal CA"),
            IssuerKind::Unrecognised
        );
        assert_eq!(classify_issuer(""), IssuerKind::Unrecognised);
    }

    #[test]
    fn broken_der_is_not_a_panic() {
        assert_eq!(tlv(&[]), None);
        assert_eq!(tlv(&[0x30]), None);
        assert_eq!(tlv(&[0x30, 0x85, 1, 2, 3, 4, 5]), None);
        assert_eq!(tlv(&[0x30, 0x05, 1]), None);
        assert_eq!(name_text(&[0x31, 0x03, 0x30, 0x01]), "");
        assert_eq!(
            summarize(&CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])),
            None
        );
    }
}
