//! `moment-lab bench`: the native side of bench/run.mjs, a line-oriented benchmark server (see the help).

use std::time::Instant;

use crate::Failure;

/// Line-oriented benchmark server (see USAGE): the native side of bench/run.mjs, which interleaves these
/// requests with the same ones in headless Chromium.
pub fn run(mut parser: lexopt::Parser) -> Result<(), Failure> {
    use moment_lab::experiments::bench::{BenchCase, NnBench, NnBenchConfig, PreparedCase};
    use std::collections::HashMap;
    use std::io::{BufRead, Write};
    if let Some(arg) = parser.next()? {
        return Err(arg.unexpected().into());
    }
    #[derive(serde::Deserialize)]
    #[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
    enum Request {
        Compress {
            case: BenchCase,
            #[serde(default)]
            reps: Option<usize>,
        },
        Nn {
            #[serde(default)]
            config: NnBenchConfig,
            mode: String,
            min_seconds: f64,
        },
    }
    let mut cases: HashMap<String, PreparedCase> = HashMap::new();
    let mut nets: HashMap<String, NnBench> = HashMap::new();
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| Failure::Run(e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Request>(&line) {
            Err(e) => serde_json::json!({"error": format!("bad request: {e}")}),
            Ok(Request::Compress { case, reps }) => {
                let key = serde_json::to_string(&case).map_err(|e| Failure::Run(e.to_string()))?;
                let prepared = match cases.entry(key) {
                    std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        case.prepare().map(|p| v.insert(p))
                    }
                };
                let reps = reps.unwrap_or(1).max(1);
                match prepared {
                    Err(e) => serde_json::json!({"error": e.to_string()}),
                    Ok(_) if reps > 1000 => serde_json::json!({"error": "at most 1000 reps"}),
                    Ok(prepared) => {
                        let mut seconds = Vec::new();
                        let mut out = Vec::new();
                        for _ in 0..reps {
                            let t = Instant::now();
                            out.push(prepared.run());
                            seconds.push(t.elapsed().as_secs_f64());
                        }
                        match out.pop() {
                            Some(Ok(o)) => {
                                serde_json::json!({"seconds": seconds, "kept": o.kept, "residual": o.residual,
                                "fig2_error": o.fig2_error, "factorisations": o.factorisations})
                            }
                            Some(Err(e)) => serde_json::json!({"error": e.to_string()}),
                            None => serde_json::json!({"error": "no run"}),
                        }
                    }
                }
            }
            Ok(Request::Nn {
                config,
                mode,
                min_seconds,
            }) => {
                let key =
                    serde_json::to_string(&config).map_err(|e| Failure::Run(e.to_string()))?;
                let bench = match nets.entry(key) {
                    std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        NnBench::new(config).map(|b| v.insert(b))
                    }
                };
                match bench {
                    Err(e) => serde_json::json!({"error": e.to_string()}),
                    Ok(b) => {
                        let t = Instant::now();
                        let mut steps = 0usize;
                        let mut res = Ok(0.0);
                        while res.is_ok() && (steps == 0 || t.elapsed().as_secs_f64() < min_seconds)
                        {
                            res = if mode == "train" {
                                b.train_steps(8)
                            } else {
                                b.grad_steps(8)
                            };
                            steps += 8;
                        }
                        let secs = t.elapsed().as_secs_f64();
                        match res {
                            Ok(loss) => {
                                serde_json::json!({"steps": steps, "seconds": secs, "loss": loss,
                                "flops_per_grad_step": b.flops_per_grad_step()})
                            }
                            Err(e) => serde_json::json!({"error": e.to_string()}),
                        }
                    }
                }
            }
        };
        writeln!(stdout, "{answer}").map_err(|e| Failure::Run(e.to_string()))?;
        stdout.flush().map_err(|e| Failure::Run(e.to_string()))?;
    }
    Ok(())
}
