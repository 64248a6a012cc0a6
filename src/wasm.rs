//! The browser binding: the only file that names `wasm_bindgen` / `js_sys`. One handle, [`Run`], drives
//! any experiment of the registry by kind and configuration JSON; what it hands back is built in Rust
//! ([`Payload`]): plain objects, with large numeric arrays (a cloud's points, function maps) as typed
//! arrays, never through JSON. Errors are JS `Error`s with the library's message.

use js_sys::{Array, Float32Array, Float64Array, Object, Reflect, Uint32Array};
use wasm_bindgen::prelude::*;

use crate::compress;
use crate::experiments::registry;
use crate::experiments::{AnyExperiment, Experiment, ExperimentError, Host, Params, Payload};

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The message of the last panic, recorded by the hook of [`install_panic_hook`].
static LAST_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Runs when the module is instantiated: installs the panic hook.
#[wasm_bindgen(start)]
pub fn start() {
    install_panic_hook();
}

/// Makes a panic explain itself: its message and location (`panicked at src/…:line:col: message`) go to
/// the console (`console.error`) and are kept for [`last_panic_message`], before the panic aborts and the
/// module traps (`RuntimeError: unreachable`). Chains to the hook installed before it; [`start`] calls it
/// once when the module is instantiated (a test harness that installs its own hook afterwards may call it
/// again).
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.to_string().replace('\n', " ");
        web_sys::console::error_1(&JsValue::from_str(&message));
        if let Ok(mut last) = LAST_PANIC.try_lock() {
            *last = Some(message);
        }
        previous(info);
    }));
}

/// The message of the last panic (`panicked at src/…:line:col: message`), if there was one. After a trap
/// the module's memory is intact, so the worker may call this once to say why before it is restarted.
#[wasm_bindgen]
pub fn last_panic_message() -> Option<String> {
    LAST_PANIC.try_lock().ok().and_then(|last| last.clone())
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Whether this module was compiled with WebAssembly SIMD.
#[wasm_bindgen]
pub fn simd_enabled() -> bool {
    cfg!(target_feature = "simd128")
}

/// `N(m,k) = C(m+k,k)`, for the page's hint: the same function and order limit as every config. Constant
/// time (see [`compress::n_moments`]).
#[wasm_bindgen]
pub fn n_moments(m: usize, k: usize) -> Result<f64, JsError> {
    if m == 0 {
        return Err(JsError::new("m must be at least 1"));
    }
    compress::check_order(k).map_err(js_err)?;
    compress::n_moments(m, k)
        .map(|n| n as f64)
        .ok_or_else(|| JsError::new("N(m,k) overflows"))
}

/// Every experiment's presets, `{kind: {name: config}}`, for the page's forms: the Rust presets are the
/// only source of these numbers.
#[wasm_bindgen]
pub fn presets() -> Result<JsValue, JsError> {
    to_js(Payload::Json(registry::presets_json().map_err(js_err)?))
}

/// A fresh random seed from the browser's entropy source (for the "new seed" button).
#[wasm_bindgen]
pub fn random_seed() -> Result<f64, JsError> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(js_err)?;
    // Seeds stay below 2^53 so they survive the round trip through a JS number and a URL.
    Ok((u64::from_le_bytes(b) >> 11) as f64)
}

/// A payload as a JS value: objects and arrays, typed arrays for numbers, the rest through `JSON.parse`.
fn to_js(payload: Payload) -> Result<JsValue, JsError> {
    Ok(match payload {
        Payload::Json(v) => {
            let text = serde_json::to_string(&v)
                .map_err(|e| JsError::new(&format!("could not serialise the result: {e}")))?;
            js_sys::JSON::parse(&text)
                .map_err(|_| JsError::new("could not read the result back"))?
        }
        Payload::F64(v) => Float64Array::from(&v[..]).into(),
        Payload::F32(v) => Float32Array::from(&v[..]).into(),
        Payload::U32(v) => Uint32Array::from(&v[..]).into(),
        Payload::List(items) => {
            let array = Array::new();
            for item in items {
                array.push(&to_js(item)?);
            }
            array.into()
        }
        Payload::Object(fields) => {
            let object = Object::new();
            for (key, value) in fields {
                Reflect::set(&object, &JsValue::from_str(key), &to_js(value)?)
                    .map_err(|_| JsError::new("could not build the result"))?;
            }
            object.into()
        }
    })
}

