//! Field registries: each event source declares the fields it can extract, with
//! their types, so conditions compile against them and unknown fields are caught at
//! load time rather than silently never matching.

use std::collections::HashMap;

use crate::evaluation::MEMO_SLOTS;

/// The type of a field's values, which decides how a condition's right-hand side is
/// read (`proc.pid = 1` compares numbers, `proc.name = 1` compares text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Text.
    String,
    /// Signed or unsigned integers, durations and timestamps in nanoseconds.
    Number,
    /// `true` or `false`.
    Bool,
    /// IP addresses and networks, compared as text until the syscall sensor brings
    /// typed values.
    Ip,
    /// Raw bytes (`evt.buffer`), matched with `bcontains`/`bstartswith`.
    Bytes,
}

impl FieldType {
    /// The name of the type, for messages (`string`).
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Bool => "bool",
            FieldType::Ip => "ip",
            FieldType::Bytes => "bytes",
        }
    }
}

/// Which argument a field takes: `proc.aname[2]`, `ka.uri.param[command]`,
/// `jevt.value[/spec/volumes]`, or the dotted form `evt.arg.flags`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// No argument.
    None,
    /// The argument may be left out.
    Optional,
    /// An argument must be given.
    Required,
    /// Argument written `[arg]` or as a dotted suffix (`evt.arg.name`).
    Dotted,
}

#[derive(Clone, Copy, Debug)]
/// The declaration of one field of a source.
pub struct FieldDef {
    /// The name conditions use (`proc.name`).
    pub name: &'static str,
    /// The type of its values.
    pub ty: FieldType,
    /// List-valued fields extract several values per event (`ka.req.pod.containers.image`).
    pub list: bool,
    /// The argument it takes.
    pub arg: ArgKind,
    /// What the field holds, for people.
    pub desc: &'static str,
    /// What extracting the field costs, relative to reading an attribute the event
    /// already holds (1): conditions compare the cheaper fields first.
    pub cost: u8,
}

impl FieldDef {
    /// A single-valued field without argument, of cost 1.
    pub const fn new(name: &'static str, ty: FieldType, desc: &'static str) -> Self {
        Self {
            name,
            ty,
            list: false,
            arg: ArgKind::None,
            desc,
            cost: 1,
        }
    }

    /// The field is list-valued.
    pub const fn list(mut self) -> Self {
        self.list = true;
        self
    }

    /// The field takes `arg`.
    pub const fn arg(mut self, arg: ArgKind) -> Self {
        self.arg = arg;
        self
    }

    /// Extracting the field costs `cost`.
    pub const fn cost(mut self, cost: u8) -> Self {
        self.cost = cost;
        self
    }
}

/// A field argument, pre-digested at compile time so extraction does no parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldArg {
    /// The argument as written.
    pub raw: Box<str>,
    /// The argument read as an integer, when it is one (`[2]`).
    pub index: Option<i64>,
    /// The argument read as an RFC 6901 JSON pointer, when it starts with `/`:
    /// its reference tokens with `~1` and `~0` already unescaped.
    pub pointer: Option<Box<[Box<str>]>>,
}

impl FieldArg {
    /// The argument `raw`, read once.
    pub fn new(raw: &str) -> Self {
        let pointer = raw.strip_prefix('/').map(|rest| {
            rest.split('/')
                .map(|token| token.replace("~1", "/").replace("~0", "~").into_boxed_str())
                .collect::<Vec<_>>()
                .into_boxed_slice()
        });
        Self {
            raw: raw.into(),
            index: raw.parse().ok(),
            pointer,
        }
    }
}

/// A resolved reference to a field of one source: its index in the source's table
/// and its argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRef {
    /// The field's index in its source's table.
    pub id: u16,
    /// Its argument, read.
    pub arg: Option<FieldArg>,
}

