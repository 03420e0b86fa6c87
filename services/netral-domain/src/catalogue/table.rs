//! How a CSV catalogue file becomes rows that know their file, line and columns, so that every
//! parser can report a bad cell as `file:line: field `name`: what is wrong`.

use std::borrow::Cow;
use std::fmt::Display;

use chrono::NaiveDate;

use super::CatalogueError;

/// One catalogue file's text, with the name errors should use for it.
pub(crate) struct DataFile {
    /// `data/<relative path>` when bundled, the real path when read from a directory.
    pub(crate) name: String,
    /// The file's contents.
    pub(crate) text: Cow<'static, str>,
}

impl DataFile {
    /// The data rows of this CSV file, whose header must name exactly `columns` (in any order).
    /// Lines starting with `#` are comments; cells are trimmed.
    pub(crate) fn rows(
        &self,
        columns: &'static [&'static str],
    ) -> Result<Vec<Row<'_>>, CatalogueError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(self.text.as_bytes());
        let lines = LineIndex::new(&self.text);
        let header = reader
            .headers()
            .map_err(|err| self.csv_error(&lines, &err))?
            .clone();
        let header_line = lines.line_of(header.position());
        let header_error = |field: &str, msg: String| {
            CatalogueError::at(&self.name, Some(header_line), Some(field), msg)
        };
        if let Some(extra) = header.iter().find(|name| !columns.contains(name)) {
            return Err(header_error(
                extra,
                format!("unknown column (expected {})", columns.join(",")),
            ));
        }
        let mut order = Vec::with_capacity(columns.len());
        for column in columns {
            let positions: Vec<usize> = header
                .iter()
                .enumerate()
                .filter(|(_, h)| h == column)
                .map(|(i, _)| i)
                .collect();
            match positions.as_slice() {
                [index] => order.push(*index),
                [] => return Err(header_error(column, "missing column".to_owned())),
                _ => return Err(header_error(column, "column appears twice".to_owned())),
            }
        }

        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|err| self.csv_error(&lines, &err))?;
            let line = lines.line_of(record.position());
            let values = order
                .iter()
                .map(|i| record.get(*i).unwrap_or_default().to_owned())
                .collect();
            rows.push(Row {
                file: &self.name,
                line,
                columns,
                values,
            });
        }
        if rows.is_empty() {
            return Err(CatalogueError::in_file(&self.name, None, "no data rows"));
        }
        Ok(rows)
    }

    fn csv_error(&self, lines: &LineIndex<'_>, err: &csv::Error) -> CatalogueError {
        let line = err.position().map(|p| lines.line_of(Some(p)));
        let message = match err.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => {
                format!("expected {expected_len} cells, found {len}")
            }
            _ => err.to_string(),
        };
        CatalogueError::at(&self.name, line, None, message)
    }
}

/// Finds the line a CSV record starts on. The `csv` crate's own line count is off by one in
/// files with CRLF line endings, and its byte position points at the end of the previous record
/// (before skipped line breaks, blank lines and comments), so both are corrected here.
struct LineIndex<'t> {
    /// The file's bytes.
    bytes: &'t [u8],
    /// The offset of every `\n`, ascending.
    newlines: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> Self {
        let bytes = text.as_bytes();
        let newlines = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Self { bytes, newlines }
    }

    /// The 1-based line of the record whose read started at `position`.
    fn line_of(&self, position: Option<&csv::Position>) -> u64 {
        let start = position.map_or(0, csv::Position::byte);
        let mut at = usize::try_from(start)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        loop {
            match self.bytes.get(at) {
                Some(b'\r' | b'\n') => at += 1,
                Some(b'#') if at == 0 || self.bytes.get(at - 1) == Some(&b'\n') => {
                    at = self.bytes[at..]
                        .iter()
                        .position(|b| *b == b'\n')
                        .map_or(self.bytes.len(), |i| at + i + 1);
                }
                _ => break,
            }
        }
        let before = self.newlines.partition_point(|offset| *offset < at);
        u64::try_from(before).map_or(u64::MAX, |n| n + 1)
    }
}

/// One data row of a CSV file, with its values in the order of the expected columns.
pub(crate) struct Row<'f> {
    file: &'f str,
    line: u64,
    columns: &'static [&'static str],
    values: Vec<String>,
}

