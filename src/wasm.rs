//! The browser binding: the only file that names `wasm_bindgen` / `js_sys`. Thin handles over the
//! experiments; configs come in as JSON, numbers go out as typed arrays, errors as JS `Error`s with the
//! core's message.

use js_sys::{Float64Array, Uint32Array};
use wasm_bindgen::prelude::*;

use crate::compress;
use crate::experiments::cloud::{CloudConfig, CloudRun as CoreCloudRun};

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A value as JSON, or the serialisation error as a JS `Error` (never an empty string that the worker
/// would fail to parse).
fn to_json(value: &impl serde::Serialize) -> Result<String, JsError> {
    serde_json::to_string(value)
        .map_err(|e| JsError::new(&format!("could not serialise the result: {e}")))
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

fn parse_config<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, JsError> {
    serde_json::from_str(json).map_err(|e| JsError::new(&format!("invalid configuration: {e}")))
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

/// Every preset's configuration, for the page's forms: `{lth: {quick, demo, paper}, dataset: {…},
/// scaling: {"data-quick", "data-paper", "width-quick", "width-paper"}}`. The Rust presets are the only
/// source of these numbers.
#[wasm_bindgen]
pub fn presets_json() -> Result<String, JsError> {
    use crate::experiments::dataset::DatasetConfig;
    use crate::experiments::lth::LthConfig;
    use crate::experiments::scaling::{Axis, ScalingConfig};
    let lth: serde_json::Map<String, serde_json::Value> = ["quick", "demo", "paper"]
        .iter()
        .filter_map(|n| {
            Some((
                n.to_string(),
                serde_json::to_value(LthConfig::preset(n)?).ok()?,
            ))
        })
        .collect();
    let dataset: serde_json::Map<String, serde_json::Value> = [
        "quick",
        "demo",
        "paper",
        "paper-sgd-full",
        "paper-adamw-full",
        "paper-sgd-batch",
        "paper-adamw-batch",
    ]
    .iter()
    .filter_map(|n| {
        Some((
            n.to_string(),
            serde_json::to_value(DatasetConfig::preset(n)?).ok()?,
        ))
    })
    .collect();
    let mut scaling = serde_json::Map::new();
    for (axis, a) in [(Axis::Data, "data"), (Axis::Width, "width")] {
        for n in ["quick", "paper"] {
            if let Some(c) =
                ScalingConfig::preset(axis, n).and_then(|c| serde_json::to_value(c).ok())
            {
                scaling.insert(format!("{a}-{n}"), c);
            }
        }
    }
    to_json(&serde_json::json!({ "lth": lth, "dataset": dataset, "scaling": scaling }))
}

/// A fresh random seed from the browser's entropy source (for the "new seed" button).
#[wasm_bindgen]
pub fn random_seed() -> Result<f64, JsError> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(js_err)?;
    // Seeds stay below 2^53 so they survive the round trip through a JS number and a URL.
    Ok((u64::from_le_bytes(b) >> 11) as f64)
}

/// "Compress a cloud", steppable from a worker.
#[wasm_bindgen]
pub struct CloudRun {
    inner: CoreCloudRun,
}

#[wasm_bindgen]
impl CloudRun {
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<CloudRun, JsError> {
        let config: CloudConfig = parse_config(config_json)?;
        Ok(CloudRun {
            inner: CoreCloudRun::new(config).map_err(js_err)?,
        })
    }

    /// A user's points from CSV text (header row, numeric columns, optional `weight` column).
    pub fn from_csv(csv_text: &str, config_json: &str) -> Result<CloudRun, JsError> {
        let config: CloudConfig = parse_config(config_json)?;
        Ok(CloudRun {
            inner: CoreCloudRun::from_csv(csv_text, config).map_err(js_err)?,
        })
    }

    /// At most about `budget` eliminations; returns progress in [0, 1].
    pub fn step(&mut self, budget: u32) -> f64 {
        self.inner.step(budget as usize).fraction
    }

    pub fn done(&self) -> bool {
        self.inner.is_done()
    }

    /// Remember the clusters each `step` reduces (for the animated view).
    pub fn record_clusters(&mut self) {
        self.inner.record_clusters();
    }

    /// The clusters the last `step` reduced, flattened as `[n, id_1..id_n, n, …]`.
    pub fn recent_clusters(&self) -> Uint32Array {
        let mut flat = Vec::new();
        for c in self.inner.compressor().recent_clusters() {
            flat.push(c.len() as u32);
            flat.extend(c.iter().map(|&i| i as u32));
        }
        Uint32Array::from(&flat[..])
    }

    /// Every input point's current weight (0 once eliminated).
    pub fn current_weights(&self) -> Float64Array {
        Float64Array::from(self.inner.compressor().weights())
    }

    pub fn dim(&self) -> usize {
        self.inner.cloud().dim
    }

    pub fn points(&self) -> Float64Array {
        Float64Array::from(&self.inner.cloud().points[..])
    }

    pub fn input_weights(&self) -> Float64Array {
        Float64Array::from(&self.inner.cloud().weights[..])
    }

    pub fn kept_indices(&self) -> Uint32Array {
        let idx: Vec<u32> = self
            .inner
            .result()
            .indices
            .iter()
            .map(|&i| i as u32)
            .collect();
        Uint32Array::from(&idx[..])
    }

    pub fn kept_weights(&self) -> Float64Array {
        Float64Array::from(&self.inner.result().weights[..])
    }

    pub fn summary_json(&self) -> Result<String, JsError> {
        to_json(&self.inner.summary())
    }

    pub fn kept_csv(&self) -> String {
        self.inner.kept_csv()
    }
}

/// Fig. 2 error scaling, one compression per `step` task.
#[wasm_bindgen]
pub struct Fig2Run {
    inner: crate::experiments::error_scaling::Fig2Run,
}

#[wasm_bindgen]
impl Fig2Run {
    /// `config_json` is either a preset name in quotes (`"quick"`) or a full config object
    /// `{dims, orders, sizes, trials, ratio?, strategy?, seed?}`.
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<Fig2Run, JsError> {
        use crate::experiments::error_scaling::{Fig2Config, Fig2Run as Core};
        let config = match serde_json::from_str::<String>(config_json) {
            Ok(name) => Fig2Config::preset(&name)
                .ok_or_else(|| JsError::new(&format!("unknown preset '{name}'")))?,
            Err(_) => parse_config(config_json)?,
        };
        Ok(Fig2Run {
            inner: Core::new(config).map_err(js_err)?,
        })
    }

    pub fn total(&self) -> usize {
        self.inner.total()
    }

    pub fn done(&self) -> bool {
        self.inner.is_done()
    }

    /// Runs up to `tasks` compressions; returns the finished trials as JSON.
    pub fn step(&mut self, tasks: u32) -> Result<String, JsError> {
        let new = self.inner.step(tasks as usize).map_err(js_err)?;
        serde_json::to_string(new).map_err(js_err)
    }

    /// Mean and sd per (m, k, d) so far.
    pub fn points_json(&self) -> Result<String, JsError> {
        to_json(&self.inner.points())
    }

    /// Fitted α per (m, k) so far, with the authors' values and the (k+1)/m + 0.5 guide.
    pub fn slopes_json(&self) -> Result<String, JsError> {
        to_json(&self.inner.slopes())
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
        let case: crate::experiments::bench::BenchCase = parse_config(config_json)?;
        Ok(BenchCase {
            inner: case.prepare().map_err(|e| JsError::new(&e))?,
        })
    }

    /// Compresses once; returns `{kept, residual, fig2_error, factorisations}` as JSON.
    pub fn run(&self) -> Result<String, JsError> {
        let out = self.inner.run().map_err(js_err)?;
        serde_json::to_string(&out).map_err(js_err)
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
        let config = parse_config(config_json)?;
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
    pub fn data_x(&self) -> js_sys::Float32Array {
        js_sys::Float32Array::from(self.inner.data().0)
    }

    pub fn data_y(&self) -> js_sys::Float32Array {
        js_sys::Float32Array::from(self.inner.data().1)
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

/// Fig. 4, the dynamical lottery ticket, stepped a few mini-batches at a time.
#[wasm_bindgen]
pub struct LthRun {
    inner: crate::experiments::lth::LthRun,
    /// The target on the maps' grid, computed once for all `maps_at` calls.
    target_map: std::cell::OnceCell<Vec<f32>>,
}

#[wasm_bindgen]
impl LthRun {
    /// `config_json`: a preset name in quotes (`"quick"`, `"demo"`, `"paper"`), or a config object whose
    /// missing fields take the `quick` preset's values.
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<LthRun, JsError> {
        use crate::experiments::lth::{LthConfig, LthRun as Core};
        let config = match serde_json::from_str::<String>(config_json) {
            Ok(name) => LthConfig::preset(&name)
                .ok_or_else(|| JsError::new(&format!("unknown preset '{name}'")))?,
            Err(_) => parse_config(config_json)?,
        };
        Ok(LthRun {
            inner: Core::new(config).map_err(|e| JsError::new(&e))?,
            target_map: std::cell::OnceCell::new(),
        })
    }

    /// Arm names in the order of every per-arm array.
    pub fn arms_json(&self) -> Result<String, JsError> {
        to_json(&self.inner.arms())
    }

    pub fn config_json(&self) -> Result<String, JsError> {
        to_json(&self.inner.config())
    }

    /// Curve points recorded so far (epoch 0 is there from the start).
    pub fn curve_json(&self) -> Result<String, JsError> {
        to_json(&self.inner.curve())
    }

    /// Trains up to `batches` mini-batches per arm; returns the curve points finished by this call.
    pub fn step(&mut self, batches: u32) -> Result<String, JsError> {
        to_json(&self.inner.step(batches as usize))
    }

    pub fn done(&self) -> bool {
        self.inner.is_done()
    }

    pub fn progress(&self) -> f64 {
        self.inner.progress()
    }

    pub fn epoch(&self) -> usize {
        self.inner.epoch()
    }

    pub fn summary_json(&self) -> Result<String, JsError> {
        to_json(&self.inner.summary())
    }

    /// Every arm's function on a `res × res` grid over [-1,1]², then the target: `(arms + 1) · res²` values.
    pub fn heatmaps(&mut self, res: usize) -> js_sys::Float32Array {
        let maps = self.inner.heatmaps(res);
        let flat: Vec<f32> = maps.concat();
        js_sys::Float32Array::from(&flat[..])
    }

    /// How many function maps have been recorded (config `maps_every`; 0 if off).
    pub fn maps_count(&self) -> usize {
        self.inner.function_maps().len()
    }

    /// The epoch of recorded map `i`.
    pub fn maps_epoch(&self, i: usize) -> Result<usize, JsError> {
        Ok(self.recorded(i)?.epoch)
    }

    /// Recorded map `i` in the layout of [`LthRun::heatmaps`] at the config's `maps_res`: every arm's
    /// grid, then the target's.
    pub fn maps_at(&self, i: usize) -> Result<js_sys::Float32Array, JsError> {
        let mut flat: Vec<f32> = self.recorded(i)?.arms.concat();
        flat.extend_from_slice(
            self.target_map
                .get_or_init(|| crate::experiments::lth::target_map(self.inner.config().maps_res)),
        );
        Ok(js_sys::Float32Array::from(&flat[..]))
    }
}

impl LthRun {
    fn recorded(&self, i: usize) -> Result<&crate::experiments::lth::FunctionMaps, JsError> {
        let maps = self.inner.function_maps();
        maps.get(i)
            .ok_or_else(|| JsError::new(&format!("no recorded map {i} (there are {})", maps.len())))
    }
}

/// Fig. 3, dataset compression, stepped an epoch at a time.
#[wasm_bindgen]
pub struct DatasetRun {
    inner: crate::experiments::dataset::DatasetRun,
}

#[wasm_bindgen]
impl DatasetRun {
    /// A preset name in quotes (`"quick"`, `"demo"`, `"paper"`, `"paper-sgd-full"`, …) or a config object
    /// whose missing fields take the `quick` preset's values.
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<DatasetRun, JsError> {
        use crate::experiments::dataset::{DatasetConfig, DatasetRun as Core};
        let config = match serde_json::from_str::<String>(config_json) {
            Ok(name) => DatasetConfig::preset(&name)
                .ok_or_else(|| JsError::new(&format!("unknown preset '{name}'")))?,
            Err(_) => parse_config(config_json)?,
        };
        Ok(DatasetRun {
            inner: Core::new(config).map_err(|e| JsError::new(&e))?,
        })
    }

    /// The user's own data set: a CSV with a header row, numeric columns, the output in the column named
    /// `y` (or the last); at most 10^6 rows. A fifth of the rows is held out as the test set. `config_json`
    /// as for the constructor (its `d`, `n_test`, `noise` are replaced by the data's).
    pub fn from_csv(csv_text: &str, config_json: &str) -> Result<DatasetRun, JsError> {
        use crate::experiments::dataset::{DatasetConfig, DatasetRun as Core};
        let config = match serde_json::from_str::<String>(config_json) {
            Ok(name) => DatasetConfig::preset(&name)
                .ok_or_else(|| JsError::new(&format!("unknown preset '{name}'")))?,
            Err(_) => parse_config(config_json)?,
        };
        let data =
            crate::data::csv::parse_regression(csv_text, crate::experiments::cloud::MAX_POINTS)
                .map_err(js_err)?;
        Ok(DatasetRun {
            inner: Core::from_data(config, data).map_err(|e| JsError::new(&e))?,
        })
    }

    pub fn arms_json(&self) -> Result<String, JsError> {
        to_json(&self.inner.arms())
    }

    pub fn config_json(&self) -> Result<String, JsError> {
        to_json(&self.inner.config())
    }

    pub fn curve_json(&self) -> Result<String, JsError> {
        to_json(&self.inner.curve())
    }

    pub fn in_dim(&self) -> usize {
        self.inner.in_dim()
    }

    /// Trains up to `epochs` epochs; returns the curve points finished by this call.
    pub fn step(&mut self, epochs: u32) -> Result<String, JsError> {
        to_json(&self.inner.step(epochs as usize))
    }

    pub fn done(&self) -> bool {
        self.inner.is_done()
    }

    pub fn progress(&self) -> f64 {
        self.inner.progress()
    }

    pub fn summary_json(&self) -> Result<String, JsError> {
        to_json(&self.inner.summary())
    }

    /// Training set of arm `arm` as rows `(x_1..x_in, y, weight)`, in the user's units.
    pub fn set_points(&self, arm: usize) -> Result<js_sys::Float64Array, JsError> {
        let n = self
            .inner
            .sets()
            .get(arm)
            .ok_or_else(|| JsError::new("no such arm"))?
            .y
            .len();
        let mut out = Vec::new();
        for i in 0..n {
            if let Some((_, w, values)) = self.inner.member(arm, i) {
                out.extend(values);
                out.push(w);
            }
        }
        Ok(js_sys::Float64Array::from(&out[..]))
    }

    /// An arm's weighted set as CSV `index,weight,<columns>` in the user's units, for download.
    pub fn set_csv(&self, arm: usize) -> Result<String, JsError> {
        self.inner.set_csv(arm).map_err(|e| JsError::new(&e))
    }

    /// Loss landscapes of every arm's set on a `res × res` plane (`span` half-width, around the initial
    /// or the trained full-data parameters): `{res, span, around_trained, arms, losses, deviation}`.
    pub fn landscape_json(
        &self,
        res: usize,
        span: f64,
        around_trained: bool,
    ) -> Result<String, JsError> {
        let seed = self.inner.config().seed;
        let landscape = self
            .inner
            .landscape(res, span, around_trained, seed)
            .map_err(|e| JsError::new(&e))?;
        to_json(&landscape)
    }
}

/// Fig. 5 scaling laws, one size × seed after another.
#[wasm_bindgen]
pub struct ScalingRun {
    inner: crate::experiments::scaling::ScalingRun,
}

#[wasm_bindgen]
impl ScalingRun {
    /// `{"axis": "data"|"width", "preset": "quick"|"paper"}` or a full config
    /// `{axis, sizes, seeds, order, epochs, n_samples, lr}`.
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<ScalingRun, JsError> {
        use crate::experiments::scaling::{Axis, ScalingConfig, ScalingRun as Core};
        #[derive(serde::Deserialize)]
        struct Preset {
            axis: Axis,
            preset: String,
        }
        let config = match serde_json::from_str::<Preset>(config_json) {
            Ok(p) => ScalingConfig::preset(p.axis, &p.preset)
                .ok_or_else(|| JsError::new(&format!("unknown preset '{}'", p.preset)))?,
            Err(_) => parse_config(config_json)?,
        };
        Ok(ScalingRun {
            inner: Core::new(config).map_err(|e| JsError::new(&e))?,
        })
    }

    pub fn total(&self) -> usize {
        self.inner.total()
    }

    pub fn finished(&self) -> usize {
        self.inner.finished()
    }

    pub fn done(&self) -> bool {
        self.inner.is_done()
    }

    /// Up to `budget` units of work; returns the rows (size × seed) finished by this call.
    pub fn step(&mut self, budget: u32) -> Result<String, JsError> {
        let rows = self
            .inner
            .step(budget as usize)
            .map_err(|e| JsError::new(&e))?;
        serde_json::to_string(rows).map_err(js_err)
    }

    pub fn summary_json(&self) -> Result<String, JsError> {
        to_json(&self.inner.summary())
    }
}
