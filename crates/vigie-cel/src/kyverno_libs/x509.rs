//! `x509_decode(pem)`: a PEM certificate as the JSON object Kyverno returns,
//! which is Go's `crypto/x509.Certificate` encoded with `encoding/json` (field
//! names as Go spells them, byte strings in base64, times in RFC 3339, enums
//! as Go's numbers, absent lists as `null`), with `PublicKey` replaced by
//! `{"N": "<modulus in decimal>", "E": <exponent>}`. As in Kyverno, only RSA
//! certificates are accepted.

use serde_json::{json, Map, Value as Json};
use x509_parser::der_parser::oid::Oid;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};
use x509_parser::public_key::PublicKey;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat};

/// Why a PEM text could not be decoded; the texts are Kyverno's where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X509Error {
    /// The text holds no PEM block.
    #[error("failed to decode PEM block")]
    NoPemBlock,
    /// A `CERTIFICATE REQUEST` block, which Kyverno decodes and vigie does not yet.
    #[error("certificate requests are not decoded by vigie yet")]
    CertificateRequest,
    /// A block of another type (a key, ...).
    #[error("PEM block neither contains a CERTIFICATE or CERTIFICATE REQUEST")]
    NotACertificate,
    /// The block's DER is not an X.509 certificate (the parser's reason).
    #[error("x509: malformed certificate: {0}")]
    Malformed(String),
    /// The key is not RSA: Kyverno decodes only RSA certificates.
    #[error("certificate should use rsa algorithm")]
    NotRsa,
    /// The RSA key's bytes do not parse.
    #[error("failed to parse subject public key info")]
    BadPublicKey,
}

/// The certificate a PEM text holds, as Kyverno gives it (see the module's
/// documentation), or why it cannot be decoded.
pub fn decode(input: &str) -> Result<Json, X509Error> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(input.trim_start().as_bytes())
        .map_err(|_| X509Error::NoPemBlock)?;
    if pem.label != "CERTIFICATE" {
        return Err(if pem.label == "CERTIFICATE REQUEST" {
            X509Error::CertificateRequest
        } else {
            X509Error::NotACertificate
        });
    }
    let (_, cert) = X509Certificate::from_der(&pem.contents)
        .map_err(|e| X509Error::Malformed(e.to_string()))?;
    certificate(&cert, &pem.contents)
}

fn b64(bytes: &[u8]) -> Json {
    Json::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn oid_numbers(oid: &Oid) -> Json {
    match oid.iter() {
        Some(arcs) => Json::Array(arcs.map(|n| json!(n)).collect()),
        None => Json::Null,
    }
}

fn list(items: Vec<Json>) -> Json {
    if items.is_empty() {
        Json::Null
    } else {
        Json::Array(items)
    }
}

fn time(seconds: i64) -> Json {
    DateTime::from_timestamp(seconds, 0).map_or(Json::Null, |t| {
        Json::String(t.to_rfc3339_opts(SecondsFormat::Secs, true))
    })
}

/// Big-endian unsigned bytes as a decimal string.
fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0]; // little-endian base 10
    for &byte in bytes {
        let mut carry = byte as u32;
        for d in digits.iter_mut() {
            let v = *d as u32 * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| (b'0' + d) as char).collect()
}

/// A JSON number from big-endian two's-complement bytes, as Go's big.Int is
/// read back into a float64 by Kyverno.
fn big_number(bytes: &[u8]) -> Json {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let magnitude: Vec<u8> = if negative {
        // two's complement: invert and add one
        let mut m: Vec<u8> = bytes.iter().map(|b| !b).collect();
        for b in m.iter_mut().rev() {
            let (v, overflow) = b.overflowing_add(1);
            *b = v;
            if !overflow {
                break;
            }
        }
        m
    } else {
        bytes.to_vec()
    };
    let text = decimal(&magnitude);
    let value: f64 = text.parse().unwrap_or(0.0);
    let value = if negative { -value } else { value };
    if value.abs() < 9.0e15 {
        json!(value as i64)
    } else {
        serde_json::Number::from_f64(value).map_or(Json::Null, Json::Number)
    }
}

