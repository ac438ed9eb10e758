//! The consumer side of `bench/sensor/run.sh`: attaches the live sensor, drains
//! the ring by polling, decodes every event (`RawEvent::parse`), keeps the
//! process/fd state and, with `-r RULES`, evaluates the rules of the `syscall`
//! source on each event; stops on SIGINT/SIGTERM and prints one line of figures.
//!
//! `sensor_bench [-r RULES.yaml]... [--syscalls a,b,c | --only a,b,c]`: without
//! -r or a list every encoded syscall is watched; `--syscalls` adds what the
//! state tables need, `--only` watches exactly those (the sensor's fixed cost).

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigie_rules::{Engine, EngineOptions, RuleLoader};
use vigie_sensor::event::RawEvent;
use vigie_sensor::fields::{syscall_table, SyscallEvent};
use vigie_sensor::live::{Config, Sensor, Storage, SyscallSet};
use vigie_sensor::state::bootstrap_from_proc;

#[derive(Default)]
struct Stats {
    events: u64,
    bytes: u64,
    undecodable: u64,
    matches: u64,
}

/// utime + stime of this process, in clock ticks (/proc/self/stat fields 14, 15).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let get = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // After the command name, field 3 (state) is index 0: utime is 14 → 11.
    get(11) + get(12)
}

fn main() {
    let mut rules = Vec::new();
    let mut names: Option<String> = None;
    let mut only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-r" => rules.push(args.next().expect("-r FILE")),
            "--syscalls" => names = Some(args.next().expect("--syscalls a,b,c")),
            "--only" => {
                names = Some(args.next().expect("--only a,b,c"));
                only = true;
            }
            _ => panic!("unknown argument {a}"),
        }
    }
    let engine = if rules.is_empty() {
        None
    } else {
        let mut loader = RuleLoader::new();
        for r in &rules {
            loader.load_file(Path::new(r));
        }
        let set = loader.finish();
        // A rule file that does not load would leave the bench measuring
        // fewer rules than it says: stop instead.
        if set.has_errors() {
            for d in set.diagnostics.iter().filter(|d| d.is_error()) {
                eprintln!("sensor_bench: {d}");
            }
            std::process::exit(2);
        }
        let engine = Engine::build(&set, &[syscall_table()], &EngineOptions::default())
            .unwrap_or_else(|d| panic!("rules do not compile: {d:?}"));
        Some(engine)
    };
    let syscalls = match (&names, &engine) {
        (Some(n), _) => {
            let (mut s, unknown) = SyscallSet::from_names(n.split(',').filter(|s| !s.is_empty()));
            assert!(unknown.is_empty(), "not encoded: {unknown:?}");
            if !only {
                s.union(&SyscallSet::state());
            }
            s
        }
        (None, Some(e)) => SyscallSet::for_rules(e.rules()).0,
        (None, None) => SyscallSet::all(),
    };
    let source = engine.as_ref().and_then(|e| e.source("syscall"));
    let enabled = engine.as_ref().map_or(0, |e| e.enabled_count("syscall"));

    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, stop.clone()).expect("SIGINT");
    signal_hook::flag::register(signal_hook::consts::SIGTERM, stop.clone()).expect("SIGTERM");

    let state = Rc::new(RefCell::new(bootstrap_from_proc(
        Path::new("/proc"),
        Path::new("/"),
    )));
    let stats = Rc::new(RefCell::new(Stats::default()));
    let (st, sts) = (state.clone(), stats.clone());
    let engine_ref = engine.as_ref();
    let mut num = 0u64;
    let mut storage = Storage::default();
    let config = Config {
        syscalls: syscalls.clone(),
        ..Config::default()
    };
    let sensor = Sensor::start(&config, &mut storage, move |bytes| {
        let mut stats = sts.borrow_mut();
        stats.events += 1;
        stats.bytes += bytes.len() as u64;
        let Ok(raw) = RawEvent::parse(bytes) else {
            stats.undecodable += 1;
            return;
        };
        let mut state = st.borrow_mut();
        state.before(&raw);
        if let (Some(engine), Some(source)) = (engine_ref, source) {
            num += 1;
            let ev = SyscallEvent::new(raw, &state, num, 0);
            stats.matches += engine.evaluate(source, &ev, |_| {}) as u64;
        }
        state.after(&raw);
    })
    .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "ready: watching {} ({} syscall rules)",
        syscalls.names().join(","),
        enabled
    );
    let cpu0 = cpu_ticks();
    let t0 = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        match sensor.consume() {
            Ok(0) => std::thread::sleep(Duration::from_millis(2)),
            Ok(_) => {}
            Err(e) => panic!("{e}"),
        }
    }
    sensor.consume().expect("last drain");
    let wall = t0.elapsed().as_secs_f64();
    // SAFETY: sysconf has no memory effects.
    #[allow(unsafe_code)]
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let cpu = (cpu_ticks() - cpu0) as f64 / hz;
    let c = sensor.counters().expect("counters");
    let s = stats.borrow();
    println!(
        "events {} bytes {} undecodable {} matches {} sent {} dropped {} too_big {} wall_s {:.3} cpu_s {:.3} threads {}",
        s.events,
        s.bytes,
        s.undecodable,
        s.matches,
        c.sent,
        c.dropped,
        c.too_big,
        wall,
        cpu,
        state.borrow().thread_count()
    );
}
