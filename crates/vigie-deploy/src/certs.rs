//! `vigie admission certs`: a CA and a serving certificate for the webhook's
//! Service, for clusters without cert-manager. The CA's key is not kept: the CA
//! signs this one certificate, and rotating means running the command again
//! (and applying the new `caBundle`).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::IpAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

use crate::error::{CertsError, ManifestsError};
use crate::names::{dns_name_problem, label_problem};

/// The longest validity accepted, in days (ten years).
pub const MAX_DAYS: u32 = 3650;

/// What to make certificates for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertsRequest {
    /// The Service's name.
    pub service: String,
    /// The Service's namespace.
    pub namespace: String,
    /// More DNS names for the serving certificate.
    pub extra_dns: Vec<String>,
    /// IP addresses for the serving certificate (`127.0.0.1` to test locally).
    pub ips: Vec<IpAddr>,
    /// How long both certificates are valid, from now.
    pub days: u32,
}

/// The PEM texts made.
#[derive(Clone, Debug)]
pub struct CertBundle {
    /// The CA's certificate: the webhook configurations' `caBundle`.
    pub ca_pem: String,
    /// The serving certificate.
    pub cert_pem: String,
    /// The serving certificate's private key (PKCS#8).
    pub key_pem: String,
}

impl CertsRequest {
    /// The names the API server may use to reach the Service, shortest first,
    /// then the extra names.
    pub fn dns_names(&self) -> Vec<String> {
        let (s, n) = (&self.service, &self.namespace);
        let mut names = vec![
            s.clone(),
            format!("{s}.{n}"),
            format!("{s}.{n}.svc"),
            format!("{s}.{n}.svc.cluster.local"),
        ];
        for extra in &self.extra_dns {
            if !names.contains(extra) {
                names.push(extra.clone());
            }
        }
        names
    }

    fn check(&self) -> Result<(), CertsError> {
        let invalid = |what, value: &str, reason| CertsError::InvalidName {
            what,
            value: value.to_string(),
            reason,
        };
        if let Some(reason) = label_problem(&self.service) {
            return Err(invalid("service", &self.service, reason));
        }
        if let Some(reason) = label_problem(&self.namespace) {
            return Err(invalid("namespace", &self.namespace, reason));
        }
        if let Some((name, reason)) = self
            .extra_dns
            .iter()
            .find_map(|d| dns_name_problem(d).map(|r| (d, r)))
        {
            return Err(invalid("DNS name", name, reason));
        }
        if self.days == 0 || self.days > MAX_DAYS {
            return Err(CertsError::Days(self.days));
        }
        Ok(())
    }

    /// Makes a CA and a serving certificate signed by it.
    pub fn generate(&self) -> Result<CertBundle, CertsError> {
        self.check()?;
        // A little before now, so that a clock slightly behind ours accepts them.
        let not_before = OffsetDateTime::now_utc() - Duration::hours(1);
        let not_after = OffsetDateTime::now_utc() + Duration::days(i64::from(self.days));

        let ca_key = KeyPair::generate()?;
        let mut ca = CertificateParams::default();
        ca.distinguished_name = name(&format!("vigie admission CA ({})", self.namespace));
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.not_before = not_before;
        ca.not_after = not_after;
        let ca_cert = ca.self_signed(&ca_key)?;

        let key = KeyPair::generate()?;
        let mut leaf = CertificateParams::new(self.dns_names())?;
        leaf.subject_alt_names
            .extend(self.ips.iter().map(|ip| SanType::IpAddress(*ip)));
        leaf.distinguished_name = name(&format!("{}.{}.svc", self.service, self.namespace));
        leaf.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.not_before = not_before;
        leaf.not_after = not_after;
        let cert = leaf.signed_by(&key, &ca_cert, &ca_key)?;
        Ok(CertBundle {
            ca_pem: ca_cert.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

/// The largest certificate or key file read (a chain of a few certificates is
/// a few KiB).
pub const MAX_PEM_BYTES: u64 = 256 * 1024;

/// The three files of a certificate directory.
pub const FILES: [&str; 3] = ["ca.crt", "tls.crt", "tls.key"];

impl CertBundle {
    /// Writes `dir/ca.crt`, `dir/tls.crt` and `dir/tls.key` (the key readable by
    /// its owner only), creating `dir` if needed. Without `force`, nothing is
    /// written when any of the three exists. Returns the paths written.
    pub fn write(&self, dir: &Path, force: bool) -> Result<Vec<PathBuf>, CertsError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| CertsError::Io { path, source }
        };
        let paths: Vec<PathBuf> = FILES.iter().map(|f| dir.join(f)).collect();
        if !force {
            if let Some(existing) = paths.iter().find(|p| p.symlink_metadata().is_ok()) {
                return Err(CertsError::Exists(existing.clone()));
            }
        }
        fs::create_dir_all(dir).map_err(io(dir))?;
        for (path, (text, mode)) in paths.iter().zip([
            (&self.ca_pem, 0o644),
            (&self.cert_pem, 0o644),
            (&self.key_pem, 0o600),
        ]) {
            // Replaced, not rewritten in place: a key file that was readable by
            // others before must not keep that mode.
            if force {
                match fs::remove_file(path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(path)(e)),
                    _ => {}
                }
            }
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(path)
                .map_err(io(path))?;
            file.write_all(text.as_bytes()).map_err(io(path))?;
        }
        Ok(paths)
    }

    /// Reads the three files of a directory written by [`CertBundle::write`]
    /// (each at most [`MAX_PEM_BYTES`]).
    pub fn read(dir: &Path) -> Result<CertBundle, ManifestsError> {
        let read = |name: &str| {
            let path = dir.join(name);
            let error = |source| ManifestsError::Read {
                path: path.clone(),
                source,
            };
            let length = fs::metadata(&path).map_err(error)?.len();
            if length > MAX_PEM_BYTES {
                return Err(error(std::io::Error::other(format!(
                    "{length} bytes, more than the {MAX_PEM_BYTES} a certificate file may hold"
                ))));
            }
            fs::read_to_string(&path).map_err(error)
        };
        Ok(CertBundle {
            ca_pem: read("ca.crt")?,
            cert_pem: read("tls.crt")?,
            key_pem: read("tls.key")?,
        })
    }
}