/// Go's `pkix.Name`.
fn name(n: &X509Name) -> Json {
    let mut fields: [(&str, &str, Vec<Json>); 7] = [
        ("2.5.4.6", "Country", vec![]),
        ("2.5.4.10", "Organization", vec![]),
        ("2.5.4.11", "OrganizationalUnit", vec![]),
        ("2.5.4.7", "Locality", vec![]),
        ("2.5.4.8", "Province", vec![]),
        ("2.5.4.9", "StreetAddress", vec![]),
        ("2.5.4.17", "PostalCode", vec![]),
    ];
    let mut serial = String::new();
    let mut common = String::new();
    let mut names = Vec::new();
    for attr in n.iter_attributes() {
        let id = attr.attr_type().to_id_string();
        let value = attr.as_str().unwrap_or_default().to_string();
        names.push(json!({"Type": oid_numbers(attr.attr_type()), "Value": value}));
        match id.as_str() {
            "2.5.4.3" => common = value,
            "2.5.4.5" => serial = value,
            _ => {
                if let Some(f) = fields.iter_mut().find(|f| f.0 == id) {
                    f.2.push(Json::String(value));
                }
            }
        }
    }
    let mut out = Map::new();
    for (_, key, values) in fields {
        out.insert(key.into(), list(values));
    }
    out.insert("SerialNumber".into(), Json::String(serial));
    out.insert("CommonName".into(), Json::String(common));
    out.insert("Names".into(), list(names));
    out.insert("ExtraNames".into(), Json::Null);
    Json::Object(out)
}

/// Go's `x509.SignatureAlgorithm` number.
fn signature_algorithm(oid: &str) -> u64 {
    match oid {
        "1.2.840.113549.1.1.2" => 1,
        "1.2.840.113549.1.1.4" => 2,
        "1.2.840.113549.1.1.5" => 3,
        "1.2.840.113549.1.1.11" => 4,
        "1.2.840.113549.1.1.12" => 5,
        "1.2.840.113549.1.1.13" => 6,
        "1.2.840.10040.4.3" => 7,
        "2.16.840.1.101.3.4.3.2" => 8,
        "1.2.840.10045.4.1" => 9,
        "1.2.840.10045.4.3.2" => 10,
        "1.2.840.10045.4.3.3" => 11,
        "1.2.840.10045.4.3.4" => 12,
        // RSASSA-PSS: Go tells the hash from the parameters; SHA-256 is by far
        // the most common.
        "1.2.840.113549.1.1.10" => 13,
        "1.3.101.112" => 16,
        _ => 0,
    }
}

/// Go's `x509.ExtKeyUsage` number.
fn ext_key_usage(oid: &str) -> Option<u64> {
    Some(match oid {
        "2.5.29.37.0" => 0,
        "1.3.6.1.5.5.7.3.1" => 1,
        "1.3.6.1.5.5.7.3.2" => 2,
        "1.3.6.1.5.5.7.3.3" => 3,
        "1.3.6.1.5.5.7.3.4" => 4,
        "1.3.6.1.5.5.7.3.5" => 5,
        "1.3.6.1.5.5.7.3.6" => 6,
        "1.3.6.1.5.5.7.3.7" => 7,
        "1.3.6.1.5.5.7.3.8" => 8,
        "1.3.6.1.5.5.7.3.9" => 9,
        "1.3.6.1.4.1.311.10.3.3" => 10,
        "2.16.840.1.113730.4.1" => 11,
        "1.3.6.1.4.1.311.2.1.22" => 12,
        "1.3.6.1.4.1.311.61.1.1" => 13,
        _ => return None,
    })
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => Some(std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string()),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(bytes);
            Some(std::net::Ipv6Addr::from(a).to_string())
        }
        _ => None,
    }
}