/// The fields of one event source.
#[derive(Debug)]
pub struct FieldTable {
    source: String,
    defs: Vec<FieldDef>,
    by_name: HashMap<&'static str, u16>,
    /// The length of the longest declared name: no longer prefix of a name can be
    /// a field.
    longest_name: usize,
    /// Name of the field holding the event type (`evt.type`), for rule indexing.
    event_type_field: Option<&'static str>,
    /// Further fields whose `=`/`in` comparisons index rules (an audit event's verb,
    /// resource and stage): an event meets only the rules that accept its values.
    index_fields: Vec<FieldRef>,
    /// Fields that always have the same value as an index field (its position in
    /// `index_fields`): the index reads the index field and takes comparisons of
    /// either into account.
    index_aliases: Vec<(FieldRef, usize)>,
    /// Per field: its slot in an evaluation's memo ([`crate::evaluation`]), for the
    /// first [`MEMO_SLOTS`] fields that may have a single value and cost no more than
    /// a decoded attribute to read. Those are the fields most rules compare.
    memo_slots: Vec<Option<u8>>,
    /// Per field: the values the source numbers ([`crate::Single::Word`]).
    vocabularies: Vec<Option<&'static [&'static str]>>,
}

/// Why a field reference does not resolve.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The source declares no such field.
    #[error("unknown field")]
    Unknown,
    /// The field needs an argument (`proc.aname[2]`) and has none.
    #[error("the field requires an argument")]
    MissingArg,
    /// The field takes no argument and has one.
    #[error("the field takes no argument")]
    UnexpectedArg,
}