/// Any experiment, stepped from a worker: `new Run(kind, configJson)` (or `Run.from_csv(kind, csv,
/// configJson)`), then `info()` once, `step(budget)` until `done()`, `finish()`; `query(what, argsJson)` at
/// any time. A configuration is a preset's name in quotes (`"quick"`) or an object whose fields replace
/// the default preset's.
#[wasm_bindgen]
pub struct Run {
    inner: Box<dyn AnyExperiment>,
}

#[wasm_bindgen]
impl Run {
    #[wasm_bindgen(constructor)]
    pub fn new(kind: &str, config_json: &str) -> Result<Run, JsError> {
        Self::build(kind, config_json, None)
    }

    /// The run on the user's CSV text (the experiments that take their own data: `cloud`, `dataset`).
    pub fn from_csv(kind: &str, csv_text: &str, config_json: &str) -> Result<Run, JsError> {
        Self::build(kind, config_json, Some(csv_text))
    }

    fn build(kind: &str, config_json: &str, csv: Option<&str>) -> Result<Run, JsError> {
        let inner = registry::build(kind, config_json, csv, &Host::PAGE).map_err(js_err)?;
        Ok(Run { inner })
    }

    /// `{config, items, …}`: the configuration as run, the items so far and what the experiment adds
    /// (a cloud's points, the first function maps, …).
    pub fn info(&mut self) -> Result<JsValue, JsError> {
        to_js(self.inner.info().map_err(js_err)?)
    }

    /// Does at most about `budget` units of work; returns `{items, …}`, what is new since the last call.
    pub fn step(&mut self, budget: u32) -> Result<JsValue, JsError> {
        self.inner.step(budget.max(1) as usize).map_err(js_err)?;
        to_js(self.inner.news().map_err(js_err)?)
    }

    /// The fraction done, in `[0, 1]`.
    pub fn progress(&self) -> f64 {
        self.inner.progress()
    }

    pub fn done(&self) -> bool {
        self.inner.is_done()
    }

    /// `{summary, extra}`.
    pub fn finish(&self) -> Result<JsValue, JsError> {
        to_js(self.inner.finish().map_err(js_err)?)
    }

    /// The result document (configuration, provenance, summary, curves and the experiment's records).
    pub fn document(&self) -> Result<JsValue, JsError> {
        let document = self.inner.document().map_err(js_err)?;
        to_js(Payload::json(&document).map_err(js_err)?)
    }

    /// One of the experiment's queries (`heatmaps`, `landscape`, `sets`, `setcsv`, …).
    pub fn query(&mut self, what: &str, args_json: &str) -> Result<JsValue, JsError> {
        let args: serde_json::Value = serde_json::from_str(args_json)
            .map_err(|e| JsError::new(&format!("invalid query arguments: {e}")))?;
        to_js(self.inner.query(what, &args).map_err(js_err)?)
    }
}

/// A prepared compressor benchmark case; the page times `run()` with `performance.now()`.
#[wasm_bindgen]
pub struct BenchCase {
    inner: crate::experiments::bench::PreparedCase,
}

#[wasm_bindgen]
impl BenchCase {
    /// `{dim, order, d, target, strategy?, seed?}`; builds the cloud (not part of the timing).
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<BenchCase, JsError> {
        let case: crate::experiments::bench::BenchCase = serde_json::from_str(config_json)
            .map_err(|e| JsError::new(&format!("invalid configuration: {e}")))?;
        Ok(BenchCase {
            inner: case.prepare().map_err(js_err)?,
        })
    }

