//! The cryptography of MS-CHAPv2 (RFC 2759 §8) and of the MPPE keys it yields (RFC 3079
//! §3.3–§3.4, 128-bit keys), written as the RFCs name it, so that each function can be read
//! next to its pseudo-code.
//!
//! ```text
//! GenerateNTResponse(AuthenticatorChallenge, PeerChallenge, UserName, Password)
//!     Challenge    = ChallengeHash(PeerChallenge, AuthenticatorChallenge, UserName)   §8.2
//!     PasswordHash = NtPasswordHash(Password)                                         §8.3
//!     Response     = ChallengeResponse(Challenge, PasswordHash)                       §8.5
//!
//! GenerateAuthenticatorResponse(Password, NT-Response, PeerChallenge, ...)            §8.7
//!     "S=" + hex(SHA1(SHA1(HashNtPasswordHash(PasswordHash) || NT-Response || Magic1)
//!                     || Challenge || Magic2))
//!
//! GetMasterKey(PasswordHashHash, NT-Response)      = SHA1(.. || Magic1)[0..16]    RFC 3079 §3.4
//! GetAsymmetricStartKey(MasterKey, 16, IsSend, IsServer)
//!                                                  = SHA1(MasterKey || SHSpad1 || Magic2/3 || SHSpad2)[0..16]
//! ```
//!
//! Who uses it: the users file verifies a peer's NT-Response and computes the Authenticator
//! Response and the server's MPPE keys ([`super::UsersTable::authenticate`]); the peer
//! machine ([`crate::ppp::mschapv2::MsChapV2Client`]) computes its NT-Response, checks the
//! server's Authenticator Response and derives its own MPPE keys. A RADIUS backend does none
//! of this: the server gives MS-CHAP2-Success and MS-MPPE-Send/Recv-Key (RFC 2548).
//!
//! MD4, DES and SHA-1 are long broken as general-purpose primitives; they are here because
//! the protocol fixes them, not by choice.

use des::cipher::generic_array::GenericArray;
use des::cipher::{BlockEncrypt, KeyInit};
use md4::Md4;
use sha1::{Digest, Sha1};

use super::{ct_eq, MppeKeys};

/// RFC 2759 §8.7: "Magic server to client signing constant".
const AUTH_MAGIC1: &[u8; 39] = b"Magic server to client signing constant";
/// RFC 2759 §8.7: "Pad to make it do more than one iteration".
const AUTH_MAGIC2: &[u8; 41] = b"Pad to make it do more than one iteration";
/// RFC 3079 §3.4 GetMasterKey's Magic1.
const MASTER_MAGIC1: &[u8; 27] = b"This is the MPPE Master Key";
/// RFC 3079 §3.4 GetAsymmetricStartKey's Magic2: the client's send key, the server's receive
/// key.
const KEY_MAGIC2: &[u8; 84] = b"On the client side, this is the send key; on the server side, it is the receive key.";
/// RFC 3079 §3.4 GetAsymmetricStartKey's Magic3: the client's receive key, the server's send
/// key.
const KEY_MAGIC3: &[u8; 84] = b"On the client side, this is the receive key; on the server side, it is the send key.";
/// RFC 3079 §3.4 SHSpad1 and SHSpad2.
const SHS_PAD1: [u8; 40] = [0x00; 40];
const SHS_PAD2: [u8; 40] = [0xf2; 40];

/// The length of the Authenticator Response text `S=` + 40 hex digits (RFC 2759 §5).
pub const AUTHENTICATOR_RESPONSE_LEN: usize = 42;
/// RFC 2759 §4: a password is 0 to 256 Unicode characters.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// RFC 2759 §8.2 ChallengeHash: the first 8 octets of SHA1(PeerChallenge ‖
/// AuthenticatorChallenge ‖ UserName). "Only the user name (as presented by the peer and
/// excluding any prepended domain name) is used": a `DOMAIN\user` name counts from after its
/// last backslash, as Windows peers and pppd do.
pub fn challenge_hash(peer_challenge: &[u8; 16], authenticator_challenge: &[u8; 16], user_name: &[u8]) -> [u8; 8] {
    let user = match user_name.iter().rposition(|&b| b == b'\\') {
        Some(i) => &user_name[i + 1..],
        None => user_name,
    };
    let digest =
        Sha1::new().chain_update(peer_challenge).chain_update(authenticator_challenge).chain_update(user).finalize();
    let mut challenge = [0; 8];
    challenge.copy_from_slice(&digest[..8]);
    challenge
}

