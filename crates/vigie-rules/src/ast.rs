//! The condition syntax tree, before macros and lists are resolved.

/// Value transformers applied to a field before comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transformer {
    /// `tolower(...)`.
    ToLower,
    /// `toupper(...)`.
    ToUpper,
    /// Base64-decodes the value.
    B64,
    /// `basename(...)`: the last path component.
    Basename,
    /// The length of the value (of the list, for list fields).
    Len,
}

impl Transformer {
    /// The transformer of a name (`tolower`), if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "tolower" => Transformer::ToLower,
            "toupper" => Transformer::ToUpper,
            "b64" => Transformer::B64,
            "basename" => Transformer::Basename,
            "len" => Transformer::Len,
            _ => return None,
        })
    }
}

/// A field as written: `tolower(proc.aname[2])`. `offset` is the byte offset in the
/// condition text, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldExpr {
    /// Outermost transformer first.
    pub transformers: Vec<Transformer>,
    /// The field's name (`proc.aname`).
    pub name: String,
    /// The argument in brackets (`2` in `proc.aname[2]`), as written.
    pub arg: Option<String>,
    /// Byte offset in the condition text, for error messages.
    pub offset: usize,
}

impl FieldExpr {
    /// The field as it would be written, without transformers.
    pub fn display_name(&self) -> String {
        match &self.arg {
            Some(arg) => format!("{}[{}]", self.name, arg),
            None => self.name.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// A comparison operator.
pub enum Op {
    /// `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `contains`.
    Contains,
    /// `icontains` (ASCII case-insensitive).
    IContains,
    /// `bcontains` (bytes written in hex).
    BContains,
    /// `startswith`.
    StartsWith,
    /// `bstartswith` (bytes written in hex).
    BStartsWith,
    /// `endswith`.
    EndsWith,
    /// `glob`.
    Glob,
    /// `iglob` (ASCII case-insensitive).
    IGlob,
    /// `regex`.
    Regex,
    /// `in (...)`.
    In,
    /// `intersects (...)`.
    Intersects,
    /// `pmatch (...)`: path prefix match.
    Pmatch,
    /// `exists`, which takes no right-hand side.
    Exists,
}

impl Op {
    /// Word operators as written in conditions.
    pub fn from_word(word: &str) -> Option<Op> {
        Some(match word {
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "bcontains" => Op::BContains,
            "startswith" => Op::StartsWith,
            "bstartswith" => Op::BStartsWith,
            "endswith" => Op::EndsWith,
            "glob" => Op::Glob,
            "iglob" => Op::IGlob,
            "regex" => Op::Regex,
            "in" => Op::In,
            "intersects" => Op::Intersects,
            "pmatch" => Op::Pmatch,
            "exists" => Op::Exists,
            _ => return None,
        })
    }

    /// Parses an operator as it appears in an exception's `comps`.
    pub fn parse(text: &str) -> Option<Op> {
        Some(match text {
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            other => return Op::from_word(other),
        })
    }

    /// Operators whose right-hand side is a list.
    pub fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::Pmatch)
    }
}

/// One element of a parenthesised list: quoted items are literal, bare ones may name
/// a list to splice in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListItem {
    /// `"text"` or `'text'`: the text itself.
    Quoted(String),
    /// A bare word: a list's name, or the word itself.
    Bare(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// The right-hand side of a check.
pub enum Rhs {
    /// None (`exists`).
    None,
    /// One value.
    Value(String),
    /// A parenthesised list.
    List(Vec<ListItem>),
    /// A bare list name (`in my_list` without parentheses).
    ListName(String),
    /// `val(other.field)`: compare with another field of the same event.
    Field(FieldExpr),
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// A condition.
pub enum Expr {
    /// All of these hold.
    And(Vec<Expr>),
    /// Any of these holds.
    Or(Vec<Expr>),
    /// This does not hold.
    Not(Box<Expr>),
    /// An identifier that is not a field: a macro reference.
    Macro {
        /// The macro's name.
        name: String,
        /// Byte offset in the condition text.
        offset: usize,
    },
    /// A field compared with something.
    Check {
        /// The field.
        field: FieldExpr,
        /// The comparison.
        op: Op,
        /// What the field is compared with.
        rhs: Rhs,
    },
}
