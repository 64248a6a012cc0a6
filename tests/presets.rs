//! Presets have one source: each experiment's `Experiment::presets` in Rust (`registry::EXPERIMENTS`). The
//! CLI's help is generated from it; the page's preset menus (each view's tab in www/lab), the README's commands and the
//! `<moment-lab preset=…>` snippets of the docs name presets by hand, so this test checks every name they use
//! against the registry: a renamed or removed preset fails here, not in a reader's browser.

use moment_lab::experiments::FlagAction;
use moment_lab::experiments::registry::{EXPERIMENTS, entry};

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The preset names of `kind`, the default first.
fn presets(kind: &str) -> Vec<&'static str> {
    entry(kind)
        .unwrap_or_else(|e| panic!("{e}"))
        .presets()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect()
}

/// The text between `start` and the next `end` after it, for every `start`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    text.match_indices(start)
        .map(|(i, _)| {
            let rest = &text[i + start.len()..];
            &rest[..rest.find(end).unwrap_or(rest.len())]
        })
        .collect()
}

/// The `value`s of the options of `<select name="NAME">` in `html`.
fn options(html: &str, name: &str) -> Vec<String> {
    between(html, &format!("<select name=\"{name}\">"), "</select>")
        .into_iter()
        .flat_map(|select| between(select, "<option value=\"", "\""))
        .map(str::to_string)
        .collect()
}

/// The page's experiments, in tab order: (kind, its form's markup). The tabs are the view files that
/// www/lab/views.js lists (`import { tab as NAME } from './FILE.js';` and `export const VIEWS = [NAME, …]`);
/// each exports `tab = { kind: 'KIND', …, fields: `…`, formEnd: `…`, body: `…` }` (www/lab/panel.js), and its
/// form is the text from `fields:` to `body:`.
fn page_sections() -> Vec<(String, String)> {
    let list = read("www/lab/views.js");
    let files: Vec<(&str, &str)> = between(&list, "import { tab as ", "';")
        .into_iter()
        .filter_map(|line| line.split_once(" } from './"))
        .collect();
    let order = between(&list, "export const VIEWS = [", "]");
    assert_eq!(
        order.len(),
        1,
        "www/lab/views.js: no `export const VIEWS = [...]`"
    );
    order[0]
        .split(',')
        .map(str::trim)
        .map(|name| {
            let (_, file) = files
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("www/lab/views.js: {name} is not imported"));
            let text = read(&format!("www/lab/{file}"));
            let kind = between(&text, "export const tab = {\n  kind: '", "'");
            assert_eq!(
                kind.len(),
                1,
                "www/lab/{file}: no `export const tab = {{ kind: '…'`"
            );
            let form = between(&text, "  fields: `", "  body: `");
            assert_eq!(
                form.len(),
                1,
                "www/lab/{file}: no `fields:` … `body:` markup"
            );
            (kind[0].to_string(), form[0].to_string())
        })
        .collect()
}

#[test]
fn the_pages_preset_menus_name_registry_presets() {
    let sections = page_sections();
    assert!(
        sections.len() >= 4,
        "the page has {} experiment tabs",
        sections.len()
    );
    let mut menus = 0;
    for (kind, section) in &sections {
        let menu = options(section, "preset");
        if menu.is_empty() {
            continue;
        }
        menus += 1;
        let known = presets(kind);
        for name in &menu {
            assert!(
                known.contains(&name.as_str()),
                "www/lab, {kind} tab: preset '{name}' is not one of {known:?}"
            );
        }
        // And every preset is offered, in the registry's order (an alias too: the CLI help lists it).
        assert_eq!(
            menu, known,
            "www/lab, {kind} tab: the preset menu is not the registry's list"
        );
        // The page's default is the registry's default.
        let selected = between(section, "<select name=\"preset\">", "</select>")[0];
        assert!(
            selected.contains(&format!("<option value=\"{}\" selected>", known[0])),
            "www/lab, {kind} tab: the selected preset is not the default '{}'",
            known[0]
        );
    }
    assert!(menus >= 2, "no preset menus found in the views' forms");
    // The scaling tab picks its preset by axis: `AXIS-quick` (www/lab/scaling.js).
    let (_, scaling) = sections
        .iter()
        .find(|(k, _)| k == "scaling")
        .expect("a scaling tab");
    let axes = options(scaling, "axis");
    assert!(!axes.is_empty());
    for axis in axes {
        assert!(
            presets("scaling").contains(&format!("{axis}-quick").as_str()),
            "scaling axis '{axis}'"
        );
    }
}

/// The preset a command line asks for, as the registry names it (`--axis A --preset P` is `A-P`).
fn preset_of_command(kind: &str, words: &[&str]) -> String {
    let flag = |name: &str| {
        words
            .windows(2)
            .find(|w| w[0] == name)
            .map(|w| w[1].to_string())
    };
    let family = (entry(kind).unwrap().flags)()
        .iter()
        .find(|f| matches!(f.action, FlagAction::PresetFamily))
        .and_then(|f| flag(&format!("--{}", f.name)));
    let preset = flag("--preset").unwrap_or_else(|| match &family {
        Some(_) => "quick".into(),
        None => presets(kind)[0].to_string(),
    });
    match family {
        Some(f) => format!("{f}-{preset}"),
        None => preset,
    }
}

