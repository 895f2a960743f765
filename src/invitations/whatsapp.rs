//! WhatsApp click-to-chat links: `https://wa.me/62…?text=…` opens a chat with the participant
//! with the invitation already typed, so a field officer only presses send.
//!
//! The message is Indonesian by default (participants' first language) and carries the personal
//! survey link; it is percent-encoded as RFC 3986 asks, spaces as `%20` (WhatsApp shows a `+`
//! literally in some clients).

use std::fmt::Write;

/// The invitation text a participant receives, in `language` (`id` or `en`; others get `id`).
pub fn invitation_message(first_name: &str, programme: &str, link: &str, language: &str) -> String {
    let greeting = if first_name.is_empty() {
        String::new()
    } else {
        format!(" {first_name}")
    };
    match language {
        "en" => format!(
            "Hello{greeting}, this is the {programme} team. Please tell us how you are doing \
             since the training: it takes about 10 minutes. Your personal link: {link}"
        ),
        _ => format!(
            "Halo{greeting}, kami dari tim {programme}. Mohon ceritakan kabar Anda setelah \
             pelatihan: hanya sekitar 10 menit. Tautan pribadi Anda: {link}"
        ),
    }
}

/// The click-to-chat link for a normalised phone number (`62…`, digits only) and a message;
/// None when the number is not in that form.
pub fn whatsapp_link(phone: &str, message: &str) -> Option<String> {
    let valid = phone.starts_with("62")
        && (10..=15).contains(&phone.len())
        && phone.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    Some(format!(
        "https://wa.me/{phone}?text={}",
        percent_encode(message)
    ))
}

/// Percent-encodes everything but RFC 3986's unreserved characters, byte by byte of the UTF-8.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(byte as char);
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_encodes_the_message_and_the_personal_link() {
        let message =
            invitation_message("Siti", "Promise II", "https://s.example.org/s/Ab-_9", "id");
        let link = whatsapp_link("6281234567890", &message).unwrap();
        assert!(link.starts_with("https://wa.me/6281234567890?text=Halo%20Siti%2C%20kami"));
        assert!(link.contains("https%3A%2F%2Fs.example.org%2Fs%2FAb-_9"));
        assert!(!link.contains(' '));
    }

    #[test]
    fn non_ascii_is_encoded_as_utf8_bytes() {
        assert_eq!(percent_encode("é ✓"), "%C3%A9%20%E2%9C%93");
    }

    #[test]
    fn numbers_not_normalised_get_no_link() {
        assert_eq!(whatsapp_link("081234567890", "x"), None);
        assert_eq!(whatsapp_link("62812-3456", "x"), None);
        assert_eq!(whatsapp_link("62", "x"), None);
        assert!(whatsapp_link("628123456789", "x").is_some());
    }

    #[test]
    fn english_message_and_no_name() {
        let message = invitation_message("", "P", "L", "en");
        assert!(message.starts_with("Hello, this is the P team."));
        assert!(message.ends_with("Your personal link: L"));
    }
}
