//! Scenario errors that point at the file, line and key, and say what would be valid.

use std::fmt;

/// A scenario that cannot be run. Every variant stops the run before anything is written.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read: nothing was simulated. (The OS error is in the message, not
    /// a `source`, so that an error chain does not print it twice.)
    #[error("{file}: cannot read: {error}")]
    Io {
        /// The scenario file.
        file: String,
        /// The operating-system error.
        error: std::io::Error,
    },
    /// The file is larger than any scenario can be: nothing was read further.
    #[error("{file}: larger than {max} bytes, the limit for a scenario file")]
    TooLarge {
        /// The scenario file.
        file: String,
        /// The size limit [bytes].
        max: u64,
    },
    /// The file is not valid TOML or has an unknown key or a wrong type.
    #[error("{0}")]
    Syntax(Located),
    /// The values parse but make no sense (a negative rate, an impossible topology, ...).
    #[error("{0}")]
    Invalid(Located),
    /// A `--set path=value` override is malformed or names no key.
    #[error("--set {assignment}: {message}")]
    Override {
        /// The `path=value` as given.
        assignment: String,
        /// What is wrong with it.
        message: String,
    },
    /// A value given by a named command-line flag (`--horizon 30m`) is invalid.
    #[error("{flag}: {message}")]
    Flag {
        /// The flag and its value as given.
        flag: String,
        /// What is wrong and what is valid.
        message: String,
    },
    /// Several independent refusals of one file (each a `Syntax`, `Invalid` or `Override`),
    /// in the order the file's sections are checked.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Several(Vec<ScenarioError>),
}

/// A message tied to a place in a scenario file.
#[derive(Debug, Clone)]
pub struct Located {
    /// The scenario file.
    pub file: String,
    /// 1-based line and column; 0 when the key is not in the file (a default was invalid).
    pub line: usize,
    pub(crate) column: usize,
    /// Dotted key path, e.g. `web.count` or `fault[2].target`.
    pub key: String,
    /// What is wrong and what would be valid.
    pub message: String,
    /// The offending source line, for a caret display.
    pub(crate) snippet: Option<String>,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        } else {
            write!(f, "{}: ", self.file)?;
        }
        if !self.key.is_empty() {
            write!(f, "key `{}`: ", self.key)?;
        }
        write!(f, "{}", self.message)?;
        if let Some(s) = &self.snippet {
            let caret_pad = " ".repeat(self.column.saturating_sub(1));
            write!(f, "\n   |\n{:>3}| {}\n   | {}^", self.line, s, caret_pad)?;
        }
        Ok(())
    }
}

impl ScenarioError {
    /// The located detail, if the error has a place in a file.
    pub fn located(&self) -> Option<&Located> {
        match self {
            ScenarioError::Syntax(l) | ScenarioError::Invalid(l) => Some(l),
            ScenarioError::Several(all) => all.first().and_then(ScenarioError::located),
            _ => None,
        }
    }

    /// Every refusal: the one, or each of `Several`.
    pub fn all(&self) -> Vec<&ScenarioError> {
        match self {
            ScenarioError::Several(all) => all.iter().collect(),
            one => vec![one],
        }
    }

    /// One error from `errors` (at least one): itself when alone, else `Several`.
    pub(crate) fn from_all(mut errors: Vec<ScenarioError>) -> ScenarioError {
        if errors.len() == 1 {
            errors.swap_remove(0)
        } else {
            ScenarioError::Several(errors)
        }
    }

    /// `f` applied to each refusal.
    pub fn map_each(self, mut f: impl FnMut(ScenarioError) -> ScenarioError) -> ScenarioError {
        match self {
            ScenarioError::Several(all) => ScenarioError::from_all(all.into_iter().map(f).collect()),
            one => f(one),
        }
    }
}

/// 1-based (line, column) of a byte offset, and the text of that line.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize, String) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    let line_text = text[line_start..].lines().next().unwrap_or("").to_string();
    (line, column, line_text)
}
