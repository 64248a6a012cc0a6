//! A run that is a list of independent tasks done in order, each leaving one record: a Fig. 2
//! compression, a Fig. 8 trial, a scaling size × seed, a timed compression. [`Trials`] owns the task list
//! and the records so far (the next task is the first without a record) and answers the protocol's
//! questions about them alike for every such experiment: progress, done, the status count, the parts the
//! CLI runs on threads and installing their records.
//!
//! Cost: bookkeeping only, O(1) per record (the JSON of the records is O(records)).

use serde::Serialize;
use serde_json::Value;

use super::error::ExperimentError;
use super::protocol::{Payload, costliest_first, to_json};

#[derive(Clone, Debug)]
pub struct Trials<T, R> {
    tasks: Vec<T>,
    records: Vec<R>,
}

impl<T: Copy, R> Trials<T, R> {
    pub fn new(tasks: Vec<T>) -> Self {
        Trials {
            tasks,
            records: Vec::new(),
        }
    }

    /// The task whose record comes next, or None when every task has one.
    pub fn next(&self) -> Option<T> {
        self.tasks.get(self.records.len()).copied()
    }

    /// Records the next task's result.
    pub fn record(&mut self, record: R) {
        debug_assert!(self.records.len() < self.tasks.len());
        self.records.push(record);
    }

    pub fn tasks(&self) -> &[T] {
        &self.tasks
    }

    pub fn records(&self) -> &[R] {
        &self.records
    }

    /// The fraction of tasks with a record.
    pub fn progress(&self) -> f64 {
        self.records.len() as f64 / self.tasks.len().max(1) as f64
    }

    pub fn is_done(&self) -> bool {
        self.records.len() >= self.tasks.len()
    }

    /// "3 of 12 NOUN", followed by `last` of the newest record when there is one.
    pub fn status(&self, noun: &str, last: impl FnOnce(&R) -> String) -> String {
        let last = self.records.last().map(last).unwrap_or_default();
        format!(
            "{} of {} {noun}{last}",
            self.records.len(),
            self.tasks.len()
        )
    }

    /// Task `index` (a part, for the CLI's threads), or OutOfRange naming it `what`.
    pub fn task(&self, what: &'static str, index: usize) -> Result<T, ExperimentError> {
        self.tasks
            .get(index)
            .copied()
            .ok_or(ExperimentError::OutOfRange {
                what,
                index,
                len: self.tasks.len(),
            })
    }

    /// The order in which to start the parts on several threads: the largest `cost` first.
    pub fn costliest_first(&self, cost: impl Fn(&T) -> (u64, u64)) -> Vec<usize> {
        costliest_first(|i| cost(&self.tasks[i]), self.tasks.len())
    }

    /// Every task's record at once, in task order (the parts run on threads): the run is then done.
    pub fn finish_with(&mut self, records: Vec<R>) -> Result<(), ExperimentError> {
        if records.len() != self.tasks.len() {
            return Err(ExperimentError::OutOfRange {
                what: "records for the tasks",
                index: records.len(),
                len: self.tasks.len(),
            });
        }
        self.records = records;
        Ok(())
    }

    /// The page's `info`: how many tasks there are.
    pub fn info(&self) -> Result<Vec<(&'static str, Payload)>, ExperimentError> {
        Ok(vec![("total", Payload::json(&self.tasks.len())?)])
    }
}

impl<T, R: Serialize> Trials<T, R> {
    /// The records as a result document's extra `name`.
    pub fn extras(
        &self,
        name: &'static str,
    ) -> Result<Vec<(&'static str, Value)>, ExperimentError> {
        Ok(vec![(name, to_json(&self.records)?)])
    }
}