#[test]
fn the_docs_name_registry_presets() {
    let mut checked = 0;
    for path in [
        "README.md",
        "docs/EMBED.md",
        "docs/RESULTS.md",
        "www/blog-example.html",
    ] {
        let text = read(path);
        // Command lines: `moment-lab KIND … --preset P …`.
        for line in text.lines() {
            let words: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || c == '`')
                .filter(|w| !w.is_empty())
                .collect();
            for (i, w) in words.iter().enumerate() {
                let Some(kind) = words.get(i + 1) else {
                    continue;
                };
                if !w.ends_with("moment-lab") || entry(kind).is_err() {
                    continue;
                }
                let rest: Vec<&str> = words[i + 2..]
                    .iter()
                    .take_while(|w| !w.starts_with('#') && !w.ends_with("moment-lab"))
                    .copied()
                    .collect();
                // `--preset P` in prose is a placeholder, not a name.
                let given = rest.windows(2).find(|w| w[0] == "--preset").map(|w| w[1]);
                if given.is_none_or(|p| p.chars().all(|c| c.is_ascii_uppercase())) {
                    continue;
                }
                let name = preset_of_command(kind, &rest);
                assert!(
                    presets(kind).contains(&name.as_str()),
                    "{path}: `{line}` names no preset of {kind} ({name})"
                );
                checked += 1;
            }
        }
        // Embedding snippets: `<moment-lab experiment="KIND" … preset="P"`.
        for tag in between(&text, "<moment-lab ", ">") {
            let attr = |name: &str| {
                between(tag, &format!("{name}=\""), "\"")
                    .first()
                    .map(|s| s.to_string())
            };
            if let (Some(kind), Some(preset)) = (attr("experiment"), attr("preset")) {
                assert!(
                    presets(&kind).contains(&preset.as_str()),
                    "{path}: <moment-lab {tag}>"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 5,
        "only {checked} preset names found in the docs"
    );
}

#[test]
fn the_cli_help_lists_every_preset() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_moment-lab"))
        .arg("help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for e in EXPERIMENTS {
        let line = help
            .lines()
            .find(|l| {
                l.trim_start()
                    .starts_with(&format!("moment-lab {} ", e.kind))
            })
            .unwrap_or_else(|| panic!("no help line for {}", e.kind));
        let family = (e.flags)()
            .iter()
            .any(|f| matches!(f.action, FlagAction::PresetFamily));
        for p in e.presets().unwrap() {
            // With a preset family (`scaling --axis A --preset P`), the help names P.
            let shown = p
                .name
                .split_once('-')
                .filter(|_| family)
                .map_or(p.name, |(_, n)| n);
            assert!(
                line.contains(shown),
                "help for {} lacks preset {}: {line}",
                e.kind,
                p.name
            );
            assert!(
                help.contains(p.about),
                "help lacks what {} {} is for",
                e.kind,
                p.name
            );
        }
    }
}

/// `name="…"`'s attribute `attr` in one tag.
fn attribute<'a>(tag: &'a str, attr: &str) -> Option<&'a str> {
    let at = if tag.starts_with(&format!("{attr}=\"")) {
        0
    } else {
        tag.find(&format!(" {attr}=\""))? + 1
    };
    let rest = &tag[at + attr.len() + 2..];
    Some(&rest[..rest.find('"')?])
}

/// What a form shows before the wasm has loaded (the markup of its view's tab, www/lab/<view>.js) is the default
/// preset: every `<input>` and `<select>` of an experiment's form that names a field of its configuration
/// holds the default preset's value.
#[test]
fn the_pages_static_defaults_are_the_default_presets() {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (kind, section) in page_sections() {
        let Ok(e) = entry(&kind) else { continue };
        let preset = e.presets().unwrap().into_iter().next().unwrap();
        let config = preset.config.as_object().unwrap().clone();
        for tag in between(&section, "<input ", ">") {
            let Some(name) = attribute(tag, "name") else {
                continue;
            };
            let Some(want) = config.get(name) else {
                continue;
            };
            let shown = if attribute(tag, "type") == Some("checkbox") {
                serde_json::Value::Bool(tag.contains(" checked"))
            } else {
                let v = attribute(tag, "value").unwrap_or("");
                v.parse::<f64>()
                    .map_or(serde_json::Value::from(v), serde_json::Value::from)
            };
            let same = match (want, shown.as_f64()) {
                (serde_json::Value::Number(a), Some(b)) => a.as_f64() == Some(b),
                // A list field is a comma-separated text box.
                (serde_json::Value::Array(items), _) => {
                    let joined: Vec<String> = items.iter().map(|v| v.to_string()).collect();
                    shown.as_str() == Some(joined.join(",").as_str())
                }
                _ => *want == shown,
            };
            checked += 1;
            if !same {
                wrong.push(format!(
                    "{kind}: {name} shows {shown}, the preset '{}' has {want}",
                    preset.name
                ));
            }
        }
        for select in between(&section, "<select name=\"", "</select>") {
            let name = &select[..select.find('"').unwrap()];
            let Some(want) = config.get(name).and_then(|v| v.as_str()) else {
                continue;
            };
            let chosen = between(select, "<option value=\"", ">")
                .into_iter()
                .find(|o| o.contains(" selected"))
                .map(|o| &o[..o.find('"').unwrap()]);
            checked += 1;
            if chosen != Some(want) {
                wrong.push(format!(
                    "{kind}: {name} selects {chosen:?}, the preset '{}' has {want}",
                    preset.name
                ));
            }
        }
    }
    assert!(checked >= 20, "only {checked} controls compared");
    assert!(
        wrong.is_empty(),
        "the views' static form values drifted:\n{}",
        wrong.join("\n")
    );
}
