//! Audit log files and directories. With `follow`, a file is tailed like `tail -F`:
//! new lines are read as they are written, a rotated file (new inode at the path) is
//! finished and then reopened, and a truncated file is read again from the start.

use std::fs::File;
use std::io::{self, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use super::{read_lines, SourceContext};

#[derive(Clone, Copy, Debug)]
pub struct FollowOptions {
    pub poll: Duration,
}

impl Default for FollowOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(200),
        }
    }
}

/// Opens the file; when following, a file that does not exist yet is waited for,
/// as `tail -F` does. `None` when the context stopped first.
fn open(
    path: &Path,
    follow: Option<FollowOptions>,
    ctx: &SourceContext,
) -> io::Result<Option<File>> {
    match (File::open(path), follow) {
        (Ok(file), _) => Ok(Some(file)),
        (Err(e), Some(opts)) if e.kind() == io::ErrorKind::NotFound => {
            eprintln!(
                "vigie detect: {}: does not exist yet, waiting for it",
                path.display()
            );
            while !ctx.stopped() {
                std::thread::sleep(opts.poll);
                if let Ok(file) = File::open(path) {
                    return Ok(Some(file));
                }
            }
            Ok(None)
        }
        (Err(e), _) => Err(e),
    }
}

/// Reads a whole file, then keeps following it when `follow` is set, until the
/// context is stopped. Returns an error only when the file cannot be opened at first.
pub fn read_file(
    path: &Path,
    follow: Option<FollowOptions>,
    ctx: &SourceContext,
) -> io::Result<()> {
    let name = path.display().to_string();
    let Some(mut file) = open(path, follow, ctx)? else {
        return Ok(());
    };
    let mut inode = file.metadata()?.ino();
    let mut line_no = 0;
    loop {
        let read = read_lines(BufReader::new(&file), &name, line_no, follow.is_some(), ctx);
        line_no += read.lines;
        if read.gave_up {
            return Ok(());
        }
        let Some(opts) = follow else { return Ok(()) };
        // The reader went to the end of the file; an unfinished last line is read
        // again once its writer completes it.
        if read.partial > 0 {
            file.seek(SeekFrom::Current(-(read.partial as i64)))?;
        }
        if ctx.stopped() {
            return Ok(());
        }
        std::thread::sleep(opts.poll);
        let position = file.stream_position()?;
        match std::fs::metadata(path) {
            Ok(meta) if meta.ino() != inode => {
                // Rotated. Lines may have been added to the old file between the
                // last read and the rename: finish it (an unfinished last line
                // included, its writer has moved on), then switch to the new one.
                read_lines(BufReader::new(&file), &name, line_no, false, ctx);
                if let Ok(new) = File::open(path) {
                    inode = new.metadata()?.ino();
                    file = new;
                    line_no = 0;
                }
            }
            Ok(meta) if meta.len() < position => {
                file.seek(SeekFrom::Start(0))?;
                line_no = 0;
            }
            _ => {}
        }
    }
}

