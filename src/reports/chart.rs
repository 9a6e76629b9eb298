//! The report's chart: the period's events as bars (one per hour for a
//! daily report, one per day for a weekly one), drawn into a PNG. Pure:
//! the same timeline always gives the same bytes.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::reports::figures::{Step, Timeline};

/// Width and height of the image, in pixels (Slack shows it at half size
/// on high-density screens, so the text stays sharp).
pub const SIZE: (u32, u32) = (1000, 360);

/// The face every label is drawn in, embedded so the image looks the same
/// on every machine.
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Sentry's purple, so the chart reads as Sentry's.
const BAR: RGBColor = RGBColor(0x6c, 0x5f, 0xc7);
const INK: RGBColor = RGBColor(0x2b, 0x22, 0x33);
const GRID: RGBColor = RGBColor(0xe7, 0xe1, 0xec);

/// Why no chart could be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Nothing to draw.
    #[error("the timeline has no buckets")]
    Empty,
    /// The drawing library failed.
    #[error("cannot draw the chart: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("cannot encode the chart: {0}")]
    Encode(#[from] png::EncodingError),
}

fn draw_error(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

fn register_font() -> Result<(), ChartError> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ChartError::Draw("the embedded font cannot be read".into()))
    }
}

/// A bucket's label on the x axis, in the report's zone: the hour for a
/// daily chart (every third one), the weekday and day for a weekly one.
fn label(step: Step, at: DateTime<Utc>, tz: Tz, index: usize) -> String {
    let local = at.with_timezone(&tz);
    match step {
        Step::Hour if index % 3 == 0 => local.format("%H:00").to_string(),
        Step::Hour => String::new(),
        Step::Day => local.format("%a %-d").to_string(),
    }
}

/// The chart in words, for screen readers and where the image does not
/// load: `Events per hour: 1,234 in all, the most (310) at 16:00.`
pub fn alt_text(timeline: &Timeline, tz: Tz) -> String {
    let per = match timeline.step {
        Step::Hour => "hour",
        Step::Day => "day",
    };
    let total: u64 = timeline.buckets.iter().map(|b| b.1).sum();
    let mut text = format!(
        "Events per {per}: {} in all",
        crate::issues::card::thousands(total)
    );
    // The first of the highest buckets, so ties read the earliest.
    let peak =
        timeline
            .buckets
            .iter()
            .copied()
            .filter(|b| b.1 > 0)
            .fold(None::<(i64, u64)>, |best, b| match best {
                Some(best) if best.1 >= b.1 => Some(best),
                _ => Some(b),
            });
    if let Some((at, n)) = peak {
        if let Some(at) = DateTime::from_timestamp(at, 0) {
            let local = at.with_timezone(&tz);
            let when = match timeline.step {
                Step::Hour => local.format("at %H:00").to_string(),
                Step::Day => local.format("on %A %-d %B").to_string(),
            };
            text.push_str(&format!(
                ", the most ({}) {when}",
                crate::issues::card::thousands(n)
            ));
        }
    }
    text.push('.');
    text
}

