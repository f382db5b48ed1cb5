//! What the simulated server answers: a status, why, and the rate-limit headers.
//!
//! A 429 is a value here, never an error: it is the main thing ratesim studies.

use crate::time::Nanos;

/// HTTP status of one attempt. Only the statuses the simulator produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Ok,
    /// 429 Too Many Requests.
    TooMany,
    /// 500 Internal Server Error.
    Internal,
    /// 503 Service Unavailable.
    Unavailable,
    /// No answer: the client's timeout ran out first (the server may still
    /// be working on the request). Not an HTTP status; it never reaches a
    /// file as a code.
    Timeout,
}

impl Status {
    /// Every status the simulator answers (or records, for a timeout).
    pub const ALL: [Status; 5] = [
        Status::Ok,
        Status::TooMany,
        Status::Internal,
        Status::Unavailable,
        Status::Timeout,
    ];

    pub const fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::TooMany => 429,
            Status::Internal => 500,
            Status::Unavailable => 503,
            Status::Timeout => 0,
        }
    }

    pub fn from_code(code: u16) -> Option<Status> {
        match code {
            200 => Some(Status::Ok),
            429 => Some(Status::TooMany),
            500 => Some(Status::Internal),
            503 => Some(Status::Unavailable),
            _ => None,
        }
    }

    pub const fn is_success(self) -> bool {
        matches!(self, Status::Ok)
    }
}

/// Why a 429 was answered: which kind of limit refused, in the provider's
/// own terms (the `rateLimitType` of its log: RPM, RPD, TPM, FAILED_REQUESTS),
/// plus overload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// A request-counting limit with a window shorter than a day (RPM and
    /// sub-minute windows).
    Requests,
    /// A request-counting limit of a day or longer (RPD).
    RequestsPerDay,
    /// A token-counting limit (TPM).
    Tokens,
    /// The key is blocked by the abuse lockout.
    Lockout,
    /// The model is overloaded (answered with Retry-After).
    Overloaded,
    /// The key (or key and model) has as many requests in flight as its
    /// concurrency limit allows.
    Concurrency,
}

impl Cause {
    pub const ALL: [Cause; 6] = [
        Cause::Requests,
        Cause::RequestsPerDay,
        Cause::Tokens,
        Cause::Lockout,
        Cause::Overloaded,
        Cause::Concurrency,
    ];

    /// Column-friendly name, as used in CSV headers.
    pub const fn label(self) -> &'static str {
        match self {
            Cause::Requests => "rpm",
            Cause::RequestsPerDay => "rpd",
            Cause::Tokens => "tpm",
            Cause::Lockout => "lockout",
            Cause::Overloaded => "overloaded",
            Cause::Concurrency => "concurrency",
        }
    }

    /// Position in [`Cause::ALL`] (and in every per-cause array).
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Number of 429 causes (the length of every per-cause array).
pub const CAUSES: usize = Cause::ALL.len();

/// The six `x-ratelimit-*` values of one response, as a client reads them.
///
/// `None` means the header is absent (a model without a token limit sends no
/// token headers; an unlimited model sends none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    pub limit_requests: Option<u64>,
    pub remaining_requests: Option<u64>,
    /// Unix time at which the request window resets, in seconds (or
    /// milliseconds when the scenario asks for millisecond epochs).
    pub reset_requests: Option<u64>,
    pub limit_tokens: Option<u64>,
    pub remaining_tokens: Option<u64>,
    /// Seconds until the token window resets (rounded up).
    pub reset_tokens: Option<u64>,
}

/// One answer to one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: Status,
    /// Set for every 429.
    pub cause: Option<Cause>,
    pub headers: Headers,
    /// `Retry-After`, when the server sent one.
    pub retry_after: Option<Nanos>,
}
