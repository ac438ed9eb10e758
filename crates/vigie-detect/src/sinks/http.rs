//! Alerts POSTed as JSON to an HTTP endpoint, in the body Falcosidekick accepts (Falco's
//! `json_output` object). Failed deliveries are retried with exponential backoff.
//! Only plain `http://` is supported; put a TLS-terminating proxy in front for HTTPS.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::Sink;
use crate::alert::Alert;

#[derive(Clone, Debug)]
pub struct HttpSinkConfig {
    pub url: String,
    /// Attempts after the first one.
    pub retries: u32,
    pub initial_backoff: Duration,
    pub timeout: Duration,
}

impl HttpSinkConfig {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_string(),
            retries: 3,
            initial_backoff: Duration::from_millis(200),
            timeout: Duration::from_secs(5),
        }
    }
}

pub struct HttpSink {
    config: HttpSinkConfig,
}

impl HttpSink {
    pub fn new(config: HttpSinkConfig) -> io::Result<Self> {
        split_url(&config.url)?;
        Ok(Self { config })
    }
}

/// `http://host[:port][/path]` into (host:port, host, path).
fn split_url(url: &str) -> io::Result<(String, String, String)> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{url}: only http:// URLs are supported (use a TLS proxy for https)"),
        )
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    Ok((addr, authority.to_string(), path.to_string()))
}

/// POSTs a JSON body and returns the response status code.
pub fn post_json(url: &str, body: &[u8], timeout: Duration) -> io::Result<u16> {
    let (addr, host, path) = split_url(url)?;
    let sock = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{addr}: no address")))?;
    let mut stream = TcpStream::connect_timeout(&sock, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nUser-Agent: vigie\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let code = status_line
        .split_whitespace()
        .nth(1)
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
            match post_json(&self.config.url, body.as_bytes(), self.config.timeout) {
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
                let mut len = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                bodies.push(String::from_utf8(body).unwrap());
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
    fn gives_up_on_client_errors_and_rejects_https() {
        let (url, server) = server(vec![400]);
        let mut sink = HttpSink::new(HttpSinkConfig::new(&url)).unwrap();
        assert!(sink.send(&alert()).is_err());
        assert_eq!(server.join().unwrap().len(), 1);
        assert!(HttpSink::new(HttpSinkConfig::new("https://x")).is_err());
    }
}