    /// Compresses once; returns `{kept, residual, fig2_error, factorisations}` as JSON (the bench pages
    /// parse it after the timing).
    pub fn run(&self) -> Result<String, JsError> {
        let out = self.inner.run().map_err(js_err)?;
        json_string(&out)
    }
}

/// The nn-kernel benchmark (2→1024→1 ReLU, f32, batch 128 by default); the page times the step calls.
#[wasm_bindgen]
pub struct NnBench {
    inner: crate::experiments::bench::NnBench,
}

#[wasm_bindgen]
impl NnBench {
    /// `{input_dim?, width?, batch?, samples?, optimizer?, lr?, seed?}` (defaults: 2, 1024, 128, 4096, adam,
    /// 1e-3, 1).
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<NnBench, JsError> {
        let config = serde_json::from_str(config_json)
            .map_err(|e| JsError::new(&format!("invalid configuration: {e}")))?;
        Ok(NnBench {
            inner: crate::experiments::bench::NnBench::new(config).map_err(js_err)?,
        })
    }

    /// Flops counted per forward + backward pass: `6 · width · (input_dim + 1) · batch`.
    pub fn flops_per_grad_step(&self) -> f64 {
        self.inner.flops_per_grad_step()
    }

    /// `n` forward + backward passes; returns the last batch loss.
    pub fn grad_steps(&mut self, n: u32) -> Result<f32, JsError> {
        self.inner.grad_steps(n as usize).map_err(js_err)
    }

    /// `n` training steps (forward + backward + optimiser); returns the last batch loss.
    pub fn train_steps(&mut self, n: u32) -> Result<f32, JsError> {
        self.inner.train_steps(n as usize).map_err(js_err)
    }

    /// Inputs, row-major `samples × input_dim` (for a reference implementation on the same data).
    pub fn data_x(&self) -> Float32Array {
        Float32Array::from(self.inner.data().0)
    }

    pub fn data_y(&self) -> Float32Array {
        Float32Array::from(self.inner.data().1)
    }

    /// The batches used in turn, concatenated (`32 × batch` indices).
    pub fn batch_indices(&self) -> Uint32Array {
        let flat: Vec<u32> = self
            .inner
            .batches()
            .iter()
            .flatten()
            .map(|&i| i as u32)
            .collect();
        Uint32Array::from(&flat[..])
    }
}

// ---------------------------------------------------------------------------------------------------
// Typed handles for Rust code in the browser (the browser tests): one experiment of a known kind, built
// from configuration JSON exactly as [`Run`] builds it, with its numbers as Rust types. Not exported to
// JavaScript: the page drives [`Run`].

/// An experiment of a known kind.
pub struct Typed<E>(E);

/// "Compress a cloud".
pub type CloudRun = Typed<crate::experiments::cloud::CloudRun>;
/// Fig. 4, the dynamical lottery ticket.
pub type LthRun = Typed<crate::experiments::lth::LthRun>;
/// Fig. 3, dataset compression.
pub type DatasetRun = Typed<crate::experiments::dataset::DatasetRun>;
/// Fig. 7, the dynamical lottery ticket in attention.
pub type AttentionRun = Typed<crate::experiments::attention::AttentionRun>;

fn json_string(value: &(impl serde::Serialize + ?Sized)) -> Result<String, JsError> {
    serde_json::to_string(value)
        .map_err(|e| JsError::new(&format!("could not serialise the result: {e}")))
}

impl<E: Experiment> Typed<E> {
    /// As [`Run::new`] with the kind of `E`.
    pub fn new(config_json: &str) -> Result<Self, JsError> {
        let config = registry::config_of::<E>(config_json).map_err(js_err)?;
        let valid = config.check().map_err(js_err)?;
        Ok(Typed(E::build(valid, &Host::PAGE).map_err(js_err)?))
    }

    pub fn done(&self) -> bool {
        self.0.is_done()
    }

    pub fn config_json(&self) -> Result<String, JsError> {
        json_string(self.0.config())
    }

