//! TLS for the HTTP sink: the server is verified against the system's CA certificates
//! or a configured bundle; `insecure_skip_verify` (off by default) accepts any server
//! certificate but still checks the handshake's signatures.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use vigie_server::tls::{load_certs, load_key, load_roots, provider};

/// TLS settings of an HTTPS client (the HTTP sink).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientTlsConfig {
    /// CA bundle (PEM) the server's certificate must chain to, instead of the
    /// system's CA certificates.
    pub ca_file: Option<PathBuf>,
    /// Client certificate chain (PEM), for servers that require mutual TLS.
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    pub key_file: Option<PathBuf>,
    /// Accept any server certificate, whoever signed it and whatever name it holds.
    /// For tests only: anyone on the path can then read and change the traffic.
    pub insecure_skip_verify: bool,
}

impl ClientTlsConfig {
    /// True when any option is set (they only make sense with an `https://` URL).
    pub fn is_set(&self) -> bool {
        *self != ClientTlsConfig::default()
    }

    /// Reads the files (or the system store) and builds the rustls configuration.
    pub fn load(&self) -> io::Result<Arc<ClientConfig>> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?;
        let builder = if self.insecure_skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyServerCert(provider())))
        } else {
            let roots = match &self.ca_file {
                Some(path) => load_roots(path)?,
                None => system_roots()?,
            };
            builder.with_root_certificates(roots)
        };
        let config = match (&self.cert_file, &self.key_file) {
            (None, None) => builder.with_no_client_auth(),
            (Some(cert), Some(key)) => builder
                .with_client_auth_cert(load_certs(cert)?, load_key(key)?)
                .map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("{}: does not match {}: {e}", key.display(), cert.display()),
                    )
                })?,
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a client certificate needs both its certificate and key files",
                ))
            }
        };
        Ok(Arc::new(config))
    }
}

/// The system's CA certificates (`SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured).
fn system_roots() -> io::Result<RootCertStore> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found
            .errors
            .first()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no system CA certificates found{why}; give a CA bundle (ca_file)"),
        ));
    }
    Ok(roots)
}

/// Accepts every server certificate; handshake signatures are still verified.
#[derive(Debug)]
struct AnyServerCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
