//! Alerts POSTed as JSON to an HTTP endpoint, in the body Falcosidekick accepts (Falco's
//! `json_output` object). Failed deliveries are retried with exponential backoff.
//! `https://` URLs are verified against the system's CA certificates or a configured
//! bundle ([`ClientTlsConfig`]); a client certificate can be presented for mutual TLS.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use super::tls::ClientTlsConfig;
use super::Sink;
use crate::alert::Alert;

/// Where and how an [`HttpSink`] posts alerts.
#[derive(Clone, Debug)]
pub struct HttpSinkConfig {
    /// The endpoint: `http://` or `https://`.
    pub url: String,
    /// Attempts after the first one.
    pub retries: u32,
    /// The wait before the first retry, doubled before each next one.
    pub initial_backoff: Duration,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// For `https://` URLs.
    pub tls: ClientTlsConfig,
}

impl HttpSinkConfig {
    /// `url` with the defaults: 3 retries from 200 ms, 5 s per attempt, system CAs.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_string(),
            retries: 3,
            initial_backoff: Duration::from_millis(200),
            timeout: Duration::from_secs(5),
            tls: ClientTlsConfig::default(),
        }
    }
}

/// A sink that POSTs each alert as JSON, retrying failed deliveries.
pub struct HttpSink {
    config: HttpSinkConfig,
    target: Target,
    tls: Option<Arc<ClientConfig>>,
}

impl HttpSink {
    /// Checks the URL and, for `https://`, loads the CA certificates (and client
    /// certificate), so that a bad file fails before anything runs.
    pub fn new(config: HttpSinkConfig) -> io::Result<Self> {
        let target = Target::parse(&config.url)?;
        let tls = target.tls_config(&config.tls)?;
        Ok(Self {
            config,
            target,
            tls,
        })
    }
}

/// Where a URL points.
#[derive(Clone, Debug)]
struct Target {
    /// `host:port` to connect to.
    addr: String,
    /// The `Host` header: the URL's authority.
    authority: String,
    path: String,
    /// The name the server's certificate must hold, for `https://`.
    server_name: Option<ServerName<'static>>,
}

impl Target {
    /// `http[s]://host[:port][/path]`; IPv6 hosts in brackets.
    fn parse(url: &str) -> io::Result<Target> {
        let invalid = |m: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("{url}: {m}"));
        let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(invalid("only http:// and https:// URLs are supported"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rfind(':') {
            Some(i) if !authority[i..].contains(']') => {
                (&authority[..i], Some(&authority[i + 1..]))
            }
            _ => (authority, None),
        };
        let port = match port {
            Some(p) => p.parse::<u16>().map_err(|_| invalid("bad port"))?,
            None if tls => 443,
            None => 80,
        };
        if host.is_empty() {
            return Err(invalid("no host"));
        }
        let bare_host = host.trim_start_matches('[').trim_end_matches(']');
        let server_name = if tls {
            Some(
                ServerName::try_from(bare_host.to_string())
                    .map_err(|_| invalid("host is not a valid TLS server name"))?,
            )
        } else {
            None
        };
        Ok(Target {
            addr: format!("{host}:{port}"),
            authority: authority.to_string(),
            path: path.to_string(),
            server_name,
        })
    }

    /// The rustls configuration for an `https://` target; none for `http://`, where
    /// TLS options are a mistake.
    fn tls_config(&self, tls: &ClientTlsConfig) -> io::Result<Option<Arc<ClientConfig>>> {
        match &self.server_name {
            Some(_) => tls.load().map(Some),
            None if tls.is_set() => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "TLS options are set for a plain http:// URL ({})",
                    self.authority
                ),
            )),
            None => Ok(None),
        }
    }

    fn post(
        &self,
        tls: Option<&Arc<ClientConfig>>,
        body: &[u8],
        timeout: Duration,
    ) -> io::Result<u16> {
        let sock = self.addr.to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: no address", self.addr),
            )
        })?;
        let stream = TcpStream::connect_timeout(&sock, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nUser-Agent: vigie\r\nConnection: close\r\n\r\n",
            self.path,
            self.authority,
            body.len()
        );
        match (tls, &self.server_name) {
            (Some(config), Some(name)) => {
                let conn = ClientConnection::new(config.clone(), name.clone())
                    .map_err(io::Error::other)?;
                exchange(StreamOwned::new(conn, stream), &head, body)
            }
            (None, Some(_)) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an https:// URL needs a TLS configuration",
            )),
            _ => exchange(stream, &head, body),
        }
    }
}

/// Sends a request and reads the response's status code.
fn exchange(mut stream: impl Read + Write, head: &str, body: &[u8]) -> io::Result<u16> {
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let code = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad status line {status_line:?}"),
            )
        })?;
    // Drain the rest so the server sees a clean close.
    let _ = reader.read_to_end(&mut Vec::new());
    Ok(code)
}

