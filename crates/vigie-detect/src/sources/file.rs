//! Audit log files and directories. With `follow`, a file is tailed like `tail -F`:
//! new lines are read as they are written, a rotated file (new inode at the path) is
//! finished and then reopened, and a truncated file is read again from the start.

use std::fs::File;
use std::io::{self, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use super::{read_lines, SourceContext};

/// How a followed file is watched.
#[derive(Clone, Copy, Debug)]
pub struct FollowOptions {
    /// How often the file is checked for new lines, rotation or truncation (200 ms).
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
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    fn event(id: u32) -> String {
        format!("{{\"kind\":\"Event\",\"verb\":\"get\",\"auditID\":\"{id}\"}}\n")
    }

    /// Appends event `id` to the file at `path`, as `echo EV >> path` does.
    fn append(path: &std::path::Path, id: u32) {
        std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .unwrap()
            .write_all(event(id).as_bytes())
            .unwrap();
    }

    /// A follower of `path` on its own thread, looking every `poll`.
    struct Follower {
        events: crossbeam_channel::Receiver<super::super::Batch>,
        metrics: Arc<Metrics>,
        stop: Arc<AtomicBool>,
        thread: std::thread::JoinHandle<std::io::Result<()>>,
    }

    impl Follower {
        fn start(path: &std::path::Path, poll: Duration) -> Self {
            let (ctx, events) = SourceContext::for_tests(64, 1 << 20);
            let stop = ctx.stop.clone();
            let metrics = ctx.metrics.clone();
            let path = path.to_path_buf();
            let thread =
                std::thread::spawn(move || read_file(&path, Some(FollowOptions { poll }), &ctx));
            Self {
                events,
                metrics,
                stop,
                thread,
            }
        }

        /// The auditID of the next event read.
        fn next_id(&self) -> String {
            let batch = self
                .events
                .recv_timeout(Duration::from_secs(10))
                .expect("an event");
            batch[0].json()["auditID"].as_str().unwrap().to_string()
        }

        fn stop(self) {
            self.stop.store(true, Ordering::Relaxed);
            self.thread.join().unwrap().unwrap();
        }
    }

    #[test]
    fn follows_appends_rotation_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, event(1)).unwrap();
        let follower = Follower::start(&path, Duration::from_millis(10));
        assert_eq!(follower.next_id(), "1");
        append(&path, 2);
        assert_eq!(follower.next_id(), "2");
        // Rotation: the old file moves away, a new one takes its path.
        std::fs::rename(&path, dir.path().join("audit.log.1")).unwrap();
        std::fs::write(&path, event(3)).unwrap();
        assert_eq!(follower.next_id(), "3");
        // Truncation: the file starts over.
        std::fs::write(&path, "").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        std::fs::write(&path, event(4)).unwrap();
        assert_eq!(follower.next_id(), "4");
        follower.stop();
    }

    /// The follower looks every 300 ms, so the rotation below (rename, append to
    /// the old file, new file) usually happens between two looks: it then meets
    /// the case of the issue, an old file that grew after its rename. Should a look
    /// fall in the middle, the order of the events must still be the same.
    #[test]
    fn lines_written_to_the_old_file_after_a_rotation_are_read_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fol.log");
        std::fs::write(&path, event(1)).unwrap();
        let follower = Follower::start(&path, Duration::from_millis(300));
        assert_eq!(follower.next_id(), "1");
        // mv fol.log fol.log.1; echo EV >> fol.log.1; echo EV > fol.log
        let old = dir.path().join("fol.log.1");
        std::fs::rename(&path, &old).unwrap();
        append(&old, 2);
        std::fs::write(&path, event(3)).unwrap();
        assert_eq!(follower.next_id(), "2");
        assert_eq!(follower.next_id(), "3");
        follower.stop();
    }

    #[test]
    fn following_a_file_that_does_not_exist_yet_waits_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later.log");
        let follower = Follower::start(&path, Duration::from_millis(10));
        std::thread::sleep(Duration::from_millis(50));
        std::fs::write(&path, event(7)).unwrap();
        assert_eq!(follower.next_id(), "7");
        let metrics = follower.metrics.clone();
        follower.stop();
        assert_eq!(metrics.rejected_total(), 0);
        // Without --follow, a missing file is an error.
        let (ctx, _rx) = SourceContext::for_tests(1, 1 << 20);
        assert!(read_file(&dir.path().join("never.log"), None, &ctx).is_err());
    }
}
