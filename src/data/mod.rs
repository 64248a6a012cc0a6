//! Data: point clouds, CSV parsing, and the paper's symmetric test functions. Pure: text in, numbers out.

pub mod csv;
pub mod icl;
pub mod symmetric;
pub mod tasks;
