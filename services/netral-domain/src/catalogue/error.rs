//! Why a catalogue did not load, said precisely enough that an operator can fix the file
//! without reading the code: the file, the line and the field at fault.

use std::fmt;

/// A data file that does not make a valid catalogue, e.g.
/// `data/violation-forms.csv:7: field `default_track`: unknown track "heavy" (expected one of …)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueError {
    /// The file as the operator knows it: `data/…` for the shipped files, the real path for a
    /// directory given to [`super::Catalogue::load_dir`].
    file: String,
    /// The 1-based line in that file (the header is line 1); absent when the fault is the file
    /// as a whole, such as a missing form or a file that cannot be read.
    line: Option<u64>,
    /// The CSV column at fault, when one is.
    field: Option<String>,
    /// What is wrong, in words.
    message: String,
}

impl CatalogueError {
    /// An error about one cell or one row.
    pub(crate) fn at(
        file: &str,
        line: Option<u64>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_owned(),
            line,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// An error about a file as a whole (no line), optionally about one of its columns.
    pub(crate) fn in_file(file: &str, field: Option<&str>, message: impl Into<String>) -> Self {
        Self::at(file, None, field, message)
    }

    /// The file at fault.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The 1-based line at fault, if the fault is on one line.
    pub fn line(&self) -> Option<u64> {
        self.line
    }

    /// The column at fault, if one is.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// What is wrong, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for CatalogueError {}

/// A keyword that is not one of the values a field accepts, e.g. a sanction track `heavy`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} \"{value}\" (expected one of {})", .expected.join(", "))]
pub struct UnknownKeyword {
    /// What kind of keyword was expected, e.g. `track`, `election kind`.
    what: &'static str,
    /// The text that matched none of them.
    value: String,
    /// Every keyword that would have been accepted, in their canonical spelling.
    expected: Vec<&'static str>,
}

impl UnknownKeyword {
    /// The error for `value`, which is not one of `expected`.
    pub(crate) fn new(what: &'static str, value: &str, expected: Vec<&'static str>) -> Self {
        Self {
            what,
            value: value.to_owned(),
            expected,
        }
    }

    /// The text that was not recognised.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The keywords that would have been accepted.
    pub fn expected(&self) -> &[&'static str] {
        &self.expected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_field() {
        let err = CatalogueError::at(
            "data/violation-forms.csv",
            Some(7),
            Some("default_track"),
            "unknown track \"heavy\"",
        );
        assert_eq!(
            err.to_string(),
            "data/violation-forms.csv:7: field `default_track`: unknown track \"heavy\""
        );
        let whole = CatalogueError::in_file("data/violation-forms.csv", None, "empty");
        assert_eq!(whole.to_string(), "data/violation-forms.csv: empty");
    }

    #[test]
    fn unknown_keyword_lists_the_accepted_values() {
        let err = UnknownKeyword::new("unit", "weeks", vec!["days", "working_days"]);
        assert_eq!(
            err.to_string(),
            "unknown unit \"weeks\" (expected one of days, working_days)"
        );
    }
}
