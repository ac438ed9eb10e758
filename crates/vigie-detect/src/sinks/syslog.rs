//! Alerts to syslog (RFC 3164 messages, facility `user`), over UDP or a local Unix
//! datagram socket such as `/dev/log`.

use std::io;
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

use vigie_rules::Priority;

use super::Sink;
use crate::alert::Alert;

/// Where a syslog daemon listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyslogTarget {
    /// A `host:port` address, over UDP.
    Udp(String),
    /// A local datagram socket: `/dev/log`.
    Unix(PathBuf),
}

impl SyslogTarget {
    /// `udp://host:port` or `unix:///dev/log`.
    pub fn parse(s: &str) -> Option<SyslogTarget> {
        if let Some(addr) = s.strip_prefix("udp://") {
            return Some(SyslogTarget::Udp(addr.to_string()));
        }
        s.strip_prefix("unix://")
            .map(|p| SyslogTarget::Unix(PathBuf::from(p)))
    }
}

enum Socket {
    Udp(UdpSocket),
    Unix(UnixDatagram, PathBuf),
}

/// A sink that sends each alert as one syslog message.
pub struct SyslogSink {
    socket: Socket,
}

/// Syslog severity of a Falco priority (they share the same eight levels).
pub fn severity(p: Priority) -> u8 {
    Priority::ALL.iter().position(|x| *x == p).unwrap_or(7) as u8
}

/// `<PRI>vigie: Priority output` with facility user (1).
pub fn message(alert: &Alert) -> String {
    format!(
        "<{}>vigie: {} {}",
        8 + severity(alert.priority),
        alert.priority,
        alert.output
    )
}

impl SyslogSink {
    /// Opens the socket to `target`; an address that does not resolve fails here.
    pub fn connect(target: &SyslogTarget) -> io::Result<Self> {
        let socket = match target {
            SyslogTarget::Udp(addr) => {
                let s = UdpSocket::bind("0.0.0.0:0")?;
                s.connect(addr)?;
                Socket::Udp(s)
            }
            SyslogTarget::Unix(path) => Socket::Unix(UnixDatagram::unbound()?, path.clone()),
        };
        Ok(Self { socket })
    }
}

impl Sink for SyslogSink {
    fn name(&self) -> &str {
        "syslog"
    }

    fn send(&mut self, alert: &Alert) -> io::Result<()> {
        let msg = message(alert);
        match &self.socket {
            Socket::Udp(s) => s.send(msg.as_bytes()).map(|_| ()),
            Socket::Unix(s, path) => s.send_to(msg.as_bytes(), path).map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_rfc3164_messages_over_udp() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let target =
            SyslogTarget::parse(&format!("udp://{}", server.local_addr().unwrap())).unwrap();
        let mut sink = SyslogSink::connect(&target).unwrap();
        let alert = Alert {
            time_ns: 0,
            rule: "R".into(),
            priority: Priority::Critical,
            source: "k8s_audit".into(),
            tags: vec![],
            hostname: "h".into(),
            output: "bad thing".into(),
            output_fields: vec![],
        };
        sink.send(&alert).unwrap();
        let mut buf = [0u8; 256];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(
            std::str::from_utf8(&buf[..n]).unwrap(),
            "<10>vigie: Critical bad thing"
        );
        assert_eq!(
            SyslogTarget::parse("unix:///dev/log"),
            Some(SyslogTarget::Unix("/dev/log".into()))
        );
    }
}
