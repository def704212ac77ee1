//! The tap's local certificate authority, for `--mitm`.
//!
//! Generated once and kept in the data directory (the private key readable
//! by its owner only), reused on every run so a client told to trust it
//! once keeps trusting it. Its certificate carries name constraints: it
//! can only vouch for the hosts the tap opens ([`INTERCEPTED_HOSTS`]), so
//! even a stolen key could not impersonate any other site. Leaf
//! certificates are made per host on first use and kept in memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{Datelike, Duration as Days, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose, NameConstraints,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The hosts whose TLS the tap opens with `--mitm`; every other host is
/// tunnelled without being looked at. These are where Claude Code sends
/// what ignores `ANTHROPIC_BASE_URL`: the API itself (`/api/hello`, the
/// first-run probe) and the OAuth hosts it probes (`/v1/oauth/hello`; the
/// console host on older builds).
pub const INTERCEPTED_HOSTS: [&str; 3] = [
    "api.anthropic.com",
    "platform.claude.com",
    "console.anthropic.com",
];

const CA_NAME: &str = "claudetui tap local CA";
const CERT_FILE: &str = "ca.pem";
const KEY_FILE: &str = "ca-key.pem";
const BUNDLE_FILE: &str = "ca-bundle.pem";

/// Where systems keep their trusted roots, to build a bundle for clients
/// whose CA setting replaces the system's instead of adding to it
/// (`SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`).
const SYSTEM_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/usr/local/etc/openssl/cert.pem",
];

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("the tap's CA in {}: {what}: {source}. Check the data directory is writable, or delete the folder for a new CA", .dir.display())]
    Io {
        dir: PathBuf,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("the tap's CA in {}: {what}: {source}. Delete the folder to make a new CA (clients must then trust the new one)", .dir.display())]
    Certificate {
        dir: PathBuf,
        what: &'static str,
        #[source]
        source: rcgen::Error,
    },
    #[error("the tap could not set up TLS for {host}: {why}")]
    Tls { host: String, why: String },
}

/// The CA, loaded or made, and the leaf certificates made so far.
pub struct LocalCa {
    dir: PathBuf,
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    leaves: Mutex<HashMap<String, Arc<rustls::ServerConfig>>>,
}

impl std::fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCa").field("dir", &self.dir).finish()
    }
}

impl LocalCa {
    /// The CA in `dir`, made there first if it is not.
    pub fn load_or_create(dir: &Path) -> Result<LocalCa, CaError> {
        let io = |what, source| CaError::Io {
            dir: dir.to_owned(),
            what,
            source,
        };
        let cert_path = dir.join(CERT_FILE);
        let key_path = dir.join(KEY_FILE);
        let (cert_pem, key) = if cert_path.exists() && key_path.exists() {
            keep_private(&key_path).map_err(|e| io("making ca-key.pem private", e))?;
            let cert_pem =
                std::fs::read_to_string(&cert_path).map_err(|e| io("reading ca.pem", e))?;
            let key_pem =
                std::fs::read_to_string(&key_path).map_err(|e| io("reading ca-key.pem", e))?;
            let key = KeyPair::from_pem(&key_pem).map_err(|source| CaError::Certificate {
                dir: dir.to_owned(),
                what: "reading the private key",
                source,
            })?;
            (cert_pem, key)
        } else {
            create(dir)?
        };
        let cert_der = rustls::pki_types::pem::PemObject::from_pem_slice(cert_pem.as_bytes())
            .map_err(|e| CaError::Io {
                dir: dir.to_owned(),
                what: "reading ca.pem",
                source: std::io::Error::other(e.to_string()),
            })?;
        Ok(LocalCa {
            dir: dir.to_owned(),
            cert_pem,
            cert_der,
            // The issuer is rebuilt from the same parameters the CA was
            // made with: its name is what leaves name as their issuer.
            issuer: Issuer::new(ca_params(), key),
            leaves: Mutex::new(HashMap::new()),
        })
    }

