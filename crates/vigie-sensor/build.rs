//! Compiles the kernel programs (`src/bpf/*.bpf.c`) with clang and generates their
//! Rust skeleton. `src/bpf/vmlinux.h` is committed, so the build needs neither the
//! running kernel's BTF nor bpftool.

use std::env;
use std::path::PathBuf;

use libbpf_cargo::SkeletonBuilder;

const SRC: &str = "src/bpf/sensor.bpf.c";

fn main() {
    println!("cargo:rerun-if-changed=src/bpf");
    println!("cargo:rerun-if-env-changed=CLANG");
    // Static musl builds carry no kernel programs (see Cargo.toml).
    if env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("musl") {
        return;
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let clang = env::var_os("CLANG").unwrap_or_else(|| "clang".into());
    if let Err(e) = SkeletonBuilder::new()
        .source(SRC)
        .clang(&clang)
        .clang_args(["-I", "src/bpf", "-Wall", "-Wno-unused-function"])
        .build_and_generate(out.join("sensor.skel.rs"))
    {
        panic!("vigie-sensor: compiling {SRC} failed ({e:#}); it needs clang (run scripts/setup)");
    }
}
