//! What an image's bytes say it is, for images sent as base64.

use base64::Engine as _;

/// The media type an image's first bytes show, when they are one the API
/// takes (JPEG, PNG, GIF, WebP).
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xff, 0xd8, 0xff, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, ..] => Some("image/png"),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some("image/gif"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("image/webp"),
        _ => None,
    }
}

/// [`sniff`] on base64 data: only its start is decoded.
pub fn sniff_base64(data: &str) -> Option<&'static str> {
    // 16 characters decode to 12 bytes, enough for every signature above.
    let head: String = data
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(16)
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(head)
        .ok()?;
    sniff(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_recognised() {
        assert_eq!(
            sniff_base64("/9j/4AAQSkZJRgABAQAAAQABAAD"),
            Some("image/jpeg")
        );
        assert_eq!(sniff_base64("iVBORw0KGgoAAAANSUhEUgAA"), Some("image/png"));
        assert_eq!(sniff_base64("R0lGODlhAQABAIAAAP"), Some("image/gif"));
        assert_eq!(sniff_base64("UklGRiQAAABXRUJQVlA4"), Some("image/webp"));
        assert_eq!(sniff_base64("bm90IGFuIGltYWdl"), None);
        assert_eq!(sniff_base64("!!!"), None);
    }
}
