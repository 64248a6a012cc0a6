//! Reading and writing point clouds as CSV text (no I/O here: callers pass strings).
//!
//! Input: a header row, then one point per row; every column numeric; an optional column named `weight`
//! (any case) gives input weights. Output of a compression: `index,weight,x1,...,xm` where `index` is the
//! 0-based data row of the input and the coordinates are the input's values, printed so they parse back to
//! the same `f64` (shortest round-trip form).

use std::fmt::{self, Write};

use crate::compress::Cloud;

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
    NotNumeric {
        line: usize,
        column: String,
        value: String,
    },
    NotFinite {
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
                write!(
                    f,
                    "line {line}, column '{column}': '{value}' is not a number"
                )
            }
            CsvError::NotFinite { line, column } => {
                write!(
                    f,
                    "line {line}, column '{column}': NaN or infinite values are not allowed"
                )
            }
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
        }
    }
}

impl std::error::Error for CsvError {}

/// Parses a point cloud. `max_rows` bounds the number of data rows (a clear error past it).
pub fn parse_cloud(text: &str, max_rows: usize) -> Result<Cloud, CsvError> {
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
    let weight_col = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case("weight"));
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
            let v: f64 = field.parse().map_err(|_| CsvError::NotNumeric {
                line,
                column: headers[c].clone(),
                value: field.chars().take(40).collect(),
            })?;
            if !v.is_finite() {
                return Err(CsvError::NotFinite {
                    line,
                    column: headers[c].clone(),
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
    Ok(Cloud {
        dim,
        points,
        weights,
    })
}

/// Parses a regression data set: numeric columns, the output is the column named `y` (any case) or else
/// the last one; every other column is an input. Same checks and messages as [`parse_cloud`].
pub fn parse_regression(
    text: &str,
    max_rows: usize,
) -> Result<crate::data::tasks::Dataset, CsvError> {
    let cloud = parse_cloud(text, max_rows)?;
    let headers: Vec<String> = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
        .headers()
        .map_err(|e| CsvError::Parse(e.to_string()))?
        .iter()
        .map(|h| h.to_string())
        .collect();
    if headers.iter().any(|h| h.eq_ignore_ascii_case("weight")) {
        return Err(CsvError::Weighted);
    }
    let m = cloud.dim;
    if m < 2 {
        return Err(CsvError::NoInputs);
    }
    let out = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case("y"))
        .unwrap_or(m - 1);
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
