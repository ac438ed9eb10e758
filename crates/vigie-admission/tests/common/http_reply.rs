//! Reading one HTTP/1.1 response off a stream, shared by the webhook's HTTPS
//! tests and the conformance runner's admission client (which includes this
//! file by path), so that both read replies the same way.

use std::io::{BufRead, BufReader, Read};

/// Reads one response (status line, headers, a body framed by Content-Length)
/// and gives its status code (0 when the status line has none) and its body as
/// text. A Content-Length that is not a number is an `InvalidData` error.
pub fn read_reply(stream: &mut impl Read) -> std::io::Result<(u16, String)> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let code = line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("Content-Length {value:?}: {e}"),
                    )
                })?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok((code, String::from_utf8_lossy(&body).into_owned()))
}