/// RFC 2759 §8.3 NtPasswordHash: MD4 of the password in UTF-16 little-endian ("Password is
/// 0-to-256-unicode-char", §8.1). Characters outside the BMP become surrogate pairs, as
/// Windows encodes them.
pub fn nt_password_hash(password: &str) -> [u8; 16] {
    let mut h = Md4::new();
    for unit in password.encode_utf16() {
        h.update(unit.to_le_bytes());
    }
    h.finalize().into()
}

/// RFC 2759 §8.4 HashNtPasswordHash: MD4 of the PasswordHash.
pub fn hash_nt_password_hash(password_hash: &[u8; 16]) -> [u8; 16] {
    Md4::digest(password_hash).into()
}

/// RFC 2759 §8.6 DesEncrypt: DES-ECB of one block under a 7-octet (56-bit) key. DES takes 64
/// bits of which every eighth is a parity bit it ignores, so the 56 bits are spread over
/// eight octets, seven bits each, the parity bit left 0.
fn des_encrypt(clear: &[u8; 8], key: &[u8]) -> [u8; 8] {
    let bits = key.iter().take(7).fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    let mut expanded = [0u8; 8];
    for (i, k) in expanded.iter_mut().enumerate() {
        *k = (((bits >> (49 - 7 * i)) & 0x7f) as u8) << 1;
    }
    let cipher = des::Des::new(GenericArray::from_slice(&expanded));
    let mut block = GenericArray::clone_from_slice(clear);
    cipher.encrypt_block(&mut block);
    block.into()
}

/// RFC 2759 §8.5 ChallengeResponse: the PasswordHash padded with zeros to 21 octets is three
/// 7-octet DES keys; each encrypts the 8-octet Challenge, and the three blocks are the
/// 24-octet Response.
pub fn challenge_response(challenge: &[u8; 8], password_hash: &[u8; 16]) -> [u8; 24] {
    let mut z_password_hash = [0u8; 21];
    z_password_hash[..16].copy_from_slice(password_hash);
    let mut response = [0u8; 24];
    for (block, key) in response.chunks_exact_mut(8).zip(z_password_hash.chunks_exact(7)) {
        block.copy_from_slice(&des_encrypt(challenge, key));
    }
    response
}

/// RFC 2759 §8.1 GenerateNTResponse: what the peer puts in its Response, and what the
/// authenticator recomputes to verify it.
pub fn generate_nt_response(
    authenticator_challenge: &[u8; 16],
    peer_challenge: &[u8; 16],
    user_name: &[u8],
    password: &str,
) -> [u8; 24] {
    let challenge = challenge_hash(peer_challenge, authenticator_challenge, user_name);
    challenge_response(&challenge, &nt_password_hash(password))
}

/// RFC 2759 §8.7 GenerateAuthenticatorResponse: the text `S=` followed by 40 uppercase hex
/// digits that the authenticator's Success message carries (§5), proving to the peer that
/// the authenticator knows its password too.
pub fn generate_authenticator_response(
    password: &str,
    nt_response: &[u8; 24],
    peer_challenge: &[u8; 16],
    authenticator_challenge: &[u8; 16],
    user_name: &[u8],
) -> [u8; AUTHENTICATOR_RESPONSE_LEN] {
    let password_hash_hash = hash_nt_password_hash(&nt_password_hash(password));
    let digest =
        Sha1::new().chain_update(password_hash_hash).chain_update(nt_response).chain_update(AUTH_MAGIC1).finalize();
    let challenge = challenge_hash(peer_challenge, authenticator_challenge, user_name);
    let digest = Sha1::new().chain_update(digest).chain_update(challenge).chain_update(AUTH_MAGIC2).finalize();
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut text = [0u8; AUTHENTICATOR_RESPONSE_LEN];
    text[..2].copy_from_slice(b"S=");
    for (pair, b) in text[2..].chunks_exact_mut(2).zip(digest.iter()) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 0xf)];
    }
    text
}

