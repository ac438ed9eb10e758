//! Field tables declared by this crate. The syscall fields are declared here (names
//! and types, so Falco's syscall rule files load and compile); their values come from
//! the syscall sensor. Other sources declare their tables next to their extractors.

mod cloudtrail;
mod syscall;
mod table_text;

pub use cloudtrail::cloudtrail_table;
pub use syscall::syscall_table;
pub use table_text::parse_table_text;