impl FieldTable {
    /// The table of `source`'s fields.
    pub fn new(source: impl Into<String>, defs: &[FieldDef]) -> Self {
        let by_name = defs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name, i as u16))
            .collect();
        let mut memoized = 0;
        let memo_slots = defs
            .iter()
            .map(|d| {
                let cheap_single = !d.list && d.arg != ArgKind::Required && d.cost <= 1;
                (cheap_single && memoized < MEMO_SLOTS).then(|| {
                    memoized += 1;
                    (memoized - 1) as u8
                })
            })
            .collect();
        Self {
            source: source.into(),
            defs: defs.to_vec(),
            by_name,
            longest_name: defs.iter().map(|d| d.name.len()).max().unwrap_or(0),
            event_type_field: None,
            index_fields: Vec::new(),
            index_aliases: Vec::new(),
            vocabularies: vec![None; defs.len()],
            memo_slots,
        }
    }

    /// Names the field whose `=`/`in` comparisons index rules by event type.
    pub fn with_event_type_field(mut self, name: &'static str) -> Self {
        self.event_type_field = Some(name);
        self
    }

    /// Adds a field that indexes rules, read with [`crate::Event::extract`] once per
    /// event. It must be a declared single-valued string field, as the index compares
    /// its text.
    pub fn with_index_field(mut self, name: &str, arg: Option<&str>) -> Self {
        let field = self
            .resolve(name, arg)
            .unwrap_or_else(|e| panic!("index field '{name}': {e:?}"));
        let def = self.def(field.id);
        assert!(
            def.ty == FieldType::String && !def.list,
            "index field '{name}' must be a single string"
        );
        assert!(
            self.index_fields.len() + 1 < crate::engine::MAX_DIMENSIONS,
            "too many index fields"
        );
        self.index_fields.push(field);
        self
    }

    /// Declares that the field `name[arg]` has, on every event, the same value as the
    /// index field `of` (`jevt.value[/stage]` and `ka.stage`): its comparisons index
    /// rules too, and the index reads `of` only, instead of both.
    pub fn with_index_alias(mut self, name: &str, arg: Option<&str>, of: &str) -> Self {
        let field = self
            .resolve(name, arg)
            .unwrap_or_else(|e| panic!("index alias '{name}': {e:?}"));
        let target = self
            .resolve(of, None)
            .unwrap_or_else(|e| panic!("index field '{of}': {e:?}"));
        let position = self
            .index_fields
            .iter()
            .position(|f| *f == target)
            .unwrap_or_else(|| panic!("'{of}' is not an index field"));
        self.index_aliases.push((field, position));
        self
    }

    /// Declares the values of a field that the source's events number: an event
    /// answers [`crate::Event::single`] for the field with [`crate::Single::Word`]
    /// and the value's position in `words` when it is one of them, and the rule index
    /// then finds the rules for it by that position rather than by its text.
    pub fn with_vocabulary(mut self, name: &str, words: &'static [&'static str]) -> Self {
        let field = self
            .resolve(name, None)
            .unwrap_or_else(|e| panic!("field '{name}': {e:?}"));
        assert!(words.len() <= 256, "vocabulary of '{name}' too large");
        self.vocabularies[field.id as usize] = Some(words);
        self
    }

    /// The numbered values of a field ([`Self::with_vocabulary`]); empty for fields
    /// with an argument.
    pub fn vocabulary(&self, field: &FieldRef) -> &'static [&'static str] {
        match field.arg {
            None => self.vocabularies[field.id as usize].unwrap_or(&[]),
            Some(_) => &[],
        }
    }

    /// The index fields, in the order they were added.
    pub fn index_fields(&self) -> &[FieldRef] {
        &self.index_fields
    }

    /// Whether `field` is the index field at `position` or one of its aliases.
    pub fn is_index_field(&self, field: &FieldRef, position: usize) -> bool {
        self.index_fields.get(position) == Some(field)
            || self
                .index_aliases
                .iter()
                .any(|(alias, p)| *p == position && alias == field)
    }

    /// The source's name (`syscall`, `k8s_audit`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The length of the longest field name the table declares.
    pub fn longest_name(&self) -> usize {
        self.longest_name
    }

    /// Every field, in declaration order.
    pub fn defs(&self) -> &[FieldDef] {
        &self.defs
    }

    /// The field of index `id`.
    pub fn def(&self, id: u16) -> &FieldDef {
        &self.defs[id as usize]
    }

    /// The memo slot of a field without argument, if it has one.
    pub(crate) fn memo_slot(&self, field: &FieldRef) -> Option<u8> {
        match field.arg {
            None => self.memo_slots[field.id as usize],
            // An argument makes another field (`jevt.value[/stage]`, `[/verb]`...):
            // the slots go to the fields themselves.
            Some(_) => None,
        }
    }

    /// The field that holds the event type (`evt.type`), for sources that have one.
    pub fn event_type_field(&self) -> Option<&str> {
        self.event_type_field
    }

    /// Resolves `name` with its bracketed argument, if any. A name that is not
    /// declared may still be a dotted-argument field (`evt.arg.flags`).
    pub fn resolve(&self, name: &str, arg: Option<&str>) -> Result<FieldRef, FieldError> {
        if let Some(&id) = self.by_name.get(name) {
            let def = &self.defs[id as usize];
            return match (def.arg, arg) {
                (ArgKind::None, Some(_)) => Err(FieldError::UnexpectedArg),
                (ArgKind::Required, None) => Err(FieldError::MissingArg),
                (_, arg) => Ok(FieldRef {
                    id,
                    arg: arg.map(FieldArg::new),
                }),
            };
        }
        if arg.is_none() {
            // Only the prefixes a declared name could be are looked up: a long name
            // full of dots costs no more than a short one.
            let mut cut = name.len().min(self.longest_name + 1);
            while !name.is_char_boundary(cut) {
                cut -= 1;
            }
            while let Some(dot) = name[..cut].rfind('.') {
                if let Some(&id) = self.by_name.get(&name[..dot]) {
                    if self.defs[id as usize].arg == ArgKind::Dotted {
                        return Ok(FieldRef {
                            id,
                            arg: Some(FieldArg::new(&name[dot + 1..])),
                        });
                    }
                }
                cut = dot;
            }
        }
        Err(FieldError::Unknown)
    }
}