/// RFC 2759 §8.8 CheckAuthenticatorResponse: whether `received` (the `S=...` text of a
/// Success message, 42 octets) is the one the authenticator must have computed. The RFC
/// compares the text as sent, uppercase hex; the comparison takes the same time wherever
/// the texts differ.
pub fn check_authenticator_response(
    password: &str,
    nt_response: &[u8; 24],
    peer_challenge: &[u8; 16],
    authenticator_challenge: &[u8; 16],
    user_name: &[u8],
    received: &[u8],
) -> bool {
    let mine =
        generate_authenticator_response(password, nt_response, peer_challenge, authenticator_challenge, user_name);
    ct_eq(&mine, received)
}

/// RFC 3079 §3.4 GetMasterKey: the first 16 octets of SHA1(PasswordHashHash ‖ NT-Response ‖
/// Magic1), shared by both ends.
pub fn get_master_key(password_hash_hash: &[u8; 16], nt_response: &[u8; 24]) -> [u8; 16] {
    let digest =
        Sha1::new().chain_update(password_hash_hash).chain_update(nt_response).chain_update(MASTER_MAGIC1).finalize();
    let mut master_key = [0; 16];
    master_key.copy_from_slice(&digest[..16]);
    master_key
}

/// RFC 3079 §3.4 GetAsymmetricStartKey for 128-bit keys (SessionKeyLength 16): the first 16
/// octets of SHA1(MasterKey ‖ SHSpad1 ‖ s ‖ SHSpad2), where s is Magic3 for the server's
/// send key and the client's receive key, Magic2 for the other two. So one end's send key
/// is the other end's receive key.
pub fn get_asymmetric_start_key(master_key: &[u8; 16], is_send: bool, is_server: bool) -> [u8; 16] {
    let s = if is_send == is_server { KEY_MAGIC3 } else { KEY_MAGIC2 };
    let digest =
        Sha1::new().chain_update(master_key).chain_update(SHS_PAD1).chain_update(s).chain_update(SHS_PAD2).finalize();
    let mut key = [0; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// RFC 3079 §3.3–§3.4: MasterSendKey and MasterReceiveKey (128-bit) of the server
/// (`is_server`) or of the client, from the password and the NT-Response of the exchange
/// that succeeded. `send` encrypts what this end sends; the server's is RADIUS's
/// MS-MPPE-Send-Key (RFC 2548 §2.4.2).
pub fn mppe_master_keys(password: &str, nt_response: &[u8; 24], is_server: bool) -> MppeKeys {
    let master_key = get_master_key(&hash_nt_password_hash(&nt_password_hash(password)), nt_response);
    MppeKeys {
        send: get_asymmetric_start_key(&master_key, true, is_server),
        recv: get_asymmetric_start_key(&master_key, false, is_server),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex<const N: usize>(s: &str) -> [u8; N] {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let v: Vec<u8> =
            s.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap()).collect();
        v.try_into().unwrap()
    }

    // RFC 2759 §9.2 "Hash Example", copied from the RFC's text.
    const USER_NAME: &[u8] = b"User"; // 55 73 65 72
    const PASSWORD: &str = "clientPass";
    const AUTHENTICATOR_CHALLENGE: &str = "5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28";
    const PEER_CHALLENGE: &str = "21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E";
    const CHALLENGE: &str = "D0 2E 43 86 BC E9 12 26";
    const NT_RESPONSE: &str = "82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF";
    const PASSWORD_HASH: &str = "44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE";
    const PASSWORD_HASH_HASH: &str = "41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F";
    const AUTHENTICATOR_RESPONSE: &[u8] = b"S=407A5589115FD0D6209F510FE9C04566932CDA56";
    // RFC 3079 §3.5.3 "Sample Key Derivations for 128-bit Keys" (same user, password,
    // challenges and NT-Response as above).
    const MASTER_KEY: &str = "FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31";
    const SEND_START_KEY_128: &str = "8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB";
    // The RFC prints only the server's send key (Magic3). The Magic2 key below, the server's
    // receive key, is what other implementations give for the same MasterKey (Android's
    // EAP-MSCHAPv2 tests, MSCHAP_V2_SEND_START_KEY; cryptlib's MSK check), and what Python's
    // hashlib gives for sha1(MasterKey + b'\0'*40 + Magic2 + b'\xf2'*40)[:16].
    const RECV_START_KEY_128: &str = "D5 F0 E9 52 1E 3E A9 58 96 45 E8 60 51 C8 22 26";

    #[test]
    fn rfc2759_hash_example() {
        let auth = unhex::<16>(AUTHENTICATOR_CHALLENGE);
        let peer = unhex::<16>(PEER_CHALLENGE);
        assert_eq!(challenge_hash(&peer, &auth, USER_NAME), unhex::<8>(CHALLENGE));
        assert_eq!(nt_password_hash(PASSWORD), unhex::<16>(PASSWORD_HASH));
        assert_eq!(hash_nt_password_hash(&unhex(PASSWORD_HASH)), unhex::<16>(PASSWORD_HASH_HASH));
        assert_eq!(challenge_response(&unhex(CHALLENGE), &unhex(PASSWORD_HASH)), unhex::<24>(NT_RESPONSE));
        assert_eq!(generate_nt_response(&auth, &peer, USER_NAME, PASSWORD), unhex::<24>(NT_RESPONSE));
        let nt = unhex::<24>(NT_RESPONSE);
        assert_eq!(generate_authenticator_response(PASSWORD, &nt, &peer, &auth, USER_NAME), AUTHENTICATOR_RESPONSE);
        assert!(check_authenticator_response(PASSWORD, &nt, &peer, &auth, USER_NAME, AUTHENTICATOR_RESPONSE));
        // One digit off, lowercase hex, cut short, another password: not the authenticator.
        let mut wrong = AUTHENTICATOR_RESPONSE.to_vec();
        wrong[41] = b'7';
        assert!(!check_authenticator_response(PASSWORD, &nt, &peer, &auth, USER_NAME, &wrong));
        let lower = AUTHENTICATOR_RESPONSE.to_ascii_lowercase();
        assert!(!check_authenticator_response(PASSWORD, &nt, &peer, &auth, USER_NAME, &lower));
        assert!(!check_authenticator_response(PASSWORD, &nt, &peer, &auth, USER_NAME, &AUTHENTICATOR_RESPONSE[..41]));
        assert!(!check_authenticator_response("clientPasS", &nt, &peer, &auth, USER_NAME, AUTHENTICATOR_RESPONSE));
    }

    #[test]
    fn the_domain_is_not_hashed() {
        let auth = unhex::<16>(AUTHENTICATOR_CHALLENGE);
        let peer = unhex::<16>(PEER_CHALLENGE);
        assert_eq!(challenge_hash(&peer, &auth, b"CORP\\User"), unhex::<8>(CHALLENGE));
        assert_eq!(challenge_hash(&peer, &auth, b"A\\B\\User"), unhex::<8>(CHALLENGE));
        assert_ne!(challenge_hash(&peer, &auth, b"User@corp"), unhex::<8>(CHALLENGE));
    }

    #[test]
    fn rfc3079_128_bit_keys() {
        let nt = unhex::<24>(NT_RESPONSE);
        let master = get_master_key(&unhex(PASSWORD_HASH_HASH), &nt);
        assert_eq!(master, unhex::<16>(MASTER_KEY));
        // Step 4 of the RFC's example: GetAsymmetricStartKey(MasterKey, 16, TRUE, TRUE).
        assert_eq!(get_asymmetric_start_key(&master, true, true), unhex::<16>(SEND_START_KEY_128));
        assert_eq!(get_asymmetric_start_key(&master, false, true), unhex::<16>(RECV_START_KEY_128));
        let server = mppe_master_keys(PASSWORD, &nt, true);
        assert_eq!((server.send, server.recv), (unhex(SEND_START_KEY_128), unhex(RECV_START_KEY_128)));
        // The client's keys are the server's, swapped (RFC 3079 §3.3).
        let client = mppe_master_keys(PASSWORD, &nt, false);
        assert_eq!((client.send, client.recv), (server.recv, server.send));
    }

    #[test]
    fn the_empty_password_hashes_as_md4_of_nothing() {
        // §8.1 allows 0 characters; MD4("") is RFC 1320 A.5's first example.
        assert_eq!(nt_password_hash(""), unhex::<16>("31D6CFE0D16AE931B73C59D7E0C089C0"));
    }
}
