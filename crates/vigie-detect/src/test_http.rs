//! HTTP/1.1 read by hand, for the tests of the HTTP source and sink.

use std::io::BufRead;

/// Reads the lines of a message up to the blank line that ends its header
/// (its start line too, unless already read), then the body its
/// `Content-Length` gives.
pub(crate) fn read_headers_and_body(reader: &mut impl BufRead) -> String {
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
    String::from_utf8(body).unwrap()
}
