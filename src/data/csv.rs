//! Reading and writing point clouds as CSV text (no I/O here: callers pass strings, or bytes to
//! [`decode_text`]).
//!
//! Input: a header row, then one point per row; every column numeric; an optional column named `weight`
//! (any case) gives input weights. Output of a compression: `index,weight,x1,...,xm` where `index` is the
//! 0-based data row of the input and the coordinates are the input's values, printed so they parse back to
//! the same `f64` (shortest round-trip form).
//!
//! Accepted: RFC 4180 quoting (commas and line breaks inside quoted fields), LF, CRLF or CR line ends, a
//! UTF-8 byte-order mark (ignored), blank lines, spaces around fields, any finite `f64` (`1e300` is a
//! number; `1e400`, `inf`, `-Infinity`, `NaN` in any spelling are errors). Error messages quote at most
//! [`EXCERPT_CHARS`] characters of a cell or a column name.

use std::fmt::{self, Write};

use crate::compress::Cloud;

/// How many characters of a cell or a column name an error message quotes.
pub const EXCERPT_CHARS: usize = 24;

#[derive(Clone, Debug, PartialEq)]
pub enum CsvError {
    Empty,
    NoRows,
    NoCoordinates,
    Ragged {
        line: usize,
        expected: usize,
        found: usize,
    },
    /// `value` is an excerpt (see [`EXCERPT_CHARS`]); empty for an empty cell.
    NotNumeric {
        line: usize,
        column: String,
        value: String,
    },
    /// `inf`, `NaN` and their spellings.
    NotFinite {
        line: usize,
        column: String,
    },
    /// A decimal number beyond the range of `f64` (about ±1.8e308), such as `1e400`.
    OutOfRange {
        line: usize,
        column: String,
    },
    TooLarge {
        rows: usize,
        limit: usize,
    },
    Parse(String),
    /// A regression data set needs inputs and an output.
    NoInputs,
    /// Regression data are unweighted.
    Weighted,
    /// Two columns named `weight` (or, for a regression data set, two named `y`): which one is meant is
    /// ambiguous. Columns are 1-based.
    DuplicateColumn {
        name: &'static str,
        first: usize,
        second: usize,
    },
    /// The bytes are not UTF-8 text. `line` is the 1-based line of the first invalid byte; `utf16`: the
    /// file starts with a UTF-16 byte-order mark.
    NotUtf8 {
        line: usize,
        utf16: bool,
    },
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvError::Empty => write!(f, "the CSV is empty"),
            CsvError::NoRows => write!(f, "the CSV has a header but no data rows"),
            CsvError::NoCoordinates => write!(
                f,
                "the CSV has no coordinate columns (only a weight column?)"
            ),
            CsvError::Ragged {
                line,
                expected,
                found,
            } => {
                write!(
                    f,
                    "line {line} has {found} fields but the header has {expected}"
                )
            }
            CsvError::NotNumeric {
                line,
                column,
                value,
            } => {
                if value.is_empty() {
                    write!(f, "line {line}, column '{column}': the value is empty")
                } else {
                    write!(
                        f,
                        "line {line}, column '{column}': '{value}' is not a number"
                    )
                }
            }
            CsvError::NotFinite { line, column } => {
                write!(
                    f,
                    "line {line}, column '{column}': NaN or infinite values are not allowed"
                )
            }
            CsvError::OutOfRange { line, column } => write!(
                f,
                "line {line}, column '{column}': the number is beyond the range of a 64-bit float (about ±1.8e308)"
            ),
            CsvError::TooLarge { rows, limit } => write!(
                f,
                "the CSV has more than {limit} rows ({rows}+); the limit is {limit}"
            ),
            CsvError::Parse(m) => write!(f, "CSV syntax error: {m}"),
            CsvError::NoInputs => write!(
                f,
                "a data set needs at least two columns: inputs x and an output y (named 'y', or the last column)"
            ),
            CsvError::Weighted => write!(
                f,
                "a data set to train on cannot have a weight column (compress it in the cloud tab instead)"
            ),
            CsvError::DuplicateColumn {
                name,
                first,
                second,
            } => write!(
                f,
                "columns {first} and {second} are both named '{name}'; rename one of them"
            ),
            CsvError::NotUtf8 { utf16: true, .. } => write!(
                f,
                "the file is UTF-16 text; save it as UTF-8 (CSV UTF-8 in a spreadsheet)"
            ),
            CsvError::NotUtf8 { line, .. } => write!(
                f,
                "the file is not UTF-8 text (an invalid byte on line {line}); save it as UTF-8 (CSV UTF-8 in a spreadsheet)"
            ),
        }
    }
}