/// Go's `url.URL` as `encoding/json` writes it (a struct of its fields).
fn url(text: &str) -> Json {
    let (scheme, rest) = match text.split_once(':') {
        Some((s, r))
            if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            (s, r)
        }
        _ => ("", text),
    };
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (opaque, host, path) = if let Some(r) = rest.strip_prefix("//") {
        let (host, path) = match r.find('/') {
            Some(i) => (&r[..i], &r[i..]),
            None => (r, ""),
        };
        ("", host, path)
    } else if !scheme.is_empty() && !rest.starts_with('/') {
        (rest, "", "")
    } else {
        ("", "", rest)
    };
    let (user, host) = match host.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, host),
    };
    json!({
        "Scheme": scheme, "Opaque": opaque,
        "User": user.map(|_| json!({})),
        "Host": host, "Path": path, "RawPath": "", "OmitHost": false,
        "ForceQuery": false, "RawQuery": query, "Fragment": fragment, "RawFragment": ""
    })
}

fn certificate(cert: &X509Certificate, raw: &[u8]) -> Result<Json, X509Error> {
    let tbs = &cert.tbs_certificate;
    let spki = tbs.public_key();
    if spki.algorithm.algorithm.to_id_string() != "1.2.840.113549.1.1.1" {
        return Err(X509Error::NotRsa);
    }
    let Ok(PublicKey::RSA(rsa)) = spki.parsed() else {
        return Err(X509Error::BadPublicKey);
    };
    let exponent = rsa.exponent.iter().fold(0u64, |acc, b| {
        acc.saturating_mul(256).saturating_add(*b as u64)
    });

    let mut key_usage = 0u64;
    let mut ext_usage = Vec::new();
    let mut unknown_ext_usage = Vec::new();
    let (mut basic_valid, mut is_ca, mut max_path_len) = (false, false, 0i64);
    let (mut subject_key_id, mut authority_key_id) = (Json::Null, Json::Null);
    let (mut dns, mut emails, mut ips, mut uris) = (vec![], vec![], vec![], vec![]);
    let (mut ocsp, mut issuing, mut crl) = (vec![], vec![], vec![]);
    let (mut policy_ids, mut policies) = (vec![], vec![]);
    let mut extensions = Vec::new();
    let mut unhandled_critical = Vec::new();
    for ext in tbs.extensions() {
        extensions.push(json!({
            "Id": oid_numbers(&ext.oid),
            "Critical": ext.critical,
            "Value": b64(ext.value),
        }));
        match ext.parsed_extension() {
            ParsedExtension::KeyUsage(ku) => key_usage = ku.flags as u64,
            ParsedExtension::ExtendedKeyUsage(eku) => {
                let mut known = |flag: bool, n: u64| {
                    if flag {
                        ext_usage.push(json!(n))
                    }
                };
                known(eku.any, 0);
                known(eku.server_auth, 1);
                known(eku.client_auth, 2);
                known(eku.code_signing, 3);
                known(eku.email_protection, 4);
                known(eku.time_stamping, 8);
                known(eku.ocsp_signing, 9);
                for other in &eku.other {
                    match ext_key_usage(&other.to_id_string()) {
                        Some(n) => ext_usage.push(json!(n)),
                        None => unknown_ext_usage.push(oid_numbers(other)),
                    }
                }
            }
            ParsedExtension::BasicConstraints(bc) => {
                basic_valid = true;
                is_ca = bc.ca;
                max_path_len = bc.path_len_constraint.map_or(-1, |n| n as i64);
            }
            ParsedExtension::SubjectKeyIdentifier(id) => subject_key_id = b64(id.0),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                if let Some(id) = &aki.key_identifier {
                    authority_key_id = b64(id.0);
                }
            }
            ParsedExtension::SubjectAlternativeName(san) => {
                for n in &san.general_names {
                    match n {
                        GeneralName::DNSName(s) => dns.push(json!(s)),
                        GeneralName::RFC822Name(s) => emails.push(json!(s)),
                        GeneralName::URI(s) => uris.push(url(s)),
                        GeneralName::IPAddress(b) => {
                            if let Some(ip) = ip_text(b) {
                                ips.push(json!(ip))
                            }
                        }
                        _ => {}
                    }
                }
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for desc in &aia.accessdescs {
                    if let GeneralName::URI(u) = desc.access_location {
                        match desc.access_method.to_id_string().as_str() {
                            "1.3.6.1.5.5.7.48.1" => ocsp.push(json!(u)),
                            "1.3.6.1.5.5.7.48.2" => issuing.push(json!(u)),
                            _ => {}
                        }
                    }
                }
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                for p in &points.points {
                    if let Some(DistributionPointName::FullName(names)) = &p.distribution_point {
                        for n in names {
                            if let GeneralName::URI(u) = n {
                                crl.push(json!(u));
                            }
                        }
                    }
                }
            }
            ParsedExtension::CertificatePolicies(list) => {
                for p in list {
                    policy_ids.push(oid_numbers(&p.policy_id));
                    policies.push(json!(p.policy_id.to_id_string()));
                }
            }
            ParsedExtension::UnsupportedExtension { .. } if ext.critical => {
                unhandled_critical.push(oid_numbers(&ext.oid));
            }
            _ => {}
        }
    }
    let mut out = Map::new();
    let mut put = |k: &str, v: Json| {
        out.insert(k.to_string(), v);
    };
    put("Raw", b64(raw));
    put("RawTBSCertificate", b64(tbs.as_ref()));
    put("RawSubjectPublicKeyInfo", b64(spki.raw));
    put("RawSubject", b64(tbs.subject().as_raw()));
    put("RawIssuer", b64(tbs.issuer().as_raw()));
    put("Signature", b64(&cert.signature_value.data));
    put(
        "SignatureAlgorithm",
        json!(signature_algorithm(
            &cert.signature_algorithm.algorithm.to_id_string()
        )),
    );
    put("PublicKeyAlgorithm", json!(1));
    put(
        "PublicKey",
        json!({"N": decimal(rsa.modulus), "E": exponent}),
    );
    put("Version", json!(tbs.version().0 + 1));
    put("SerialNumber", big_number(tbs.raw_serial()));
    put("Issuer", name(tbs.issuer()));
    put("Subject", name(tbs.subject()));
    put("NotBefore", time(tbs.validity().not_before.timestamp()));
    put("NotAfter", time(tbs.validity().not_after.timestamp()));
    put("KeyUsage", json!(key_usage));
    put("Extensions", list(extensions));
    put("ExtraExtensions", Json::Null);
    put("UnhandledCriticalExtensions", list(unhandled_critical));
    put("ExtKeyUsage", list(ext_usage));
    put("UnknownExtKeyUsage", list(unknown_ext_usage));
    put("BasicConstraintsValid", json!(basic_valid));
    put("IsCA", json!(is_ca));
    put("MaxPathLen", json!(max_path_len));
    put("MaxPathLenZero", json!(basic_valid && max_path_len == 0));
    put("SubjectKeyId", subject_key_id);
    put("AuthorityKeyId", authority_key_id);
    put("OCSPServer", list(ocsp));
    put("IssuingCertificateURL", list(issuing));
    put("DNSNames", list(dns));
    put("EmailAddresses", list(emails));
    put("IPAddresses", list(ips));
    put("URIs", list(uris));
    put("PermittedDNSDomainsCritical", json!(false));
    for key in [
        "PermittedDNSDomains",
        "ExcludedDNSDomains",
        "PermittedIPRanges",
        "ExcludedIPRanges",
        "PermittedEmailAddresses",
        "ExcludedEmailAddresses",
        "PermittedURIDomains",
        "ExcludedURIDomains",
    ] {
        put(key, Json::Null);
    }
    put("CRLDistributionPoints", list(crl));
    put("PolicyIdentifiers", list(policy_ids));
    put("Policies", list(policies));
    Ok(Json::Object(out))
}