/// The chart of `timeline` with `title` above it, as PNG bytes; labels are
/// read in `tz`.
pub fn draw(timeline: &Timeline, title: &str, tz: Tz) -> Result<Vec<u8>, ChartError> {
    if timeline.buckets.is_empty() {
        return Err(ChartError::Empty);
    }
    register_font()?;
    let (width, height) = SIZE;
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let n = timeline.buckets.len();
        let highest = timeline.buckets.iter().map(|b| b.1).max().unwrap_or(0);
        // Head room above the tallest bar; an empty period still gets an axis.
        let top = (highest + highest / 8).max(4);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FAMILY, 26).into_font().color(&INK))
            .margin(18)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..n as f64, 0u64..top)
            .map_err(draw_error)?;
        let labels: Vec<String> = timeline
            .buckets
            .iter()
            .enumerate()
            .map(|(i, (at, _))| {
                DateTime::from_timestamp(*at, 0)
                    .map(|at| label(timeline.step, at, tz, i))
                    .unwrap_or_default()
            })
            .collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .axis_style(INK.mix(0.6))
            // The x labels are drawn below, one under each bar's middle.
            .x_labels(0)
            .y_labels(5)
            .y_label_formatter(&|y| crate::issues::card::thousands(*y))
            .label_style((FAMILY, 16).into_font().color(&INK))
            .draw()
            .map_err(draw_error)?;
        chart
            .draw_series(timeline.buckets.iter().enumerate().map(|(i, (_, count))| {
                let x = i as f64;
                Rectangle::new([(x + 0.12, 0), (x + 0.88, *count)], BAR.filled())
            }))
            .map_err(draw_error)?;
        let style = (FAMILY, 16)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for (i, text) in labels.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0));
            root.draw(&Text::new(text.as_str(), (x, y + 8), style.clone()))
                .map_err(draw_error)?;
        }
        root.present().map_err(draw_error)?;
    }
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
    }
    Ok(png_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daily() -> Timeline {
        Timeline {
            step: Step::Hour,
            buckets: (0..24)
                .map(|h| {
                    (
                        1_764_288_000 + h * 3600,
                        [3, 5, 2, 0, 1, 8, 40, 120][h as usize % 8],
                    )
                })
                .collect(),
        }
    }

    /// PNG's signature and the IHDR's width and height.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        (w, h)
    }

    #[test]
    fn a_daily_chart_is_a_png_of_the_chart_size_and_is_written_for_review() {
        let png = draw(
            &daily(),
            "acme/api · events per hour",
            chrono_tz::Europe::Berlin,
        )
        .expect("drawn");
        assert_eq!(png_size(&png), SIZE);
        // Bars and text, not a blank canvas: a white 1000×360 PNG compresses
        // to well under a kilobyte.
        assert!(png.len() > 8_000, "{} bytes", png.len());
        // Drawn where a person can open it.
        let out =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report-chart-daily.png");
        std::fs::write(&out, &png).expect("written");
    }

    #[test]
    fn a_weekly_chart_and_an_empty_period_draw_too() {
        let week = Timeline {
            step: Step::Day,
            buckets: (0..7)
                .map(|d| (1_764_288_000 + d * 86_400, d as u64 * 1_500))
                .collect(),
        };
        let png = draw(&week, "acme/api · events per day", chrono_tz::UTC).expect("drawn");
        assert_eq!(png_size(&png), SIZE);
        let out =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report-chart-weekly.png");
        std::fs::write(&out, &png).expect("written");
        let quiet = Timeline {
            step: Step::Day,
            buckets: (0..7).map(|d| (1_764_288_000 + d * 86_400, 0)).collect(),
        };
        assert!(draw(&quiet, "quiet", chrono_tz::UTC).is_ok());
    }

    #[test]
    fn the_same_timeline_draws_the_same_bytes_and_nothing_is_refused() {
        let a = draw(&daily(), "t", chrono_tz::UTC).expect("drawn");
        let b = draw(&daily(), "t", chrono_tz::UTC).expect("drawn");
        assert_eq!(a, b);
        let none = Timeline {
            step: Step::Hour,
            buckets: Vec::new(),
        };
        assert!(matches!(
            draw(&none, "t", chrono_tz::UTC),
            Err(ChartError::Empty)
        ));
    }

    #[test]
    fn the_chart_in_words_names_the_total_and_the_peak() {
        assert_eq!(
            alt_text(&daily(), chrono_tz::UTC),
            "Events per hour: 537 in all, the most (120) at 07:00."
        );
        let quiet = Timeline {
            step: Step::Day,
            buckets: vec![(1_764_288_000, 0)],
        };
        assert_eq!(
            alt_text(&quiet, chrono_tz::UTC),
            "Events per day: 0 in all."
        );
    }

    #[test]
    fn hour_labels_are_every_third_hour_in_the_zone() {
        let at = DateTime::from_timestamp(1_764_288_000, 0).expect("time"); // 00:00 UTC
        assert_eq!(label(Step::Hour, at, chrono_tz::Europe::Berlin, 0), "01:00");
        assert_eq!(label(Step::Hour, at, chrono_tz::UTC, 1), "");
        assert_eq!(label(Step::Day, at, chrono_tz::UTC, 1), "Fri 28");
    }
}
