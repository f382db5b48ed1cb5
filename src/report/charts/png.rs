//! PNG output: the chart's SVG rasterised by resvg, so the PNG is the same
//! drawing as the SVG with text shaped properly (see the module above for
//! why plotters' own bitmap backend was dropped).
//!
//! resvg is given one font database holding only the embedded DejaVu Sans
//! (regular and bold) with every generic family mapped to it: no system
//! font is ever looked up, so a PNG is byte-identical on every machine.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use super::{render_svg, Chart, ChartError};

const FAMILY: &str = "DejaVu Sans";

fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(dejavu::sans::regular().to_vec());
        db.load_font_data(dejavu::sans::bold().to_vec());
        db.set_sans_serif_family(FAMILY);
        db.set_serif_family(FAMILY);
        db.set_monospace_family(FAMILY);
        usvg::Options {
            font_family: FAMILY.to_string(),
            fontdb: Arc::new(db),
            ..usvg::Options::default()
        }
    })
}

/// Renders `chart` as PNG-encoded bytes (its SVG, rasterised).
pub fn render_png(chart: &Chart) -> Result<Vec<u8>, ChartError> {
    rasterise(&render_svg(chart), chart.title())
}

/// Rasterises an SVG this module drew; `title` names the chart in errors.
pub(super) fn rasterise(svg: &str, title: &str) -> Result<Vec<u8>, ChartError> {
    let error = |message: String| ChartError::Draw {
        title: title.to_owned(),
        message,
    };
    let tree = usvg::Tree::from_str(svg, options()).map_err(|e| error(e.to_string()))?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| error(format!("empty canvas {size:?}")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| error(e.to_string()))
}
