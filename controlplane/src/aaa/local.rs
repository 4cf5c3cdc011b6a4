//! The users file as an [`AaaBackend`]: answers every request at once, from a
//! [`UsersTable`].
//!
//! [`LocalBackend`] checks:
//! - PAP: the password, compared in constant time;
//! - CHAP with MD5 (RFC 1994 §4.1): Response = MD5(Identifier ‖ secret ‖ Challenge),
//!   compared in constant time;
//! - MS-CHAPv2 (RFC 2759 §8.1): NT-Response = GenerateNTResponse(Authenticator Challenge,
//!   Peer-Challenge, user name, password), compared in constant time. An accept carries what
//!   the authenticator's Success needs (the `S=` Authenticator Response, §8.7) and the
//!   server's MPPE keys (RFC 3079 §3), both in [`super::Attributes`]; a RADIUS backend gets
//!   the same from MS-CHAP2-Success and MS-MPPE-Send/Recv-Key (RFC 2548). The crypto is in
//!   [`super::mschapv2`].
//!
//! Every refusal of a known user with wrong credentials is
//! [`super::RejectKind::WrongPassword`] with the message "Authentication failed", whatever
//! the method.

use std::collections::VecDeque;

use super::users::{UsersError, UsersTable};
use super::{AaaBackend, AccountingRecord, AuthRequest, AuthResult, SessionHandle, SubmitError};

/// Requests the local backend holds before it answers [`SubmitError::Busy`]: answers
/// waiting to be polled are bounded, like everything that peers can make grow.
pub const LOCAL_MAX_PENDING: usize = 65_536;

/// The users file as an [`AaaBackend`]: answers every request at once.
pub struct LocalBackend {
    users: UsersTable,
    results: VecDeque<AuthResult>,
    max_pending: usize,
}

impl LocalBackend {
    pub fn new(users: UsersTable) -> LocalBackend {
        LocalBackend { users, results: VecDeque::new(), max_pending: LOCAL_MAX_PENDING }
    }

    pub fn users(&self) -> &UsersTable {
        &self.users
    }

    /// Swaps in a table parsed (and pool-checked) by the caller; returns the old one.
    pub fn replace_users(&mut self, users: UsersTable) -> UsersTable {
        std::mem::replace(&mut self.users, users)
    }

    /// Re-reads the users file: parses it fully and checks its pools with `known_pool`
    /// first, and swaps only when both succeed; on error the old table stays in use.
    pub fn reload(&mut self, known_pool: impl Fn(&str) -> bool) -> Result<(), UsersError> {
        let new = UsersTable::load(self.users.file())?;
        new.check_pools(known_pool)?;
        self.users = new;
        Ok(())
    }

    /// Answers waiting to be polled.
    pub fn pending(&self) -> usize {
        self.results.len()
    }
}

impl AaaBackend for LocalBackend {
    fn name(&self) -> &'static str {
        "local"
    }

    fn submit(&mut self, _now: u64, request: AuthRequest) -> Result<(), SubmitError> {
        if self.results.iter().any(|r| r.handle == request.handle) {
            return Err(SubmitError::DuplicateHandle(request.handle));
        }
        if self.results.len() >= self.max_pending {
            return Err(SubmitError::Busy { pending: self.results.len() });
        }
        let outcome = self.users.authenticate(&request.username, &request.credentials);
        self.results.push_back(AuthResult { handle: request.handle, outcome });
        Ok(())
    }

    fn cancel(&mut self, handle: SessionHandle) {
        self.results.retain(|r| r.handle != handle);
    }

    fn poll_result(&mut self, _now: u64) -> Option<AuthResult> {
        self.results.pop_front()
    }

    fn poll_timeout(&self) -> Option<u64> {
        None
    }

    fn handle_timeout(&mut self, _now: u64) {}

    /// The users file keeps no accounting.
    fn accounting(&mut self, _now: u64, _record: AccountingRecord) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aaa::*;
    use std::path::Path;

    fn table(text: &str) -> UsersTable {
        UsersTable::parse(Path::new("users.txt"), text).unwrap()
    }

    fn pap(p: &str) -> Credentials {
        Credentials::Pap { password: p.as_bytes().to_vec() }
    }

    fn request(handle: u64, user: &str, c: Credentials) -> AuthRequest {
        AuthRequest { handle, username: user.as_bytes().to_vec(), credentials: c, nas: NasInfo::default() }
    }

    #[test]
    fn local_backend_answers_through_the_asynchronous_boundary() {
        let mut b = LocalBackend::new(table("alice secret pool=lab\n"));
        let backend: &mut dyn AaaBackend = &mut b;
        assert_eq!(backend.name(), "local");
        assert_eq!(backend.poll_result(0), None);
        backend.submit(10, request(1, "alice", pap("secret"))).unwrap();
        backend.submit(10, request(2, "alice", pap("nope"))).unwrap();
        backend.submit(10, request(3, "alice", pap("secret"))).unwrap();
        assert_eq!(backend.submit(10, request(3, "alice", pap("secret"))), Err(SubmitError::DuplicateHandle(3)));
        backend.cancel(3);
        let r = backend.poll_result(11).unwrap();
        assert_eq!(r.handle, 1);
        assert!(matches!(r.outcome, AuthOutcome::Accept(ref a) if a.pool.as_deref() == Some("lab")));
        let r = backend.poll_result(11).unwrap();
        assert_eq!(r.handle, 2);
        assert!(matches!(r.outcome, AuthOutcome::Reject(ref j) if j.kind == RejectKind::WrongPassword));
        // Cancelled: never answered.
        assert_eq!(backend.poll_result(12), None);
        assert_eq!(backend.poll_timeout(), None);
        backend.handle_timeout(13);
        backend.accounting(
            14,
            AccountingRecord {
                handle: 1,
                status: AcctStatus::Stop(TerminateCause::USER_REQUEST),
                username: b"alice".to_vec(),
                framed_ip: None,
                nas: NasInfo::default(),
                session_time_s: 4,
                counters: AcctCounters { input_octets: 1, ..Default::default() },
            },
        );
        assert_eq!(backend.poll_result(15), None);
    }

    #[test]
    fn local_backend_bounds_unpolled_answers() {
        let mut b = LocalBackend::new(table("a b\n"));
        b.max_pending = 3;
        for h in 0..3 {
            b.submit(0, request(h, "a", pap("b"))).unwrap();
        }
        assert_eq!(b.submit(0, request(9, "a", pap("b"))), Err(SubmitError::Busy { pending: 3 }));
        assert!(b.poll_result(0).is_some());
        assert!(b.submit(0, request(9, "a", pap("b"))).is_ok());
        assert_eq!(b.pending(), 3);
    }
}
