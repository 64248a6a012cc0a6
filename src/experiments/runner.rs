//! [`AnyExperiment`]: any [`Experiment`] behind one object-safe interface, with JSON in and
//! [`Payload`]s out. The CLI's loop and the wasm handle drive nothing else; the registry
//! ([`super::registry`]) makes one from a kind and a configuration.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

use serde_json::{Map, Value};

use super::ExperimentError;
use super::document::{Provenance, ResultDocument};
use super::params::Valid;
use super::protocol::{Experiment, Host, Payload, to_json};
use crate::parallel::Workers;

/// A running experiment of any kind.
pub trait AnyExperiment {
    /// [`Experiment::KIND`].
    fn kind(&self) -> &'static str;
    /// See [`Experiment::step`].
    fn step(&mut self, budget: usize) -> Result<(), ExperimentError>;
    fn progress(&self) -> f64;
    fn is_done(&self) -> bool;
    fn status(&self) -> String;
    /// The run's configuration as JSON.
    fn config(&self) -> Result<Value, ExperimentError>;
    fn summary(&self) -> Result<Value, ExperimentError>;
    /// What the page gets when the run starts: `{config, items, …}` (the items so far, and what
    /// [`Experiment::info`] adds). Resets what [`AnyExperiment::news`] counts as new.
    fn info(&mut self) -> Result<Payload, ExperimentError>;
    /// What is new since the last `info` or `news`: `{items, …}` (the new items, and what
    /// [`Experiment::live`] adds).
    fn news(&mut self) -> Result<Payload, ExperimentError>;
    /// What the page gets when the run is done: `{summary, extra}` (`extra`: [`Experiment::outputs`]).
    fn finish(&self) -> Result<Payload, ExperimentError>;
    /// The result document, without the CLI's timing.
    fn document(&self) -> Result<ResultDocument, ExperimentError>;
    /// See [`Experiment::query`].
    fn query(&mut self, what: &str, args: &Value) -> Result<Payload, ExperimentError>;
    /// See [`Experiment::parts`].
    fn parts(&self) -> usize;
    /// Runs every part on up to `threads` threads (0: one per core), the costliest first, calling
    /// `on_part(finished, item)` as each ends, and installs them: the run is then done, bit for bit as if
    /// stepped. The first error stops the others from starting. Returns the threads used.
    fn run_parts(
        &mut self,
        threads: usize,
        on_part: &(dyn Fn(usize, &Value) + Sync),
    ) -> Result<usize, ExperimentError>;
    /// See [`Experiment::lanes`].
    fn lanes(&self) -> usize;
    /// Trains the run's lanes on up to `threads` threads (0: one per core; never more than lanes),
    /// calling `on_lane(finished)` as each ends: the run is then done, bit for bit as if stepped.
    /// Returns the threads used.
    fn run_lanes(
        &mut self,
        threads: usize,
        on_lane: &(dyn Fn(usize) + Sync),
    ) -> Result<usize, ExperimentError>;
    /// See [`Experiment::threads`].
    fn threads(&self) -> usize;
}

/// An [`Experiment`] with the counts of what the page has been sent.
pub(crate) struct Runner<E> {
    run: E,
    items_sent: usize,
    live_cursor: usize,
}

impl<E: Experiment + Sync> Runner<E> {
    pub(crate) fn build(config: Valid<E::Config>, host: &Host) -> Result<Self, ExperimentError> {
        Ok(Self::wrap(E::build(config, host)?))
    }

    pub(crate) fn wrap(run: E) -> Self {
        Runner {
            run,
            items_sent: 0,
            live_cursor: 0,
        }
    }
}