    /// Every item so far (curve points, for the training experiments).
    pub fn curve_json(&self) -> Result<String, JsError> {
        json_string(self.0.items())
    }

    pub fn summary_json(&self) -> Result<String, JsError> {
        json_string(&self.0.summary())
    }

    /// Up to `budget` units of work; the items finished by this call as JSON.
    fn step_items(&mut self, budget: u32) -> Result<String, JsError> {
        let before = self.0.items().len();
        self.0.step(budget.max(1) as usize).map_err(js_err)?;
        json_string(&self.0.items()[before..])
    }
}

impl CloudRun {
    /// A user's points from CSV text (header row, numeric columns, optional `weight` column).
    pub fn from_csv(csv_text: &str, config_json: &str) -> Result<CloudRun, JsError> {
        let config = registry::config_of::<crate::experiments::cloud::CloudRun>(config_json)
            .map_err(js_err)?;
        let run =
            crate::experiments::cloud::CloudRun::from_csv(csv_text, config).map_err(js_err)?;
        Ok(Typed(run))
    }

    /// At most about `budget` eliminations; returns the progress in [0, 1].
    pub fn step(&mut self, budget: u32) -> f64 {
        // A cloud's step cannot fail.
        let _ = Experiment::step(&mut self.0, budget.max(1) as usize);
        self.0.progress()
    }

    pub fn dim(&self) -> usize {
        self.0.cloud().dim
    }

    pub fn points(&self) -> Float64Array {
        Float64Array::from(&self.0.cloud().points[..])
    }

    pub fn kept_indices(&self) -> Uint32Array {
        let idx: Vec<u32> = self.0.result().indices.iter().map(|&i| i as u32).collect();
        Uint32Array::from(&idx[..])
    }

    pub fn kept_weights(&self) -> Float64Array {
        Float64Array::from(&self.0.result().weights[..])
    }

    pub fn kept_csv(&self) -> String {
        self.0.kept_csv()
    }
}

impl LthRun {
    /// Up to `batches` mini-batches per arm; the curve points finished by this call as JSON.
    pub fn step(&mut self, batches: u32) -> Result<String, JsError> {
        self.step_items(batches)
    }

    /// How many function maps have been recorded (config `maps_every`; 0 if off).
    pub fn maps_count(&self) -> usize {
        self.0.function_maps().len()
    }

    fn recorded(&self, i: usize) -> Result<&crate::experiments::lth::FunctionMaps, JsError> {
        let maps = self.0.function_maps();
        maps.get(i).ok_or_else(|| {
            js_err(ExperimentError::OutOfRange {
                what: "recorded map",
                index: i,
                len: maps.len(),
            })
        })
    }

    /// The epoch of recorded map `i`.
    pub fn maps_epoch(&self, i: usize) -> Result<usize, JsError> {
        Ok(self.recorded(i)?.epoch)
    }

    /// Recorded map `i`: every arm's grid at the config's `maps_res`, then the target's.
    pub fn maps_at(&self, i: usize) -> Result<Float32Array, JsError> {
        let mut flat: Vec<f32> = self.recorded(i)?.arms.concat();
        flat.extend(crate::experiments::lth::target_map(
            self.0.config().maps_res,
        ));
        Ok(Float32Array::from(&flat[..]))
    }
}

impl DatasetRun {
    /// Up to `epochs` epochs; the curve points finished by this call as JSON.
    pub fn step(&mut self, epochs: u32) -> Result<String, JsError> {
        self.step_items(epochs)
    }
}

impl AttentionRun {
    /// Up to `steps` training steps of every arm; the curve points finished by this call as JSON.
    pub fn step(&mut self, steps: u32) -> Result<String, JsError> {
        self.step_items(steps)
    }

    /// The picture's predictions, `[[epoch, [one vector per arm]]…]`, as JSON.
    pub fn picture_json(&self) -> Result<String, JsError> {
        json_string(&self.0.picture().predictions)
    }
}