/// POSTs a JSON body and returns the response status code. `https://` URLs are
/// verified as `tls` says (the default: against the system's CA certificates).
pub fn post_json_tls(
    url: &str,
    body: &[u8],
    timeout: Duration,
    tls: &ClientTlsConfig,
) -> io::Result<u16> {
    let target = Target::parse(url)?;
    let config = target.tls_config(tls)?;
    target.post(config.as_ref(), body, timeout)
}

/// POSTs a JSON body and returns the response status code.
pub fn post_json(url: &str, body: &[u8], timeout: Duration) -> io::Result<u16> {
    post_json_tls(url, body, timeout, &ClientTlsConfig::default())
}

impl Sink for HttpSink {
    fn name(&self) -> &str {
        "http"
    }

    fn send(&mut self, alert: &Alert) -> io::Result<()> {
        let body = alert.to_json_line();
        let mut backoff = self.config.initial_backoff;
        let mut last_error = None;
        for attempt in 0..=self.config.retries {
            if attempt > 0 {
                std::thread::sleep(backoff);
                backoff = backoff.saturating_mul(2);
            }
            let sent = self
                .target
                .post(self.tls.as_ref(), body.as_bytes(), self.config.timeout);
            match sent {
                Ok(code) if (200..300).contains(&code) => return Ok(()),
                // Client errors will not get better by retrying.
                Ok(code) if (400..500).contains(&code) && code != 429 => {
                    return Err(io::Error::other(format!(
                        "{} answered {code}",
                        self.config.url
                    )))
                }
                Ok(code) => {
                    last_error = Some(io::Error::other(format!(
                        "{} answered {code}",
                        self.config.url
                    )))
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("no attempt made")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_http::read_headers_and_body;
    use std::net::TcpListener;
    use vigie_rules::Priority;

    /// Answers each connection with the next status and returns the bodies it got.
    fn server(statuses: Vec<u16>) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/falco", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let mut bodies = Vec::new();
            for status in statuses {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                bodies.push(read_headers_and_body(&mut reader));
                let mut s = stream;
                write!(s, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n").unwrap();
            }
            bodies
        });
        (url, handle)
    }

    fn alert() -> Alert {
        Alert {
            time_ns: 0,
            rule: "R".into(),
            priority: Priority::Error,
            source: "k8s_audit".into(),
            tags: vec!["t".into()],
            hostname: "h".into(),
            output: "o".into(),
            output_fields: vec![],
        }
    }

    #[test]
    fn retries_server_errors_then_delivers_falcosidekick_body() {
        let (url, server) = server(vec![503, 200]);
        let mut config = HttpSinkConfig::new(&url);
        config.initial_backoff = Duration::from_millis(1);
        let mut sink = HttpSink::new(config).unwrap();
        sink.send(&alert()).unwrap();
        let bodies = server.join().unwrap();
        assert_eq!(bodies.len(), 2);
        let v: serde_json::Value = serde_json::from_str(&bodies[1]).unwrap();
        for key in [
            "output",
            "priority",
            "rule",
            "time",
            "output_fields",
            "source",
            "tags",
            "hostname",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
    }

    #[test]
    fn gives_up_on_client_errors_and_checks_urls() {
        let (url, server) = server(vec![400]);
        let mut sink = HttpSink::new(HttpSinkConfig::new(&url)).unwrap();
        assert!(sink.send(&alert()).is_err());
        assert_eq!(server.join().unwrap().len(), 1);
        assert!(HttpSink::new(HttpSinkConfig::new("ftp://x")).is_err());
        assert!(HttpSink::new(HttpSinkConfig::new("http://x:port/")).is_err());
        // TLS options with a plain URL are a mistake, not silently ignored.
        let mut config = HttpSinkConfig::new("http://x/");
        config.tls.insecure_skip_verify = true;
        assert!(HttpSink::new(config).is_err());
    }

    #[test]
    fn parses_targets() {
        let t = Target::parse("https://[::1]:8443/a?b").unwrap();
        assert_eq!(
            (t.addr.as_str(), t.authority.as_str(), t.path.as_str()),
            ("[::1]:8443", "[::1]:8443", "/a?b")
        );
        assert!(t.server_name.is_some());
        let t = Target::parse("https://sidekick.falco.svc").unwrap();
        assert_eq!(
            (t.addr.as_str(), t.path.as_str()),
            ("sidekick.falco.svc:443", "/")
        );
        let t = Target::parse("http://h").unwrap();
        assert_eq!(t.addr, "h:80");
        assert!(t.server_name.is_none());
    }
}
