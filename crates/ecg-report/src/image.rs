//! The logo: PNG (decoded, re-compressed, alpha kept as a soft mask) or JPEG (embedded as
//! is with DCTDecode).

use lopdf::{Dictionary, Object, Stream, dictionary};

use crate::error::{Error, Result};
use crate::pdf::deflate_stream;

/// An image ready to embed: its XObject stream and its pixel size.
pub(crate) struct Image {
    pub stream: Stream,
    pub smask: Option<Stream>,
    pub width: u32,
    pub height: u32,
}

/// Largest logo accepted, in pixels.
const MAX_PIXELS: u64 = 16_000_000;

/// Decodes PNG or JPEG bytes.
pub(crate) fn decode(bytes: &[u8]) -> Result<Image> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        decode_png(bytes)
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        jpeg(bytes)
    } else {
        Err(Error::Logo(
            "not a PNG or JPEG file (unknown signature)".into(),
        ))
    }
}

fn decode_png(bytes: &[u8]) -> Result<Image> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| Error::Logo(format!("PNG header: {e}")))?;
    let (w, h) = {
        let info = reader.info();
        (info.width, info.height)
    };
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(Error::Logo(format!(
            "{w} x {h} pixels is more than the {MAX_PIXELS} allowed"
        )));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| Error::Logo("PNG too large".into()))?;
    let mut buf = vec![0; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| Error::Logo(format!("PNG data: {e}")))?;
    let buf = &buf[..frame.buffer_size()];
    let (colour, alpha): (Vec<u8>, Option<Vec<u8>>) = match frame.color_type {
        png::ColorType::Rgb => (buf.to_vec(), None),
        png::ColorType::Grayscale => (buf.to_vec(), None),
        png::ColorType::Rgba => (
            buf.chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
            Some(buf.chunks_exact(4).map(|p| p[3]).collect()),
        ),
        png::ColorType::GrayscaleAlpha => (
            buf.chunks_exact(2).map(|p| p[0]).collect(),
            Some(buf.chunks_exact(2).map(|p| p[1]).collect()),
        ),
        png::ColorType::Indexed => {
            return Err(Error::Logo("indexed PNG was not expanded".into()));
        }
    };
    let space = if matches!(
        frame.color_type,
        png::ColorType::Grayscale | png::ColorType::GrayscaleAlpha
    ) {
        "DeviceGray"
    } else {
        "DeviceRGB"
    };
    let base = |space: &str| -> Dictionary {
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Image",
            "Width" => i64::from(w),
            "Height" => i64::from(h),
            "ColorSpace" => Object::Name(space.as_bytes().to_vec()),
            "BitsPerComponent" => 8,
        }
    };
    let smask = match alpha {
        Some(a) if a.iter().any(|&v| v != 255) => Some(deflate_stream(base("DeviceGray"), &a)?),
        _ => None,
    };
    Ok(Image {
        stream: deflate_stream(base(space), &colour)?,
        smask,
        width: w,
        height: h,
    })
}

/// Reads the frame header of a JPEG and wraps the file unchanged.
fn jpeg(bytes: &[u8]) -> Result<Image> {
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return Err(Error::Logo(format!("JPEG: no marker at byte {i}")));
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let seg = bytes
                .get(i + 4..i + 2 + len)
                .filter(|s| s.len() >= 6)
                .ok_or_else(|| Error::Logo(format!("JPEG: truncated frame header at {i}")))?;
            let h = u32::from(u16::from_be_bytes([seg[1], seg[2]]));
            let w = u32::from(u16::from_be_bytes([seg[3], seg[4]]));
            let space = match seg[5] {
                1 => "DeviceGray",
                3 => "DeviceRGB",
                4 => "DeviceCMYK",
                n => return Err(Error::Logo(format!("JPEG with {n} components"))),
            };
            if w == 0 || h == 0 {
                return Err(Error::Logo("JPEG of zero size".into()));
            }
            let mut dict = dictionary! {
                "Type" => "XObject",
                "Subtype" => "Image",
                "Width" => i64::from(w),
                "Height" => i64::from(h),
                "ColorSpace" => Object::Name(space.as_bytes().to_vec()),
                "BitsPerComponent" => i64::from(seg[0]),
                "Filter" => "DCTDecode",
            };
            if seg[5] == 4 {
                // Adobe CMYK JPEGs are stored inverted
                dict.set(
                    "Decode",
                    vec![
                        1.into(),
                        0.into(),
                        1.into(),
                        0.into(),
                        1.into(),
                        0.into(),
                        1.into(),
                        0.into(),
                    ],
                );
            }
            let mut stream = Stream::new(dict, bytes.to_vec());
            stream.allows_compression = false;
            return Ok(Image {
                stream,
                smask: None,
                width: w,
                height: h,
            });
        }
        if marker == 0xDA || len < 2 {
            break;
        }
        i += 2 + len;
    }
    Err(Error::Logo("JPEG: no frame header found".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(w: u32, h: u32, colour: png::ColorType, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(colour);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().unwrap();
        writer.write_image_data(data).unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn png_with_alpha_gets_a_soft_mask() {
        let rgba: Vec<u8> = (0..6).flat_map(|i| [i * 40, 0, 255, i * 50]).collect();
        let img = decode(&png_bytes(3, 2, png::ColorType::Rgba, &rgba)).unwrap();
        assert_eq!((img.width, img.height), (3, 2));
        assert!(img.smask.is_some());
        let opaque = decode(&png_bytes(1, 1, png::ColorType::Rgb, &[1, 2, 3])).unwrap();
        assert!(opaque.smask.is_none());
    }

    #[test]
    fn jpeg_size_comes_from_the_frame_header() {
        // SOI, APP0 (len 4), SOF0 (len 11: 8 bits, h 20, w 30, 1 component), SOS
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0, 0];
        b.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 8, 0, 20, 0, 30, 1, 1, 0x11, 0]);
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02]);
        let img = decode(&b).unwrap();
        assert_eq!((img.width, img.height), (30, 20));
        assert!(decode(b"GIF89a").is_err());
        assert!(decode(&b[..12]).is_err());
    }
}
