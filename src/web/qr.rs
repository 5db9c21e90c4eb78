//! `GET /links/{identifier}/qr.svg` and `/qr.png`: a link's QR code, drawn on the server. It
//! encodes exactly the link's full URL (`HYPE_PUBLIC_URL/ref/identifier`), which anyone may
//! have, so it needs no session; an unknown identifier is a 404.
use super::HypeState;
use crate::services::links;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module in the PNG, and the quiet zone around the code, in modules.
const PNG_SCALE: usize = 8;
const QUIET_ZONE: usize = 4;

/// The QR code of `url`, at error correction M (15% of it may be damaged).
pub fn code(url: &str) -> Option<QrCode> {
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).ok()
}

/// The code as an SVG document, black on white.
pub fn svg(code: &QrCode) -> String {
    code.render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(256, 256)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build()
}

/// The code as an 8-bit greyscale PNG, [`PNG_SCALE`] pixels per module.
pub fn png(code: &QrCode) -> Option<Vec<u8>> {
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * PNG_SCALE;
    let mut pixels = vec![255u8; side * side];
    for (index, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (mx, my) = (index % modules + QUIET_ZONE, index / modules + QUIET_ZONE);
            for y in my * PNG_SCALE..(my + 1) * PNG_SCALE {
                pixels[y * side + mx * PNG_SCALE..y * side + (mx + 1) * PNG_SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    let side = u32::try_from(side).ok()?;
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(&pixels).ok()?;
    writer.finish().ok()?;
    Some(out)
}

/// Which picture: `qr.svg` or `qr.png`.
#[derive(Debug, Clone, Copy)]
enum Format {
    Svg,
    Png,
}

pub async fn qr_svg(state: State<HypeState>, identifier: Path<String>) -> Response {
    qr(state, identifier, Format::Svg).await
}

pub async fn qr_png(state: State<HypeState>, identifier: Path<String>) -> Response {
    qr(state, identifier, Format::Png).await
}

async fn qr(
    State(state): State<HypeState>,
    Path(identifier): Path<String>,
    format: Format,
) -> Response {
    let link = match links::find(&state.db, &identifier).await {
        Ok(Some(link)) => link,
        Ok(None) => return (StatusCode::NOT_FOUND, "No such link.").into_response(),
        Err(error) => {
            tracing::error!(%error, "could not look up a link for its QR code");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, HeaderValue::from_static("5"))],
                "The database is unavailable. Please try again in a moment.",
            )
                .into_response();
        }
    };
    let Some(code) = code(&state.config.link_url(&link.identifier)) else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The link is too long for a QR code.",
        )
            .into_response();
    };
    let (body, kind, extension) = match format {
        Format::Svg => (svg(&code).into_bytes(), "image/svg+xml", "svg"),
        Format::Png => match png(&code) {
            Some(png) => (png, "image/png", "png"),
            None => {
                tracing::error!("a QR code did not encode as PNG");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        },
    };
    let disposition = format!("inline; filename=\"hype-{}.{extension}\"", link.identifier);
    let mut response = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(width: usize, height: usize, luma: impl Fn(usize, usize) -> u8) -> String {
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, luma);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one code in the picture");
        grids[0].decode().expect("a readable code").1
    }

    #[test]
    fn the_png_decodes_to_the_link_s_url() {
        let url = "https://refer.example.com/ref/summer-sale";
        let png = png(&code(url).unwrap()).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        let width = info.width as usize;
        let decoded = decode(width, info.height as usize, |x, y| pixels[y * width + x]);
        assert_eq!(decoded, url);
    }

    #[test]
    fn the_svg_draws_the_same_modules() {
        // The SVG is one path of unit squares: rasterise it and read it back.
        let url = "https://refer.example.com/ref/AB12CD34";
        let code = code(url).unwrap();
        let svg = svg(&code);
        assert!(svg.starts_with("<?xml"), "{svg}");
        let modules = code.width() + 2 * QUIET_ZONE;
        let d = svg
            .split("fill=\"#000000\" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a path");
        let mut dark = vec![false; modules * modules];
        let scale = svg_scale(&svg, modules);
        for square in d.split('M').filter(|s| !s.is_empty()) {
            let numbers: Vec<f64> = square
                .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            let (x, y) = (numbers[0] / scale, numbers[1] / scale);
            let run = (numbers[2] / scale).round() as usize;
            for dx in 0..run.max(1) {
                dark[y.round() as usize * modules + x.round() as usize + dx] = true;
            }
        }
        let pixel = 4;
        let side = modules * pixel;
        let decoded = decode(side, side, |x, y| {
            if dark[(y / pixel) * modules + x / pixel] {
                0
            } else {
                255
            }
        });
        assert_eq!(decoded, url);
    }

    /// Pixels per module in the SVG: its width over the modules with the quiet zone.
    fn svg_scale(svg: &str, modules: usize) -> f64 {
        let width: f64 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|w| w.parse().ok())
            .expect("a width");
        width / modules as f64
    }
}