    pub fn cert_path(&self) -> PathBuf {
        self.dir.join(CERT_FILE)
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.join(KEY_FILE)
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A bundle of the system's roots plus this CA, for clients whose CA
    /// file replaces the system's (Python's requests, curl, OpenSSL). The
    /// CA alone when no system bundle is found.
    pub fn write_bundle(&self, extra_roots: Option<&Path>) -> Result<PathBuf, CaError> {
        let path = self.dir.join(BUNDLE_FILE);
        // `SSL_CERT_FILE` may be the bundle itself (the tap told the shell
        // to use it): building from it would add the CA again each run.
        let system = extra_roots
            .filter(|p| !p.starts_with(&self.dir))
            .map(Path::to_path_buf)
            .into_iter()
            .chain(SYSTEM_BUNDLES.iter().map(PathBuf::from))
            .find_map(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let mut bundle = system;
        if !bundle.is_empty() && !bundle.ends_with('\n') {
            bundle.push('\n');
        }
        bundle.push_str(&self.cert_pem);
        std::fs::write(&path, bundle).map_err(|source| CaError::Io {
            dir: self.dir.clone(),
            what: "writing ca-bundle.pem",
            source,
        })?;
        Ok(path)
    }

    /// A TLS server configuration presenting a certificate for `host`
    /// signed by this CA; made once per host.
    pub fn server_config(&self, host: &str) -> Result<Arc<rustls::ServerConfig>, CaError> {
        let host = host.to_ascii_lowercase();
        let mut leaves = self
            .leaves
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(config) = leaves.get(&host) {
            return Ok(config.clone());
        }
        let config = Arc::new(self.make_server_config(&host)?);
        leaves.insert(host, config.clone());
        Ok(config)
    }

    fn make_server_config(&self, host: &str) -> Result<rustls::ServerConfig, CaError> {
        let tls = |why: String| CaError::Tls {
            host: host.to_owned(),
            why,
        };
        let key = KeyPair::generate().map_err(|e| tls(e.to_string()))?;
        let mut params =
            CertificateParams::new(vec![host.to_owned()]).map_err(|e| tls(e.to_string()))?;
        params.distinguished_name = name(host);
        valid_for(&mut params, 90);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let leaf = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| tls(e.to_string()))?;
        let chain = vec![leaf.der().clone(), self.cert_der.clone()];
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(|e| tls(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// The CA's parameters. They must never change: a CA loaded from disk is
/// re-created from them, and leaves name its subject as their issuer.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(CA_NAME);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: INTERCEPTED_HOSTS
            .iter()
            .map(|h| GeneralSubtree::DnsName((*h).to_owned()))
            .collect(),
        excluded_subtrees: Vec::new(),
    });
    params
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "claudetui");
    dn
}

/// `params` valid from yesterday (clocks differ) for `days` days.
fn valid_for(params: &mut CertificateParams, days: i64) {
    let day = |at: chrono::DateTime<Utc>| {
        rcgen::date_time_ymd(at.year(), at.month() as u8, at.day() as u8)
    };
    let today = Utc::now();
    params.not_before = day(today - Days::days(1));
    params.not_after = day(today + Days::days(days));
}

/// Makes the CA in `dir`: the key written readable by its owner only,
/// before the certificate, so a half-made CA is never half-trusted.
fn create(dir: &Path) -> Result<(String, KeyPair), CaError> {
    let io = |what, source| CaError::Io {
        dir: dir.to_owned(),
        what,
        source,
    };
    let certificate = |what, source| CaError::Certificate {
        dir: dir.to_owned(),
        what,
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io("creating the folder", e))?;
    let key = KeyPair::generate().map_err(|e| certificate("making a key", e))?;
    let mut params = ca_params();
    valid_for(&mut params, 3650);
    let cert = params
        .self_signed(&key)
        .map_err(|e| certificate("signing the CA certificate", e))?;
    write_private(&dir.join(KEY_FILE), key.serialize_pem().as_bytes())
        .map_err(|e| io("writing ca-key.pem", e))?;
    std::fs::write(dir.join(CERT_FILE), cert.pem()).map_err(|e| io("writing ca.pem", e))?;
    Ok((cert.pem(), key))
}

/// The key readable by its owner only, whatever an older file allowed.
fn keep_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if mode != 0o600 {
            tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "the tap's CA key was readable by others; made private");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    // An existing file keeps its mode through `open`: set it.
    keep_private(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_is_made_once_with_a_private_key_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = LocalCa::load_or_create(dir.path()).unwrap();
        let second = LocalCa::load_or_create(dir.path()).unwrap();
        assert_eq!(first.cert_pem(), second.cert_pem());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(first.key_path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(second.server_config("api.anthropic.com").is_ok());
    }

    #[test]
    fn the_bundle_holds_the_system_roots_and_the_ca() {
        let dir = tempfile::tempdir().unwrap();
        let ca = LocalCa::load_or_create(dir.path()).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let roots = elsewhere.path().join("roots.pem");
        std::fs::write(
            &roots,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        )
        .unwrap();
        let bundle = std::fs::read_to_string(ca.write_bundle(Some(&roots)).unwrap()).unwrap();
        assert!(bundle.starts_with("-----BEGIN CERTIFICATE-----\nAAAA"));
        assert!(bundle.ends_with(ca.cert_pem()));
        // Built again from itself, it does not grow.
        let path = ca
            .write_bundle(Some(&dir.path().join("ca-bundle.pem")))
            .unwrap();
        let again = std::fs::read_to_string(path).unwrap();
        assert_eq!(again.matches(ca.cert_pem()).count(), 1, "the CA once");
    }
}
