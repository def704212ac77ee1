//! Decoding a compressed body for the recorded copy.
//!
//! The tap relays a compressed body to its client as it came (Claude Code
//! asks for `gzip, deflate, br, zstd`), but what it records, parses and
//! shows must be the text. Decoders here are fed chunk by chunk as the body
//! arrives, so a compressed stream is parsed as it streams.

use std::io::Write;

/// One `content-encoding`, decoding into a buffer drained after each feed.
pub enum BodyDecoder {
    Gzip(flate2::write::MultiGzDecoder<Vec<u8>>),
    Deflate(flate2::write::ZlibDecoder<Vec<u8>>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Decoder<'static, Vec<u8>>),
}

impl BodyDecoder {
    /// The decoder for a `content-encoding` value; `None` for identity and
    /// for encodings not known here (the body is then recorded as it came).
    pub fn for_encoding(encoding: &str) -> Option<BodyDecoder> {
        let encoding = encoding.trim().to_ascii_lowercase();
        match encoding.as_str() {
            "gzip" | "x-gzip" => Some(BodyDecoder::Gzip(flate2::write::MultiGzDecoder::new(
                Vec::new(),
            ))),
            "deflate" => Some(BodyDecoder::Deflate(flate2::write::ZlibDecoder::new(
                Vec::new(),
            ))),
            "br" => Some(BodyDecoder::Brotli(Box::new(
                brotli_decompressor::DecompressorWriter::new(Vec::new(), 16 * 1024),
            ))),
            "zstd" => zstd::stream::write::Decoder::new(Vec::new())
                .ok()
                .map(BodyDecoder::Zstd),
            _ => None,
        }
    }

    /// Decodes `bytes` and returns what came out of them.
    pub fn feed(&mut self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            BodyDecoder::Gzip(d) => {
                d.write_all(bytes)?;
                Ok(std::mem::take(d.get_mut()))
            }
            BodyDecoder::Deflate(d) => {
                d.write_all(bytes)?;
                Ok(std::mem::take(d.get_mut()))
            }
            BodyDecoder::Brotli(d) => {
                d.write_all(bytes)?;
                d.flush()?;
                Ok(std::mem::take(d.get_mut()))
            }
            BodyDecoder::Zstd(d) => {
                d.write_all(bytes)?;
                d.flush()?;
                Ok(std::mem::take(d.get_mut()))
            }
        }
    }

    /// The body ended: what the decoder still held. A body cut short is an
    /// error here.
    pub fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            BodyDecoder::Gzip(d) => d.finish(),
            BodyDecoder::Deflate(d) => d.finish(),
            BodyDecoder::Brotli(d) => d
                .into_inner()
                .map_err(|_| std::io::Error::other("the brotli stream was cut short")),
            BodyDecoder::Zstd(mut d) => {
                d.flush()?;
                Ok(d.into_inner())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &[u8] = b"event: message_start\ndata: {\"type\":\"message_start\"}\n\n";

    fn decode_in_pieces(mut decoder: BodyDecoder, encoded: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for piece in encoded.chunks(3) {
            out.extend(decoder.feed(piece).unwrap());
        }
        out.extend(decoder.finish().unwrap());
        out
    }

    #[test]
    fn gzip_deflate_brotli_and_zstd_decode_piece_by_piece() {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all(TEXT).unwrap();
        let gzip = gzip.finish().unwrap();
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(TEXT).unwrap();
        let zlib = zlib.finish().unwrap();
        let mut br = Vec::new();
        brotli::BrotliCompress(&mut &TEXT[..], &mut br, &Default::default()).unwrap();
        let zstd = zstd::encode_all(TEXT, 3).unwrap();
        for (encoding, encoded) in [
            ("gzip", gzip),
            ("deflate", zlib),
            ("br", br),
            ("zstd", zstd),
        ] {
            let decoder = BodyDecoder::for_encoding(encoding).unwrap();
            assert_eq!(decode_in_pieces(decoder, &encoded), TEXT, "{encoding}");
        }
    }

    #[test]
    fn identity_and_unknown_encodings_are_left_alone() {
        assert!(BodyDecoder::for_encoding("identity").is_none());
        assert!(BodyDecoder::for_encoding("compress").is_none());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut decoder = BodyDecoder::for_encoding("gzip").unwrap();
        let fed = decoder.feed(b"this is not gzip at all");
        assert!(fed.is_err() || decoder.finish().is_err());
    }
}
