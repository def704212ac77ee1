//! One TLS handshake, timed, with the trust the engine uses: the
//! platform's verifier (rustls-platform-verifier, as reqwest sets it up)
//! plus the profile's CA file when there is one. The certificate the
//! server presented is kept even when verification refuses it, since
//! "who signed this" is exactly what a refused handshake needs to show.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, ProtocolVersion, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;

use super::certificate::{CertSummary, summarize};

/// What a handshake showed.
#[derive(Debug)]
pub(super) struct Handshake {
    pub took: Duration,
    /// The protocol and ALPN agreed, or why the handshake failed.
    pub result: Result<Negotiated, HandshakeError>,
    /// The server's own certificate, as presented (verified or not).
    pub presented: Option<CertSummary>,
}

/// Why a handshake failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum HandshakeError {
    /// No handshake answer within the limit.
    TimedOut(Duration),
    /// What answered is not TLS (a plain-http server on that port).
    NotTls(String),
    /// The handshake failed: a certificate refused, a protocol mismatch.
    Failed(String),
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandshakeError::TimedOut(limit) => write!(
                f,
                "no TLS answer within {}",
                super::reachability::seconds(*limit)
            ),
            HandshakeError::NotTls(why) | HandshakeError::Failed(why) => f.write_str(why),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Negotiated {
    /// `TLS 1.3`.
    pub version: String,
    /// `h2`, `http/1.1`, when the server chose one.
    pub alpn: Option<String>,
}

/// The PEM certificates of a CA file, as the engine adds them to the roots.
pub(super) fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| e.to_string())?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM bundle: {e}"))?;
    if certs.is_empty() {
        return Err("no PEM certificates found in it".into());
    }
    Ok(certs)
}

/// A handshake with `host` over `stream`, within `limit`. `Err` when no
/// handshake could be attempted (the verifier could not be set up).
pub(super) async fn handshake<S>(
    stream: S,
    host: &str,
    extra_roots: &[CertificateDer<'static>],
    limit: Duration,
) -> Result<Handshake, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let platform = if extra_roots.is_empty() {
        rustls_platform_verifier::Verifier::new(provider.clone())
    } else {
        rustls_platform_verifier::Verifier::new_with_extra_roots(
            extra_roots.iter().cloned(),
            provider.clone(),
        )
    }
    .map_err(|e| format!("the certificate verifier could not be set up: {e}"))?;
    let recording = Arc::new(Recording {
        inner: platform,
        presented: Mutex::new(None),
    });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS could not be set up: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(recording.clone())
        .with_no_client_auth();
    // What reqwest offers with HTTP/2 enabled.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']'))
        .map_err(|e| format!("`{host}` cannot be used as a TLS server name: {e}"))?
        .to_owned();
    let started = Instant::now();
    let connecting = TlsConnector::from(Arc::new(config)).connect(name, stream);
    let result = match tokio::time::timeout(limit, connecting).await {
        Ok(Ok(tls)) => {
            let (_, connection) = tls.get_ref();
            Ok(Negotiated {
                version: connection
                    .protocol_version()
                    .map_or_else(|| "TLS".to_owned(), version_name),
                alpn: connection
                    .alpn_protocol()
                    .map(|p| String::from_utf8_lossy(p).into_owned()),
            })
        }
        Ok(Err(error)) => Err(classify(&error)),
        Err(_) => Err(HandshakeError::TimedOut(limit)),
    };
    let took = started.elapsed();
    let presented = recording
        .presented
        .lock()
        .ok()
        .and_then(|cert| cert.as_ref().and_then(summarize));
    Ok(Handshake {
        took,
        result,
        presented,
    })
}

/// A record that is not TLS at all is what a plain-http server answers
/// (rustls reports it as a corrupt message of an invalid content type).
fn classify(error: &std::io::Error) -> HandshakeError {
    let text = error.to_string();
    let inner = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    let not_tls = matches!(
        inner,
        Some(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType
        ))
    ) || text.contains("InvalidContentType");
    if not_tls {
        HandshakeError::NotTls(text)
    } else {
        HandshakeError::Failed(text)
    }
}

fn version_name(version: ProtocolVersion) -> String {
    match version {
        ProtocolVersion::TLSv1_3 => "TLS 1.3".into(),
        ProtocolVersion::TLSv1_2 => "TLS 1.2".into(),
        other => format!("{other:?}"),
    }
}

/// The platform's verifier, remembering the certificate it was shown.
#[derive(Debug)]
struct Recording {
    inner: rustls_platform_verifier::Verifier,
    presented: Mutex<Option<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut presented) = self.presented.lock() {
            *presented = Some(end_entity.clone().into_owned());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_that_is_not_pem_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        assert!(read_ca_file(&path).unwrap_err().contains("no PEM"));
        assert!(read_ca_file(&dir.path().join("missing.pem")).is_err());
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["ca.test".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(&path, cert.pem()).unwrap();
        assert_eq!(read_ca_file(&path).unwrap().len(), 1);
    }
}
