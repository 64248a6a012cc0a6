//! Files: the output, checked before any work, and the text files a command reads.

use crate::Failure;

/// Reads a text file: UTF-8 (a byte-order mark is dropped), anything else a clear error.
pub fn read_text(path: &str) -> Result<String, Failure> {
    let bytes =
        std::fs::read(path).map_err(|e| Failure::Run(format!("cannot read {path}: {e}")))?;
    moment_lab::data::csv::decode_text(&bytes)
        .map(str::to_string)
        .map_err(|e| Failure::Run(format!("{path}: {e}")))
}

/// A command's output file, checked before any work: its directory is created and the file opened for
/// writing, so that a bad path fails at once rather than after a long run. A file created by this check
/// is removed again if the command ends without writing it. No path: stdout.
pub struct Output {
    path: Option<String>,
    created: bool,
    written: bool,
}

impl Output {
    pub fn prepare(path: Option<String>) -> Result<Output, Failure> {
        let Some(p) = path else {
            return Ok(Output {
                path: None,
                created: false,
                written: false,
            });
        };
        let file = std::path::Path::new(&p);
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::Run(format!("cannot create {}: {e}", dir.display())))?;
        }
        let existed = file.exists();
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(file)
            .map_err(|e| Failure::Run(format!("cannot write {p}: {e}")))?;
        Ok(Output {
            path: Some(p),
            created: !existed,
            written: false,
        })
    }

    pub fn write(mut self, text: &str) -> Result<(), Failure> {
        match &self.path {
            Some(p) => std::fs::write(p, text)
                .map_err(|e| Failure::Run(format!("cannot write {p}: {e}")))?,
            None => print!("{text}"),
        }
        self.written = true;
        Ok(())
    }

    /// `value` as pretty JSON and a line end.
    pub fn write_json(self, value: &impl serde::Serialize) -> Result<(), Failure> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Failure::Run(format!("could not serialise the result: {e}")))?;
        self.write(&format!("{text}\n"))
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let (Some(p), true, false) = (&self.path, self.created, self.written) {
            let _ = std::fs::remove_file(p);
        }
    }
}
