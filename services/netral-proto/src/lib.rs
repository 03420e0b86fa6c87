//! The netral v1 gRPC contract, generated at build time from `proto/netral/v1/` (nothing
//! generated is committed). Agency clients and the server both depend on this crate.
//!
//! ```
//! use netral_proto::v1::{CaseState, CaseView, GetCaseRequest};
//! let req = GetCaseRequest {
//!     name: "cases/0190f1c2-0000-7000-8000-000000000000".into(),
//!     view: CaseView::Basic as i32,
//! };
//! assert_eq!(CaseState::Registered.as_str_name(), "CASE_STATE_REGISTERED");
//! # let _ = req;
//! ```

/// Vendored Google types the contract imports.
pub mod google {
    /// `google.type`: calendar dates.
    pub mod r#type {
        #![allow(missing_docs, clippy::all)]
        include!(concat!(env!("OUT_DIR"), "/google.r#type.rs"));
    }
    /// `google.api`: field behaviour annotations.
    pub mod api {
        #![allow(missing_docs, clippy::all)]
        include!(concat!(env!("OUT_DIR"), "/google.api.rs"));
    }
}

/// The `netral` protobuf package tree.
pub mod netral {
    /// `netral.v1`: the messages and services agencies code against.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        include!(concat!(env!("OUT_DIR"), "/netral.v1.rs"));
    }
}

pub use netral::v1;

/// The encoded `FileDescriptorSet` of the whole contract (imports included), for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/netral_descriptor.bin"));