/// Declares a source's typed field table: an enum with one variant per field
/// (`$enum`, `#[repr(u16)]`, a field's id is its position), a `const ALL` of its
/// variants in that order, and `fn defs() -> Vec<FieldDef>` giving each field's
/// name, type and description. Flags after the type: `list` (many values),
/// `optional`, `required` or `dotted` (the kind of `[arg]` the field takes).
///
/// ```
/// vigie_rules::field_table! {
///     /// Fields of a toy source.
///     enum ToyField;
///     Name = "toy.name": String; "the name of the toy"
///     Tags = "toy.tags": String, list; "its tags"
///     Attr = "toy.attr": String, required; "one attribute, by key"
/// }
/// let defs = defs();
/// assert_eq!(defs.len(), ALL.len());
/// assert_eq!(ALL[ToyField::Tags as usize], ToyField::Tags);
/// assert_eq!(defs[1].name, "toy.tags");
/// ```
#[macro_export]
macro_rules! field_table {
    ($(#[$meta:meta])* enum $enum:ident;
     $( $variant:ident = $name:literal : $ty:ident $(, $flag:ident)* ; $desc:literal )*) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u16)]
        #[allow(missing_docs)] // each variant is described by its table entry
        pub enum $enum { $($variant),* }

        const ALL: &[$enum] = &[$($enum::$variant),*];

        fn defs() -> Vec<$crate::FieldDef> {
            vec![$( $crate::field_table!(@def $crate::FieldDef::new($name, $crate::FieldType::$ty, $desc) $(, $flag)*) ),*]
        }
    };
    (@def $e:expr) => { $e };
    (@def $e:expr, list $(, $rest:ident)*) => { $crate::field_table!(@def $e.list() $(, $rest)*) };
    (@def $e:expr, optional $(, $rest:ident)*) => { $crate::field_table!(@def $e.arg($crate::ArgKind::Optional) $(, $rest)*) };
    (@def $e:expr, required $(, $rest:ident)*) => { $crate::field_table!(@def $e.arg($crate::ArgKind::Required) $(, $rest)*) };
    (@def $e:expr, dotted $(, $rest:ident)*) => { $crate::field_table!(@def $e.arg($crate::ArgKind::Dotted) $(, $rest)*) };
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFS: &[FieldDef] = &[
        FieldDef::new("proc.name", FieldType::String, ""),
        FieldDef::new("proc.aname", FieldType::String, "").arg(ArgKind::Optional),
        FieldDef::new("evt.arg", FieldType::String, "").arg(ArgKind::Dotted),
        FieldDef::new("json.value", FieldType::String, "").arg(ArgKind::Required),
    ];

    #[test]
    fn resolves_plain_indexed_dotted_and_pointer_arguments() {
        let t = FieldTable::new("test", DEFS);
        assert_eq!(t.resolve("proc.name", None).unwrap().id, 0);
        assert_eq!(
            t.resolve("proc.name", Some("1")),
            Err(FieldError::UnexpectedArg)
        );
        let a = t.resolve("proc.aname", Some("2")).unwrap();
        assert_eq!(a.arg.unwrap().index, Some(2));
        let d = t.resolve("evt.arg.flags", None).unwrap();
        assert_eq!((d.id, &*d.arg.unwrap().raw), (2, "flags"));
        assert_eq!(t.resolve("json.value", None), Err(FieldError::MissingArg));
        let p = t.resolve("json.value", Some("/a~1b/c~0d")).unwrap();
        let pointer = p.arg.unwrap().pointer.unwrap();
        let tokens: Vec<&str> = pointer.iter().map(|s| &**s).collect();
        assert_eq!(tokens, ["a/b", "c~d"]);
        assert_eq!(t.resolve("proc.nope", None), Err(FieldError::Unknown));
    }
}
