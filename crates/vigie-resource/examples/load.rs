//! Loads paths the way `vigie scan` does and keeps every object in memory, to measure
//! what holding them costs (peak memory) and how long loading takes:
//!
//! ```text
//! cargo build --release -p vigie-resource --example load
//! /usr/bin/time -f '%e s %M KiB' target/release/examples/load bench/out/corpus-100000
//! target/release/examples/load --heap bench/out/corpus-100000
//! ```
//!
//! With `--heap`, it also counts the heap blocks and bytes (as requested, before the
//! allocator's own overhead) that the loaded objects hold. Counting slows allocation a
//! little, so time without it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::Instant;

use vigie_resource::{load, LoadOptions};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);
static BYTES: AtomicIsize = AtomicIsize::new(0);

fn count(blocks: isize, bytes: isize) {
    if COUNTING.load(Ordering::Relaxed) {
        BLOCKS.fetch_add(blocks, Ordering::Relaxed);
        BYTES.fetch_add(bytes, Ordering::Relaxed);
    }
}

// SAFETY: every call is passed to the system allocator unchanged.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(1, layout.size() as isize);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-1, -(layout.size() as isize));
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(0, new_size as isize - layout.size() as isize);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    let heap = paths.first().is_some_and(|a| a == "--heap");
    if heap {
        paths.remove(0);
    }
    if paths.is_empty() {
        eprintln!("usage: load [--heap] PATH...");
        std::process::exit(2);
    }
    COUNTING.store(heap, Ordering::Relaxed);
    let start = Instant::now();
    let loaded = load(&paths, &LoadOptions::default());
    let elapsed = start.elapsed();
    // Every resource is still alive here: `loaded` is dropped after printing.
    println!(
        "{} objects, {} diagnostics ({} errors) from {} sources in {:.3} s",
        loaded.resources.len(),
        loaded.diagnostics.len(),
        loaded.error_count(),
        loaded.sources,
        elapsed.as_secs_f64()
    );
    if heap {
        // Blocks allocated and not freed during loading (rayon's own are a few).
        let blocks = BLOCKS.load(Ordering::Relaxed);
        let bytes = BYTES.load(Ordering::Relaxed);
        let objects = loaded.resources.len().max(1) as f64;
        println!(
            "heap held: {:.1} MB in {} blocks ({:.0} bytes and {:.1} blocks per object)",
            bytes as f64 / 1e6,
            blocks,
            bytes as f64 / objects,
            blocks as f64 / objects
        );
    }
    drop(loaded);
}