fn object(fields: Vec<(&'static str, Payload)>) -> Payload {
    Payload::Object(fields)
}

impl<E: Experiment + Sync> AnyExperiment for Runner<E> {
    fn kind(&self) -> &'static str {
        E::KIND
    }
    fn step(&mut self, budget: usize) -> Result<(), ExperimentError> {
        self.run.step(budget)
    }
    fn progress(&self) -> f64 {
        self.run.progress()
    }
    fn is_done(&self) -> bool {
        self.run.is_done()
    }
    fn status(&self) -> String {
        self.run.status()
    }
    fn config(&self) -> Result<Value, ExperimentError> {
        to_json(self.run.config())
    }
    fn summary(&self) -> Result<Value, ExperimentError> {
        to_json(&self.run.summary())
    }

    fn info(&mut self) -> Result<Payload, ExperimentError> {
        let items = self.run.items();
        self.items_sent = items.len();
        self.live_cursor = 0;
        let mut fields = vec![
            ("config", Payload::json(self.run.config())?),
            ("items", Payload::json(items)?),
        ];
        fields.extend(self.run.info()?);
        fields.extend(self.run.live(&mut self.live_cursor)?);
        Ok(object(fields))
    }

    fn news(&mut self) -> Result<Payload, ExperimentError> {
        let items = self.run.items();
        let new = items.get(self.items_sent..).unwrap_or_default();
        let mut fields = vec![("items", Payload::json(new)?)];
        self.items_sent = items.len();
        fields.extend(self.run.live(&mut self.live_cursor)?);
        Ok(object(fields))
    }

    fn finish(&self) -> Result<Payload, ExperimentError> {
        let outputs = self.run.outputs()?;
        Ok(object(vec![
            ("summary", Payload::json(&self.run.summary())?),
            (
                "extra",
                if outputs.is_empty() {
                    Payload::Json(Value::Null)
                } else {
                    object(outputs)
                },
            ),
        ]))
    }

    fn document(&self) -> Result<ResultDocument, ExperimentError> {
        let config = to_json(self.run.config())?;
        let mut extras = Map::new();
        for (key, value) in self.run.extras()? {
            extras.insert(key.to_string(), value);
        }
        Ok(ResultDocument {
            experiment: E::KIND.to_string(),
            provenance: Provenance::of(&config, self.run.seed()),
            config,
            summary: to_json(&self.run.summary())?,
            curves: self.run.curves()?,
            extras,
            threads: None,
            seconds: None,
        })
    }

    fn query(&mut self, what: &str, args: &Value) -> Result<Payload, ExperimentError> {
        self.run.query(what, args)
    }

    fn parts(&self) -> usize {
        self.run.parts()
    }

    fn run_parts(
        &mut self,
        threads: usize,
        on_part: &(dyn Fn(usize, &Value) + Sync),
    ) -> Result<usize, ExperimentError> {
        let order = self.run.part_order();
        let n = order.len();
        let threads = Workers::new(threads).threads().clamp(1, n.max(1));
        let (finished, failed) = (AtomicUsize::new(0), AtomicBool::new(false));
        let run = &self.run;
        // After a failure the remaining parts are skipped (None).
        let results = Workers::new(threads).queue(&order, n, |i| {
            if failed.load(Relaxed) {
                return None;
            }
            let part = run.run_part(i);
            match &part {
                Ok(item) => {
                    let count = finished.fetch_add(1, Relaxed) + 1;
                    if let Ok(json) = to_json(item) {
                        on_part(count, &json);
                    }
                }
                Err(_) => failed.store(true, Relaxed),
            }
            Some(part)
        });
        // The error of the part that comes first in part order, whichever thread saw it; else every item.
        let mut items = Vec::with_capacity(n);
        let mut missing = None;
        for (i, part) in results.into_iter().map(Option::flatten).enumerate() {
            match part {
                Some(Ok(item)) => items.push(item),
                Some(Err(e)) => return Err(e),
                None => {
                    missing.get_or_insert(i);
                }
            }
        }
        if let Some(index) = missing {
            return Err(ExperimentError::OutOfRange {
                what: "finished part",
                index,
                len: n,
            });
        }
        self.run.finish_with(items)?;
        Ok(threads)
    }

    fn lanes(&self) -> usize {
        self.run.lanes()
    }

    fn run_lanes(
        &mut self,
        threads: usize,
        on_lane: &(dyn Fn(usize) + Sync),
    ) -> Result<usize, ExperimentError> {
        let lanes = self.run.lanes().max(1);
        let threads = Workers::new(threads).threads().clamp(1, lanes);
        self.run.run_lanes(&Workers::new(threads), on_lane)?;
        Ok(threads)
    }

    fn threads(&self) -> usize {
        self.run.threads()
    }
}