impl std::error::Error for CsvError {}

/// The text of a file's bytes: UTF-8, a leading byte-order mark removed; anything else is
/// [`CsvError::NotUtf8`].
pub fn decode_text(bytes: &[u8]) -> Result<&str, CsvError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(CsvError::NotUtf8 {
            line: 1,
            utf16: true,
        });
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(strip_bom(text)),
        Err(e) => Err(CsvError::NotUtf8 {
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            utf16: false,
        }),
    }
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// At most [`EXCERPT_CHARS`] characters of `s` (then `…`), control characters escaped, for an error
/// message.
pub(crate) fn excerpt(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == EXCERPT_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A parsed table: the header, the weight column if any, and the numeric rows (without the weight column).
struct Table {
    headers: Vec<String>,
    weight_col: Option<usize>,
    cloud: Cloud,
}

/// The first two columns named `name` (any case), 1-based, if there are two.
fn duplicate(headers: &[String], name: &'static str) -> Result<Option<usize>, CsvError> {
    let mut at = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.eq_ignore_ascii_case(name))
        .map(|(i, _)| i);
    let first = at.next();
    if let (Some(first), Some(second)) = (first, at.next()) {
        return Err(CsvError::DuplicateColumn {
            name,
            first: first + 1,
            second: second + 1,
        });
    }
    Ok(first)
}

