//! libscap's event model: the event table (codes, names, directions, parameters),
//! flag names, and [`RawEvent`], one event in the wire encoding that both the live
//! sensor's ring buffer and `.scap` capture files carry.

mod errno;
pub mod fixture;
mod flags;
mod param;
mod raw;
mod table;

pub use errno::errno_name;
pub use flags::{flag_names, resolve_flags};
pub use param::{c_str, family, split_nul, ParamValue, SockAddr, SockTuple};
pub use raw::{encode_event, DecodeError, RawEvent, HEADER_LEN, MAX_PARAMS};
pub use table::{
    event_info, event_table, flags as event_flags, syscall_name, Category, Direction, EventInfo,
    EventTable, ParamExtra, ParamInfo, ParamType, PrintFormat,
};
