//! Progress of `netral bench audit`'s long steps (seeding, exporting, measuring): an
//! indicatif bar when stderr is a terminal, otherwise a plain line every tenth of the way (so
//! a run under `nohup` can be followed in its log); nothing with `--no-progress`.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// One step's progress.
pub struct Progress {
    /// The bar, when drawn.
    bar: Option<ProgressBar>,
    /// Lines instead of a bar: the step's name, its total and the next tenth to report.
    lines: Option<(String, u64, Mutex<u64>)>,
    /// When the step began.
    started: Instant,
}

impl Progress {
    /// Progress of `label` towards `total` units of `unit`; silent unless `show`.
    pub fn new(label: &str, unit: &str, total: u64, show: bool) -> Self {
        let started = Instant::now();
        if !show {
            return Self {
                bar: None,
                lines: None,
                started,
            };
        }
        if !std::io::stderr().is_terminal() {
            eprintln!("{label}: 0/{total} {unit}");
            return Self {
                bar: None,
                lines: Some((format!("{label} ({unit})"), total, Mutex::new(1))),
                started,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let template = format!(
            "{{msg:>20}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} \
             ({{per_sec}}, eta {{eta}})"
        );
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar.set_message(label.to_owned());
        Self {
            bar: Some(bar),
            lines: None,
            started,
        }
    }

    /// `done` units are done.
    pub fn set(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
        if let Some((label, total, next)) = &self.lines
            && let Ok(mut next) = next.lock()
        {
            let total = (*total).max(1);
            if done * 10 >= *next * total {
                let secs = self.started.elapsed().as_secs_f64();
                let rate = done as f64 / secs.max(1e-9);
                eprintln!("{label}: {done}/{total} after {secs:.0} s ({rate:.0}/s)");
                *next = done * 10 / total + 1;
            }
        }
    }

    /// The step is over.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