pub(super) fn register(env: &mut cel::Env) -> Result<(), cel::DeclarationError> {
    env.add_overload(
        "x509.decode",
        "kyverno_x509_decode_string",
        vec![cel::common::types::STRING_TYPE],
        decode_cel,
    )
}

/// `x509.decode(pem)`: Kyverno goes through JSON to build the result, so
/// its numbers are doubles.
fn decode_cel<'b, 'v>(args: Vec<cel::common::value::CowVal<'b, 'v>>) -> crate::library::R<'b, 'v> {
    let pem = crate::library::string_arg(crate::library::one(&args)?, "x509.decode")?;
    let decoded = decode(pem).map_err(|e| crate::library::err("x509.decode", e))?;
    crate::library::value_result(super::codec::from_json(&decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed RSA certificate made for these tests with
    /// `openssl req -x509 -newkey rsa:1024 -nodes -days 3650 -set_serial 4660
    ///  -subj "/C=FR/O=Vigie Test/OU=Policy/CN=vigie.test"
    ///  -addext "subjectAltName=DNS:vigie.test,DNS:*.vigie.test,IP:10.1.2.3,email:ops@vigie.test"
    ///  -addext "keyUsage=critical,digitalSignature,keyEncipherment"
    ///  -addext "extendedKeyUsage=serverAuth,clientAuth"`.
    const RSA_CERT: &str = include_str!("../../tests/fixtures/x509/rsa.pem");
    const EC_CERT: &str = include_str!("../../tests/fixtures/x509/ec.pem");

    #[test]
    fn decodes_an_rsa_certificate_like_go() {
        let c = decode(RSA_CERT).unwrap();
        assert_eq!(c["Subject"]["CommonName"], json!("vigie.test"));
        assert_eq!(c["Subject"]["Organization"], json!(["Vigie Test"]));
        assert_eq!(c["Subject"]["Country"], json!(["FR"]));
        assert_eq!(c["Subject"]["Locality"], Json::Null);
        assert_eq!(
            c["Subject"]["Names"][0],
            json!({"Type": [2, 5, 4, 6], "Value": "FR"})
        );
        assert_eq!(c["Issuer"]["CommonName"], json!("vigie.test"));
        assert_eq!(c["SerialNumber"], json!(4660));
        assert_eq!(c["Version"], json!(3));
        assert_eq!(c["PublicKeyAlgorithm"], json!(1));
        assert_eq!(c["SignatureAlgorithm"], json!(4));
        assert_eq!(c["PublicKey"]["E"], json!(65537));
        assert!(c["PublicKey"]["N"].as_str().unwrap().len() > 300);
        assert_eq!(c["DNSNames"], json!(["vigie.test", "*.vigie.test"]));
        assert_eq!(c["IPAddresses"], json!(["10.1.2.3"]));
        assert_eq!(c["EmailAddresses"], json!(["ops@vigie.test"]));
        // digitalSignature (1) | keyEncipherment (4)
        assert_eq!(c["KeyUsage"], json!(5));
        assert_eq!(c["ExtKeyUsage"], json!([1, 2]));
        assert_eq!(c["IsCA"], json!(true));
        assert_eq!(c["BasicConstraintsValid"], json!(true));
        let before = c["NotBefore"].as_str().unwrap();
        let after = c["NotAfter"].as_str().unwrap();
        assert!(before.ends_with('Z') && after.ends_with('Z') && before < after);
        assert!(c["SubjectKeyId"].is_string());
        assert!(c["Raw"].as_str().unwrap().starts_with("MII"));
        assert_eq!(c["URIs"], Json::Null);
    }

    #[test]
    fn rejects_what_kyverno_rejects() {
        assert_eq!(
            decode(EC_CERT).unwrap_err().to_string(),
            "certificate should use rsa algorithm"
        );
        assert!(decode("not a certificate").is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(decimal(&[0x01, 0x00]), "256");
        assert_eq!(decimal(&[0xff; 9]), "4722366482869645213695");
        assert_eq!(big_number(&[0x12, 0x34]), json!(4660));
        assert_eq!(big_number(&[0xff]), json!(-1));
        assert_eq!(
            url("https://u@example.test/a?b=1#c")["Host"],
            json!("example.test")
        );
    }

    #[test]
    fn decodes_in_cel() {
        use super::super::tests::{eval, json};
        let pem = RSA_CERT.replace('\n', "\\n");
        assert_eq!(
            json(&format!("x509.decode('{pem}').Issuer.CommonName")),
            json!("vigie.test")
        );
        assert_eq!(
            json(&format!("x509.decode('{pem}').SerialNumber == 4660.0")),
            json!(true)
        );
        assert!(eval("x509.decode('not a certificate')").is_err());
        let ec = EC_CERT.replace('\n', "\\n");
        assert!(eval(&format!("x509.decode('{ec}')")).is_err());
    }
}
