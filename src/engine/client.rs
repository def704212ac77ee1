//! Building the HTTP client: proxies, extra CA certificates, timing hooks.
//!
//! Everything comes from the profile; the process environment is never
//! read here, so what the header bar shows is what the client does.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Certificate, NoProxy, Proxy, redirect};

use crate::config::Profile;

use super::timing::{ConnectTimingLayer, TimingResolver};

/// Connection set-up gets its own, shorter limit so an unreachable host is
/// reported in seconds, not after the 10-minute request timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the client could not be built; nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "proxy `{url}` is not usable: {why}. Check HTTPS_PROXY / HTTP_PROXY / ALL_PROXY or the profile's proxy"
    )]
    Proxy { url: String, why: String },
    #[error("CA file {path}: {why}. Point SSL_CERT_FILE or the profile's ca_file at a PEM bundle")]
    CaFile { path: String, why: String },
    #[error("could not set up the HTTP client: {0}")]
    Build(String),
}

/// The settings that shape a client; clients are cached by them.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ClientSettings {
    pub https_proxy: Option<String>,
    pub http_proxy: Option<String>,
    pub no_proxy: Option<String>,
    pub ca_file: Option<PathBuf>,
    /// Host names answered without DNS, like curl's `--resolve`.
    pub pinned_hosts: BTreeMap<String, Vec<IpAddr>>,
    /// Every connection is plain HTTP (an http:// URL, no https proxy), so
    /// the system's CA certificates need not be loaded: that load is a
    /// fifth of a one-shot `claudetui send` against a local server.
    pub plain_http_only: bool,
}

impl std::fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSettings")
            .field(
                "https_proxy",
                &self.https_proxy.as_deref().map(mask_userinfo),
            )
            .field("http_proxy", &self.http_proxy.as_deref().map(mask_userinfo))
            .field("no_proxy", &self.no_proxy)
            .field("ca_file", &self.ca_file)
            .field("pinned_hosts", &self.pinned_hosts)
            .field("plain_http_only", &self.plain_http_only)
            .finish()
    }
}

impl ClientSettings {
    pub fn for_profile(profile: &Profile) -> Self {
        let proxy = &profile.proxy;
        let all = proxy.all.as_ref().map(|p| p.value.clone());
        ClientSettings {
            https_proxy: proxy
                .https
                .as_ref()
                .map(|p| p.value.clone())
                .or_else(|| all.clone()),
            http_proxy: proxy.http.as_ref().map(|p| p.value.clone()).or(all),
            no_proxy: proxy.no_proxy.as_ref().map(|p| p.value.clone()),
            ca_file: profile.ca_file.as_ref().map(|c| c.value.clone()),
            pinned_hosts: BTreeMap::new(),
            plain_http_only: false,
        }
    }

    /// Settings for requests to `url`: no TLS set-up when nothing will
    /// need it.
    pub fn for_url(mut self, url: &str) -> Self {
        let is_tls = |u: &Option<String>| u.as_deref().is_some_and(|u| u.starts_with("https://"));
        self.plain_http_only = url.starts_with("http://") && !is_tls(&self.http_proxy);
        self
    }

    /// Builds a client: no automatic proxies, no redirects followed (a
    /// redirect is something to show, not to hide), timing hooks on.
    pub fn build(&self) -> Result<reqwest::Client, ClientError> {
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .redirect(redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .dns_resolver(Arc::new(TimingResolver {
                pinned: Arc::new(self.pinned_hosts.clone()),
            }))
            .connector_layer(ConnectTimingLayer)
            .tls_info(true);
        let no_proxy = self.no_proxy.as_deref().and_then(NoProxy::from_string);
        if let Some(url) = &self.https_proxy {
            builder = builder.proxy(proxy(Proxy::https(url), url)?.no_proxy(no_proxy.clone()));
        }
        if let Some(url) = &self.http_proxy {
            builder = builder.proxy(proxy(Proxy::http(url), url)?.no_proxy(no_proxy));
        }
        if self.plain_http_only {
            builder = builder.tls_backend_preconfigured(tls_without_roots()?);
        } else if let Some(path) = &self.ca_file {
            builder = builder.tls_certs_merge(read_certificates(path)?);
        }
        builder
            .build()
            .map_err(|e| ClientError::Build(error_chain(&e)))
    }
}

/// A TLS configuration that trusts nothing, for clients that never speak
/// TLS: should one ever try, verification fails instead of passing.
fn tls_without_roots() -> Result<rustls::ClientConfig, ClientError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Build(e.to_string()))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth())
}

fn proxy(result: reqwest::Result<Proxy>, url: &str) -> Result<Proxy, ClientError> {
    result.map_err(|e| ClientError::Proxy {
        url: mask_userinfo(url),
        why: error_chain(&e),
    })
}

fn read_certificates(path: &PathBuf) -> Result<Vec<Certificate>, ClientError> {
    let error = |why: String| ClientError::CaFile {
        path: path.display().to_string(),
        why,
    };
    let pem = std::fs::read(path).map_err(|e| error(e.to_string()))?;
    let certs = Certificate::from_pem_bundle(&pem).map_err(|e| error(error_chain(&e)))?;
    if certs.is_empty() {
        return Err(error("no PEM certificates found in it".into()));
    }
    Ok(certs)
}

/// `http://user:secret@proxy:3128` → `http://user:…@proxy:3128`.
pub fn mask_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:…@{host}{}", &rest[authority_end..])
        }
        None => url.to_owned(),
    }
}

/// An error and all its causes, joined, so the root cause is visible.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_masked() {
        assert_eq!(
            mask_userinfo("http://bob:hunter2@proxy:3128"),
            "http://bob:…@proxy:3128"
        );
        assert_eq!(mask_userinfo("http://proxy:3128/x"), "http://proxy:3128/x");
        assert_eq!(
            mask_userinfo("socks5://u:p@h:1080/"),
            "socks5://u:…@h:1080/"
        );
        assert_eq!(mask_userinfo("not a url"), "not a url");
        let settings = ClientSettings {
            https_proxy: Some("http://bob:hunter2@proxy:3128".into()),
            ..ClientSettings::default()
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn a_bad_proxy_or_ca_file_is_named() {
        let settings = ClientSettings {
            https_proxy: Some("::not a proxy::".into()),
            ..ClientSettings::default()
        };
        assert!(matches!(settings.build(), Err(ClientError::Proxy { .. })));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let settings = ClientSettings {
            ca_file: Some(path.clone()),
            ..ClientSettings::default()
        };
        let err = settings.build().unwrap_err();
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );

        let settings = ClientSettings {
            ca_file: Some(dir.path().join("missing.pem")),
            ..ClientSettings::default()
        };
        assert!(matches!(settings.build(), Err(ClientError::CaFile { .. })));
    }

    #[test]
    fn default_settings_build() {
        ClientSettings::default().build().unwrap();
        ClientSettings::default()
            .for_url("http://127.0.0.1:1")
            .build()
            .unwrap();
    }

    #[test]
    fn tls_is_skipped_only_when_nothing_needs_it() {
        let plain = |url: &str, proxy: Option<&str>| {
            ClientSettings {
                http_proxy: proxy.map(str::to_owned),
                ..ClientSettings::default()
            }
            .for_url(url)
            .plain_http_only
        };
        assert!(plain("http://127.0.0.1:4747", None));
        assert!(plain("http://gw.internal", Some("http://proxy:3128")));
        assert!(!plain("https://api.anthropic.com", None));
        assert!(!plain("http://gw.internal", Some("https://proxy:3128")));
    }
}