impl Row<'_> {
    /// The 1-based line this row starts on.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// An error about `field` on this row.
    pub(crate) fn error(&self, field: &str, message: impl Into<String>) -> CatalogueError {
        CatalogueError::at(self.file, Some(self.line), Some(field), message)
    }

    /// The non-empty text of `field`.
    pub(crate) fn text(&self, field: &'static str) -> Result<&str, CatalogueError> {
        let value = self
            .columns
            .iter()
            .position(|c| *c == field)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| self.error(field, "no such column"))?;
        if value.is_empty() {
            return Err(self.error(field, "must not be empty"));
        }
        Ok(value)
    }

    /// `field` parsed by `parse`, whose error becomes the message.
    pub(crate) fn parse<T, E: Display>(
        &self,
        field: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, CatalogueError> {
        let text = self.text(field)?;
        parse(text).map_err(|err| self.error(field, err.to_string()))
    }

    /// `field` as a whole number in `range`.
    pub(crate) fn number<T>(
        &self,
        field: &'static str,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, CatalogueError>
    where
        T: std::str::FromStr + PartialOrd + Display,
    {
        let text = self.text(field)?;
        match text.parse::<T>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(self.error(
                field,
                format!(
                    "\"{text}\" is not a whole number in {}..={}",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    /// `field` as a `YYYY-MM-DD` date.
    pub(crate) fn date(&self, field: &'static str) -> Result<NaiveDate, CatalogueError> {
        let text = self.text(field)?;
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|err| {
            self.error(
                field,
                format!("\"{text}\" is not a date (expected YYYY-MM-DD): {err}"),
            )
        })
    }

    /// `field` as a code: upper-case ASCII letters, digits and `_`, starting with a letter.
    pub(crate) fn code(&self, field: &'static str) -> Result<String, CatalogueError> {
        let text = self.text(field)?;
        let well_formed = text.starts_with(|c: char| c.is_ascii_uppercase())
            && text
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if well_formed {
            Ok(text.to_owned())
        } else {
            Err(self.error(
                field,
                format!("\"{text}\" is not a code (A-Z, 0-9 and _, e.g. LIGHT_ORAL_REPRIMAND)"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_blank_and_comment_lines_keep_line_numbers_exact() {
        let text = "# header comment\r\nnumber,code\r\n1,A\r\n\r\n# note\r\n2,B\n#x\n\n3,C\n";
        let file = DataFile {
            name: "t.csv".into(),
            text: Cow::Borrowed(text),
        };
        let lines: Vec<u64> = file
            .rows(&["number", "code"])
            .unwrap()
            .iter()
            .map(Row::line)
            .collect();
        assert_eq!(lines, [3, 6, 9]);
    }

    #[test]
    fn cells_are_checked_by_kind() {
        let text = "number,code,date\n 7 ,lower_case,2024-13-01\n";
        let file = DataFile {
            name: "t.csv".into(),
            text: Cow::Borrowed(text),
        };
        let rows = file.rows(&["code", "date", "number"]).unwrap();
        let row = rows.first().unwrap();
        assert_eq!(row.number("number", 1u8..=13).unwrap(), 7);
        assert!(
            row.number("number", 8u8..=13)
                .unwrap_err()
                .to_string()
                .contains("8..=13")
        );
        let err = row.code("code").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:2: field `code`: \"lower_case\" is not a code (A-Z, 0-9 and _, e.g. LIGHT_ORAL_REPRIMAND)"
        );
        assert_eq!(row.date("date").unwrap_err().field(), Some("date"));
    }

    #[test]
    fn empty_files_and_empty_cells_are_refused() {
        let header_only = DataFile {
            name: "t.csv".into(),
            text: Cow::Borrowed("a,b\n"),
        };
        assert_eq!(
            header_only.rows(&["a", "b"]).err().unwrap().message(),
            "no data rows"
        );
        let empty_cell = DataFile {
            name: "t.csv".into(),
            text: Cow::Borrowed("a,b\n1,\n"),
        };
        let rows = empty_cell.rows(&["a", "b"]).unwrap();
        assert_eq!(
            rows.first().unwrap().text("b").unwrap_err().message(),
            "must not be empty"
        );
        let twice = DataFile {
            name: "t.csv".into(),
            text: Cow::Borrowed("a,a\n1,2\n"),
        };
        assert_eq!(
            twice.rows(&["a"]).err().unwrap().message(),
            "column appears twice"
        );
    }
}