fn parse_table(text: &str, max_rows: usize) -> Result<Table, CsvError> {
    let text = strip_bom(text);
    if text.trim().is_empty() {
        return Err(CsvError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| CsvError::Parse(e.to_string()))?
        .iter()
        .map(|s| s.to_string())
        .collect();
    let weight_col = duplicate(&headers, "weight")?;
    let dim = headers.len() - usize::from(weight_col.is_some());
    if dim == 0 {
        return Err(CsvError::NoCoordinates);
    }
    let mut points = Vec::new();
    let mut weights = Vec::new();
    let mut rows = 0usize;
    for rec in reader.records() {
        let rec = rec.map_err(|e| CsvError::Parse(e.to_string()))?;
        let line = rec
            .position()
            .map(|p| p.line() as usize)
            .unwrap_or(rows + 2);
        if rec.len() == 1 && rec.get(0) == Some("") {
            continue; // blank line
        }
        if rec.len() != headers.len() {
            return Err(CsvError::Ragged {
                line,
                expected: headers.len(),
                found: rec.len(),
            });
        }
        if rows == max_rows {
            return Err(CsvError::TooLarge {
                rows: rows + 1,
                limit: max_rows,
            });
        }
        let mut weight = 1.0;
        for (c, field) in rec.iter().enumerate() {
            let column = || excerpt(&headers[c]);
            let v: f64 = field.parse().map_err(|_| CsvError::NotNumeric {
                line,
                column: column(),
                value: excerpt(field),
            })?;
            if !v.is_finite() {
                // Rust reads `inf`, `infinity` and `nan` in any case and with a sign; any other text that
                // parses to a non-finite value is a decimal number too large for f64.
                let word = field.trim_start_matches(['+', '-']).to_ascii_lowercase();
                return Err(if word.starts_with("inf") || word.starts_with("nan") {
                    CsvError::NotFinite {
                        line,
                        column: column(),
                    }
                } else {
                    CsvError::OutOfRange {
                        line,
                        column: column(),
                    }
                });
            }
            if Some(c) == weight_col {
                weight = v;
            } else {
                points.push(v);
            }
        }
        weights.push(weight);
        rows += 1;
    }
    if rows == 0 {
        return Err(CsvError::NoRows);
    }
    Ok(Table {
        headers,
        weight_col,
        cloud: Cloud {
            dim,
            points,
            weights,
        },
    })
}

/// Parses a point cloud. `max_rows` bounds the number of data rows (a clear error past it).
pub fn parse_cloud(text: &str, max_rows: usize) -> Result<Cloud, CsvError> {
    Ok(parse_table(text, max_rows)?.cloud)
}

/// Parses a regression data set: numeric columns, the output is the column named `y` (any case) or else
/// the last one; every other column is an input. Same checks and messages as [`parse_cloud`]; a weight
/// column or a second `y` column is an error.
pub fn parse_regression(
    text: &str,
    max_rows: usize,
) -> Result<crate::data::tasks::Dataset, CsvError> {
    let Table {
        headers,
        weight_col,
        cloud,
    } = parse_table(text, max_rows)?;
    if weight_col.is_some() {
        return Err(CsvError::Weighted);
    }
    let m = cloud.dim;
    if m < 2 {
        return Err(CsvError::NoInputs);
    }
    let out = duplicate(&headers, "y")?.unwrap_or(m - 1);
    let n = cloud.points.len() / m;
    let mut x = Vec::with_capacity(n * (m - 1));
    let mut y = Vec::with_capacity(n);
    for row in cloud.points.chunks_exact(m) {
        for (c, &v) in row.iter().enumerate() {
            if c == out {
                y.push(v);
            } else {
                x.push(v);
            }
        }
    }
    Ok(crate::data::tasks::Dataset {
        in_dim: m - 1,
        x,
        y,
        names: headers,
        y_column: out,
    })
}

/// `index,weight,x1,...,xm` for the kept points of `cloud`.
pub fn write_kept(cloud: &Cloud, indices: &[usize], weights: &[f64]) -> String {
    let names: Vec<String> = (1..=cloud.dim).map(|a| format!("x{a}")).collect();
    write_weighted(
        &names,
        indices
            .iter()
            .zip(weights)
            .map(|(&i, &w)| (Some(i), w, cloud.point(i).to_vec())),
    )
}

/// A weighted subset as CSV, `index,weight,<names>`: one row per `(index, weight, values)`, `index` the
/// 0-based data row the point came from (left empty for a point that is not a data row, such as a
/// k-means centroid). Numbers are written so that they parse back to the same `f64`; names are quoted
/// when they need it.
pub fn write_weighted(
    names: &[String],
    rows: impl IntoIterator<Item = (Option<usize>, f64, Vec<f64>)>,
) -> String {
    let mut out = String::from("index,weight");
    for name in names {
        out.push(',');
        if name.contains([',', '"', '\n', '\r']) {
            let _ = write!(out, "\"{}\"", name.replace('"', "\"\""));
        } else {
            out.push_str(name);
        }
    }
    out.push('\n');
    for (index, weight, values) in rows {
        if let Some(i) = index {
            let _ = write!(out, "{i}");
        }
        let _ = write!(out, ",{weight:?}");
        for v in values {
            let _ = write!(out, ",{v:?}");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_output_is_y_or_last() {
        let d = parse_regression("a,y,b\n1,2,3\n4,5,6\n", 10).unwrap();
        assert_eq!(
            (d.in_dim, d.x, d.y),
            (2, vec![1.0, 3.0, 4.0, 6.0], vec![2.0, 5.0])
        );
        let d = parse_regression("a,b\n1,2\n4,5\n", 10).unwrap();
        assert_eq!((d.in_dim, d.x, d.y), (1, vec![1.0, 4.0], vec![2.0, 5.0]));
        assert_eq!(parse_regression("y\n1\n2\n", 10), Err(CsvError::NoInputs));
        assert_eq!(
            parse_regression("x,y,weight\n1,2,1\n", 10),
            Err(CsvError::Weighted)
        );
        assert!(matches!(
            parse_regression("x,y\n1,NaN\n", 10),
            Err(CsvError::NotFinite { .. })
        ));
        assert!(matches!(
            parse_regression("x,y\n1,2\n3\n", 10),
            Err(CsvError::Ragged { .. })
        ));
        assert_eq!(parse_regression("", 10), Err(CsvError::Empty));
    }

    #[test]
    fn parses_with_weights() {
        let c = parse_cloud("x,y,Weight\n1,2,0.5\n3,4,2\n", 10).unwrap();
        assert_eq!(c.dim, 2);
        assert_eq!(c.points, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(c.weights, vec![0.5, 2.0]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert_eq!(parse_cloud("", 10), Err(CsvError::Empty));
        assert_eq!(parse_cloud("x,y\n", 10), Err(CsvError::NoRows));
        assert!(matches!(
            parse_cloud("x,y\n1,2\n3\n", 10),
            Err(CsvError::Ragged { line: 3, .. })
        ));
        assert!(matches!(
            parse_cloud("x,y\n1,abc\n", 10),
            Err(CsvError::NotNumeric { line: 2, .. })
        ));
        assert!(matches!(
            parse_cloud("x,y\n1,NaN\n", 10),
            Err(CsvError::NotFinite { .. })
        ));
        assert!(matches!(
            parse_cloud("x\n1\n2\n3\n", 2),
            Err(CsvError::TooLarge { .. })
        ));
        assert_eq!(parse_cloud("weight\n1\n", 10), Err(CsvError::NoCoordinates));
    }

    /// A second `weight` column (or, for training data, a second `y`) is ambiguous: an error, not a
    /// coordinate or an input.
    #[test]
    fn duplicate_weight_or_output_columns_are_errors() {
        let dup = CsvError::DuplicateColumn {
            name: "weight",
            first: 2,
            second: 4,
        };
        assert_eq!(parse_cloud("x,weight,y,WEIGHT\n1,1,2,1\n", 10), Err(dup));
        assert_eq!(
            parse_regression("y,a,Y\n1,2,3\n", 10),
            Err(CsvError::DuplicateColumn {
                name: "y",
                first: 1,
                second: 3
            })
        );
        let msg = parse_cloud("weight,x,weight\n1,2,3\n", 10)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("columns 1 and 3 are both named 'weight'"),
            "{msg}"
        );
    }

    /// A UTF-8 byte-order mark is not part of the first column's name, and a file of only a BOM is empty.
    #[test]
    fn byte_order_mark_is_ignored() {
        assert_eq!(parse_cloud("\u{feff}", 10), Err(CsvError::Empty));
        assert_eq!(parse_cloud("\u{feff}\r\n", 10), Err(CsvError::Empty));
        assert_eq!(parse_cloud("\u{feff}x,y\n", 10), Err(CsvError::NoRows));
        let c = parse_cloud("\u{feff}weight,x\n2,5\n", 10).unwrap();
        assert_eq!((c.dim, c.points, c.weights), (1, vec![5.0], vec![2.0]));
        let d = parse_regression("\u{feff}y,x\n1,2\n3,4\n", 10).unwrap();
        assert_eq!((d.y_column, d.names[0].as_str()), (0, "y"));
        assert_eq!(decode_text(b"\xEF\xBB\xBFx\n1\n"), Ok("x\n1\n"));
    }

    #[test]
    fn line_ends_and_quoting() {
        let lf = parse_cloud("x,y\n1,2\n3,4\n", 10).unwrap();
        assert_eq!(parse_cloud("x,y\r\n1,2\r\n3,4\r\n", 10).unwrap(), lf);
        assert_eq!(parse_cloud("x,y\r1,2\r3,4", 10).unwrap(), lf);
        assert_eq!(parse_cloud("x,y\n\n1,2\r\n\r\n3,4\n\n", 10).unwrap(), lf);
        // Commas and line breaks inside quoted names and values.
        let text = "\"price, $\",\"age\nin years\"\r\n\" 1 \",\"2\"\r\n3,\"4\"\n";
        let d = parse_regression(text, 10).unwrap();
        assert_eq!(
            d.names,
            vec!["price, $".to_string(), "age\nin years".into()]
        );
        assert_eq!((d.x, d.y), (vec![1.0, 3.0], vec![2.0, 4.0]));
        // Line numbers count the lines of the file, not the records.
        let err = parse_cloud("\"a\nb\",c\n1,2\n3,x\n", 10).unwrap_err();
        assert!(
            matches!(err, CsvError::NotNumeric { line: 4, .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.starts_with("line 4, column 'c': 'x'"), "{msg}");
        // A control character in a column name is escaped in the message.
        let err = parse_cloud("\"a\nb\",c\nq,2\n", 10)
            .unwrap_err()
            .to_string();
        assert!(err.contains("column 'a\\nb'"), "{err}");
    }

    #[test]
    fn infinities_and_nans_in_any_spelling_are_errors() {
        for word in [
            "inf",
            "-inf",
            "+Inf",
            "INF",
            "Infinity",
            "-infinity",
            "iNfInItY",
            "NaN",
            "nan",
            "-NaN",
            "+nan",
            "NAN",
            " inf ",
        ] {
            let err = parse_cloud(&format!("x,y\n1,2\n3,{word}\n"), 10).unwrap_err();
            assert_eq!(
                err,
                CsvError::NotFinite {
                    line: 3,
                    column: "y".into()
                },
                "{word}"
            );
        }
        for big in ["1e400", "-1e999", "1e309", "2e308"] {
            let err = parse_cloud(&format!("x\n{big}\n"), 10).unwrap_err();
            assert_eq!(
                err,
                CsvError::OutOfRange {
                    line: 2,
                    column: "x".into()
                },
                "{big}"
            );
            assert!(err.to_string().contains("range of a 64-bit float"));
        }
        for other in ["1.#INF", "#NUM!", "N/A", "∞", "0x10", "1,5e3"] {
            assert!(
                parse_cloud(&format!("x\n\"{other}\"\n"), 10).is_err(),
                "{other}"
            );
        }
    }

    #[test]
    fn huge_and_tiny_finite_values_are_read_exactly() {
        let c = parse_cloud(
            "x,y\n1e300,-1.7976931348623157e308\n4.9e-324,-2.2250738585072014e-308\n",
            10,
        )
        .unwrap();
        assert_eq!(
            c.points,
            vec![1e300, -f64::MAX, 4.9e-324, -f64::MIN_POSITIVE]
        );
    }

    /// Non-UTF-8 bytes are a clear error naming the line; UTF-16 is recognised by its byte-order mark.
    #[test]
    fn non_utf8_bytes_are_a_clear_error() {
        let err = decode_text(b"x,y\n1,2\n3,\xFF\n").unwrap_err();
        assert_eq!(
            err,
            CsvError::NotUtf8 {
                line: 3,
                utf16: false
            }
        );
        assert!(
            err.to_string()
                .contains("not UTF-8 text (an invalid byte on line 3)")
        );
        // Latin-1 "é" in a header.
        assert_eq!(
            decode_text(b"caf\xE9,y\n1,2\n"),
            Err(CsvError::NotUtf8 {
                line: 1,
                utf16: false
            })
        );
        let utf16 = decode_text(b"\xFF\xFEx\x00\n\x00").unwrap_err();
        assert!(utf16.to_string().contains("UTF-16"), "{utf16}");
        assert_eq!(decode_text("x,é\n1,2\n".as_bytes()), Ok("x,é\n1,2\n"));
    }

    /// Messages quote at most a short excerpt of a cell or a name: a long cell is cut, never echoed.
    #[test]
    fn messages_quote_short_excerpts() {
        let long = "z".repeat(5000);
        let msg = parse_cloud(&format!("x\n{long}\n"), 10)
            .unwrap_err()
            .to_string();
        assert!(msg.len() < 120, "{msg}");
        assert!(
            msg.contains(&format!("'{}…'", "z".repeat(EXCERPT_CHARS))),
            "{msg}"
        );
        let msg = parse_cloud(&format!("{long}\nq\n"), 10)
            .unwrap_err()
            .to_string();
        assert!(msg.len() < 120, "{msg}");
        let msg = parse_cloud("x,y\n1,\n", 10).unwrap_err().to_string();
        assert_eq!(msg, "line 2, column 'y': the value is empty");
    }

    #[test]
    fn output_round_trips_exactly() {
        let cloud = Cloud::new(2, vec![0.1, 1.0 / 3.0, -2.5e-300, 7.0]);
        let text = write_kept(&cloud, &[1], &[2.0 / 3.0]);
        let back = parse_cloud(&text, 10).unwrap();
        assert_eq!(back.points, vec![1.0, -2.5e-300, 7.0]);
        assert_eq!(back.points[0], 1.0);
        assert_eq!(back.points[1], -2.5e-300);
    }
}