/// Reads every regular file of a directory, in name order.
pub fn read_dir(dir: &Path, ctx: &SourceContext) -> std::io::Result<()> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for f in files {
        if ctx.stopped() {
            break;
        }
        if let Err(e) = read_file(&f, None, ctx) {
            eprintln!("vigie detect: {}: {e}", f.display());
            ctx.metrics.reject("file", "unreadable", 1);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use crossbeam_channel::bounded;
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    fn event(id: u32) -> String {
        format!("{{\"kind\":\"Event\",\"verb\":\"get\",\"auditID\":\"{id}\"}}\n")
    }

    #[test]
    fn follows_appends_rotation_and_truncation() {
        let dir = std::env::temp_dir().join(format!("vigie-follow-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.log");
        std::fs::write(&path, event(1)).unwrap();
        let (tx, rx) = bounded(64);
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = SourceContext {
            queue: tx,
            metrics: Arc::new(Metrics::default()),
            max_event_bytes: 1 << 20,
            stop: stop.clone(),
        };
        let follower_path = path.clone();
        let follower = std::thread::spawn(move || {
            read_file(
                &follower_path,
                Some(FollowOptions {
                    poll: Duration::from_millis(10),
                }),
                &ctx,
            )
        });
        let next_id = |rx: &crossbeam_channel::Receiver<super::super::Batch>| -> String {
            let batch = rx.recv_timeout(Duration::from_secs(10)).expect("an event");
            batch[0].json()["auditID"].as_str().unwrap().to_string()
        };
        assert_eq!(next_id(&rx), "1");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(event(2).as_bytes())
            .unwrap();
        assert_eq!(next_id(&rx), "2");
        // Rotation: the old file moves away, a new one takes its path.
        std::fs::rename(&path, dir.join("audit.log.1")).unwrap();
        std::fs::write(&path, event(3)).unwrap();
        assert_eq!(next_id(&rx), "3");
        // Truncation: the file starts over.
        std::fs::write(&path, "").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        std::fs::write(&path, event(4)).unwrap();
        assert_eq!(next_id(&rx), "4");
        stop.store(true, Ordering::Relaxed);
        follower.join().unwrap().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A follower whose polls are counted and paused by the test: it reads, then
    /// waits in `sleep` until the test lets it look again. The rotation happens
    /// entirely between two looks, so the test decides what the follower sees.
    #[test]
    fn lines_written_to_the_old_file_after_a_rotation_are_read_first() {
        let dir = std::env::temp_dir().join(format!("vigie-rotate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("fol.log");
        std::fs::write(&path, event(1)).unwrap();
        let (tx, rx) = bounded(64);
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = SourceContext {
            queue: tx,
            metrics: Arc::new(Metrics::default()),
            max_event_bytes: 1 << 20,
            stop: stop.clone(),
        };
        let follower_path = path.clone();
        let follower = std::thread::spawn(move || {
            read_file(
                &follower_path,
                Some(FollowOptions {
                    poll: Duration::from_millis(300),
                }),
                &ctx,
            )
        });
        let next_id = || -> String {
            let batch = rx.recv_timeout(Duration::from_secs(10)).expect("an event");
            batch[0].json()["auditID"].as_str().unwrap().to_string()
        };
        assert_eq!(next_id(), "1");
        // mv fol.log fol.log.1; echo EV >> fol.log.1; echo EV > fol.log
        let old = dir.join("fol.log.1");
        std::fs::rename(&path, &old).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&old)
            .unwrap()
            .write_all(event(2).as_bytes())
            .unwrap();
        std::fs::write(&path, event(3)).unwrap();
        assert_eq!(next_id(), "2");
        assert_eq!(next_id(), "3");
        stop.store(true, Ordering::Relaxed);
        follower.join().unwrap().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn following_a_file_that_does_not_exist_yet_waits_for_it() {
        let dir = std::env::temp_dir().join(format!("vigie-wait-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("later.log");
        let (tx, rx) = bounded(64);
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = SourceContext {
            queue: tx,
            metrics: Arc::new(Metrics::default()),
            max_event_bytes: 1 << 20,
            stop: stop.clone(),
        };
        let follower_path = path.clone();
        let metrics = ctx.metrics.clone();
        let follower = std::thread::spawn(move || {
            read_file(
                &follower_path,
                Some(FollowOptions {
                    poll: Duration::from_millis(10),
                }),
                &ctx,
            )
        });
        std::thread::sleep(Duration::from_millis(50));
        std::fs::write(&path, event(7)).unwrap();
        let batch = rx.recv_timeout(Duration::from_secs(10)).expect("an event");
        assert_eq!(batch[0].json()["auditID"], "7");
        stop.store(true, Ordering::Relaxed);
        follower.join().unwrap().unwrap();
        assert_eq!(metrics.rejected_total(), 0);
        // Without --follow, a missing file is an error.
        let (tx, _rx) = bounded(1);
        let ctx = SourceContext {
            queue: tx,
            metrics: Arc::new(Metrics::default()),
            max_event_bytes: 1 << 20,
            stop: Arc::new(AtomicBool::new(false)),
        };
        assert!(read_file(&dir.join("never.log"), None, &ctx).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
